"""What the SCAN step peers (torch_scan_step.py, torch_transformer_step.py) share: the summed token loss, and
one mask-stage step over frozen weights, as maskscope's MaskStageTrainer: one logit tensor (at 2.0) per
masked weight, K hard Gumbel-sigmoid samples with a straight-through gradient, batch slice k run with W ⊙ m_k,
loss Σ_k CE_k / B + β/B·Σ l, clip_grad_norm_(maskClip) on the logits, Adam(maskLr)."""
import torch
import torch.nn.functional as F


def ce_sum(logits, y):
    """Σ token cross-entropies, targets −1 ignored."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1, reduction="sum")


def mask_trainer(named, c, dev, run_slice):
    """A step function over batches; `run_slice(batch, rows, weights)` gives the logits of those rows with the
    weights by name substituted."""
    logits = {n: torch.full_like(p, 2.0, requires_grad=True) for n, p in named.items()}
    opt = torch.optim.Adam(logits.values(), lr=c["maskLr"])
    B, K, beta = c["batch"], c["samples"], c["beta"]
    S = B // K

    def sample(l):
        u = torch.rand((K,) + l.shape, device=dev).clamp_(1e-10, 1 - 1e-10)
        s = torch.sigmoid(l + torch.log(u / (1 - u)))  # logistic noise, τ = 1
        hard = (s > 0.5).float()
        return hard + s - s.detach()  # value: hard; gradient: ds/dl

    def step(b):
        opt.zero_grad(set_to_none=True)
        masked = {n: named[n] * sample(l) for n, l in logits.items()}  # [K, ...]
        task = 0
        for k in range(K):
            rows = slice(k * S, (k + 1) * S)
            task = task + ce_sum(run_slice(b, rows, {n: w[k] for n, w in masked.items()}), b["y"][rows])
        loss = task / B + beta / B * sum(l.sum() for l in logits.values())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(logits.values()), c["maskClip"])
        opt.step()
        return loss

    return step
