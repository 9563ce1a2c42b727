"""PyTorch eager peer for bench/mask-step.ts: ms per mask-training step and per base-training step.

Reads {"widths": [...], "batch": B, "samples": K, "beta": b, "minSeconds": s, "maxIters": n, "rounds": r,
"warmup": w, "threads": t} as JSON on stdin; prints `device <cpu|cuda>`, then `mask-<W> <ms>` and `base-<W> <ms>` per width.
The algorithm of the authors' code ("K masked weight copies + bmm"): MLP 42→W×4→20, mask logits at 2.0 on
the weights (biases unmasked), hard Gumbel-sigmoid samples with a straight-through gradient, slice k of
the batch through W ⊙ m_k by torch.bmm, CE per digit + β/B·Σl, clip 1 on the logit gradients, Adam 1e-2.
Base step: Adam 1e-3 on the weights, clip 1. CPU: `threads` intra-op threads (OpenBLAS on LD_LIBRARY_PATH);
CUDA: fp32, TF32 off.
"""
import time

import torch
import torch.nn.functional as F
from torch_setup import setup

cfg, dev, sync = setup(2)
B, K, beta = cfg["batch"], cfg["samples"], cfg["beta"]


def make_mlp(width):
    sizes = [42] + [width] * 4 + [20]
    return torch.nn.ModuleList(torch.nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])).to(dev)


def batches(n=16):
    """Random +/× rows: one-hot of 4 digits + one-hot op (42), two target digits."""
    out = []
    for _ in range(n):
        digits = torch.randint(0, 10, (B, 4))
        op = torch.randint(0, 2, (B,))
        x = torch.cat([F.one_hot(digits, 10).reshape(B, 40), F.one_hot(op, 2)], 1).float()
        out.append((x.to(dev), torch.randint(0, 10, (B, 2)).to(dev)))
    return out


def loss_of(out, y):
    return F.cross_entropy(out.reshape(-1, 10), y.reshape(-1))


def base_step(layers, opt):
    params = list(layers.parameters())

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        h = x
        for i, lin in enumerate(layers):
            h = lin(h)
            if i < len(layers) - 1:
                h = F.relu(h)
        loss = loss_of(h, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss

    return step


def mask_step(layers):
    for p in layers.parameters():
        p.requires_grad_(False)
    logits = [torch.full_like(lin.weight, 2.0, requires_grad=True) for lin in layers]
    opt = torch.optim.Adam(logits, lr=1e-2)

    def sample(l):
        u = torch.rand((K,) + l.shape, device=dev).clamp_(1e-10, 1 - 1e-10)
        s = torch.sigmoid(l + torch.log(u / (1 - u)))  # logistic noise, τ = 1
        hard = (s > 0.5).float()
        return hard + s - s.detach()  # value: hard; gradient: ds/dl

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        h = x.view(K, B // K, -1)
        for i, (lin, l) in enumerate(zip(layers, logits)):
            w = lin.weight * sample(l)  # [K, out, in]
            h = torch.bmm(h, w.transpose(1, 2)) + lin.bias
            if i < len(layers) - 1:
                h = F.relu(h)
        loss = loss_of(h.reshape(B, 20), y) + beta / B * sum(l.sum() for l in logits)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(logits, 1.0)
        opt.step()
        return loss

    return step


def time_step(step, pool):
    """Warm-up, then batches of N steps (>= minSeconds, capped), each synchronised once at its end."""
    def run(n, start):
        t0 = time.perf_counter()
        for i in range(n):
            loss = step(*pool[(start + i) % len(pool)])
        loss.item()
        sync()
        return (time.perf_counter() - t0) / n

    first = run(1, 0)
    warm = cfg["warmup"] - 1 if first < 1 else 0
    est = run(warm, 1) if warm > 0 else first
    best = float("inf")
    for _ in range(cfg["rounds"]):  # best of `rounds` batches of N steps
        n = max(1, min(cfg["maxIters"], int(cfg["minSeconds"] / est + 0.999)))
        est = run(n, 1 + warm)
        best = min(best, est)
    return best


for w in cfg["widths"]:
    pool = batches()
    layers = make_mlp(w)
    print(f"mask-{w}", f"{time_step(mask_step(layers), pool) * 1e3:.3f}", flush=True)
    layers = make_mlp(w)
    opt = torch.optim.Adam(layers.parameters(), lr=1e-3)
    print(f"base-{w}", f"{time_step(base_step(layers, opt), pool) * 1e3:.3f}", flush=True)
    del layers, opt, pool
