"""PyTorch eager peer for bench/scan-step.ts: ms per base-training and per mask-training step of the SCAN LSTM.

Reads {"cases": [{"size", "batch", "hidden", "layers", "embedding", "dropout", "inputVocab", "outputVocab",
"sos", "samples", "beta", "baseLr", "baseClip", "maskLr", "maskClip", "batches": <path>}], "minSeconds": s,
"maxIters": n, "rounds": r, "warmup": w, "threads": t} as JSON on stdin; the batches file holds the pool that
bench/scan-step.ts times, [{"src": [[ids]], "srcLengths": [...], "decIn": [[ids]], "y": [[ids, -1 after]]}].
Prints `device <cpu|cuda>`, then `<base|mask>-<forced|greedy>-<size> <ms per step>`.

The model (experiments/scan-lstm.ts, models/seq2seq-lstm.ts): nn.Embedding → dropout → nn.LSTM (batch_first,
`layers` layers, dropout between them) encoder over pack_padded_sequence; its final (h, c) starts the decoder
nn.LSTM, fed the embedded (dropout) decoder inputs (teacher forcing: SOS + reference, one call) or its own
argmax (greedy: one single-step call per output position, for the batch's full target width); nn.Linear
over the output vocabulary. Loss: cross-entropy summed over the scored tokens (ignore_index −1) / B.
Base step: model.train(), Adam(baseLr) on all parameters, clip_grad_norm_(baseClip).
Mask step: model.eval() with frozen weights; one logit tensor (at 2.0) per weight matrix (every LSTM weight_ih /
weight_hh and the output layer's weight; no biases, no embeddings); K hard Gumbel-sigmoid samples with a
straight-through gradient (as torch_mask_step.py); the batch is cut into K contiguous slices and slice k runs
the model with W ⊙ m_k in place of W (a loop over the K slices, each through nn.LSTM's own kernel, rather than
a hand-written LSTM with torch.bmm over the K samples). The substitutes go into nn.LSTM's _flat_weights, the
list its forward hands to the LSTM kernel, and into F.linear: torch 1.13's functional_call leaves nn.LSTM on
its own weights (no gradient reaches the logits). Loss Σ_k CE_k / B + β/B·Σ l,
clip_grad_norm_(maskClip) on the logit gradients, Adam(maskLr).
A timed unit is one pass over the pool (each batch once); ms per step = unit time / pool size.
CPU: `threads` intra-op threads (OpenBLAS on LD_LIBRARY_PATH); CUDA: fp32, TF32 off.
"""
import json
import math
import sys
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch_seq_masks import ce_sum, mask_trainer
from torch_setup import setup

# cuDNN copies substituted (non-contiguous) LSTM weights into one buffer per call and warns each time.
warnings.filterwarnings("ignore", message=".*RNN module weights are not part of single contiguous chunk.*")

cfg, dev, sync = setup(1)


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, layers, p = c["hidden"], c["layers"], c["dropout"]
        self.sos = c["sos"]
        self.enc_emb = nn.Embedding(c["inputVocab"], c["embedding"])
        self.enc = nn.LSTM(c["embedding"], h, layers, batch_first=True, dropout=p)
        self.dec_emb = nn.Embedding(c["outputVocab"], c["embedding"])
        self.dec = nn.LSTM(c["embedding"], h, layers, batch_first=True, dropout=p)
        self.out = nn.Linear(h, c["outputVocab"])
        self.drop = nn.Dropout(p)

    @staticmethod
    def lstm(name, mod, x, state, w):
        """mod(x, state), with w[f"{name}.<param>"] in place of the parameters it names."""
        if not w:
            return mod(x, state)
        saved = mod._flat_weights
        mod._flat_weights = [w.get(f"{name}.{n}", p) for n, p in zip(mod._flat_weights_names, saved)]
        try:
            return mod(x, state)
        finally:
            mod._flat_weights = saved

    def forward(self, src, lengths, dec_in, forced, w=None):
        """Logits [B, T, V]; `w`: substitutes for parameters by name (mask training), else the model's own."""
        w = w or {}
        out_weight = w.get("out.weight", self.out.weight)
        packed = pack_padded_sequence(self.drop(self.enc_emb(src)), lengths, batch_first=True, enforce_sorted=False)
        _, state = self.lstm("enc", self.enc, packed, None, w)  # final (h, c) of every row, in the original order
        if forced:
            out, _ = self.lstm("dec", self.dec, self.drop(self.dec_emb(dec_in)), state, w)
            return F.linear(out, out_weight, self.out.bias)
        token = torch.full((src.shape[0],), self.sos, dtype=torch.long, device=src.device)
        logits = []
        for _ in range(dec_in.shape[1]):
            out, state = self.lstm("dec", self.dec, self.drop(self.dec_emb(token)).unsqueeze(1), state, w)
            y = F.linear(out[:, 0], out_weight, self.out.bias)
            logits.append(y)
            token = y.argmax(-1)
        return torch.stack(logits, 1)


def load_pool(path):
    with open(path) as f:
        raw = json.load(f)
    return [
        dict(
            src=torch.tensor(b["src"], dtype=torch.long, device=dev),
            lengths=torch.tensor(b["srcLengths"], dtype=torch.long),  # pack_padded_sequence wants them on the CPU
            dec_in=torch.tensor(b["decIn"], dtype=torch.long, device=dev),
            y=torch.tensor(b["y"], dtype=torch.long, device=dev),
        )
        for b in raw
    ]


def base_step(c, forced):
    model = Seq2Seq(c).to(dev).train()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=c["baseLr"])
    B = c["batch"]

    def step(b):
        opt.zero_grad(set_to_none=True)
        loss = ce_sum(model(b["src"], b["lengths"], b["dec_in"], forced), b["y"]) / B
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, c["baseClip"])
        opt.step()
        return loss

    return step


def mask_step(c, forced):
    model = Seq2Seq(c).to(dev).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    named = {n: p for n, p in model.named_parameters() if "emb" not in n and "bias" not in n}
    return mask_trainer(named, c, dev, lambda b, rows, w: model(b["src"][rows], b["lengths"][rows], b["dec_in"][rows], forced, w))


def time_step(step, pool):
    """As bench/lib/timing.ts: warm-up, then best of `rounds` batches of n units; a unit is a pass over the pool."""

    def run(n):
        t0 = time.perf_counter()
        for _ in range(n):
            for b in pool:
                loss = step(b)
        value = loss.item()
        sync()
        if not math.isfinite(value):
            print(f"warning: loss {value}", file=sys.stderr)
        return (time.perf_counter() - t0) / n

    first = run(1)
    more = max(math.ceil(0.05 / first) if first < 0.05 else 0, cfg["warmup"] - 1 if first < 1 else 0)
    est = run(more) if more > 0 else first
    best = float("inf")
    for _ in range(cfg["rounds"]):
        n = max(1, min(cfg["maxIters"], math.ceil(cfg["minSeconds"] / max(est, 1e-7))))
        est = run(n)
        best = min(best, est)
    return best / len(pool)


for c in cfg["cases"]:
    pool = load_pool(c["batches"])
    for kind, make in (("base", base_step), ("mask", mask_step)):
        for mode, forced in (("forced", True), ("greedy", False)):
            torch.manual_seed(1)
            ms = time_step(make(c, forced), pool) * 1e3
            print(f"{kind}-{mode}-{c['size']}", f"{ms:.3f}", flush=True)
