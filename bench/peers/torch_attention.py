"""PyTorch attention peer for bench/attention.ts: ms per forward+backward.

Reads {"cases": [{"name", "batch", "heads", "steps", "dHead"}], "minSeconds": s, "rounds": r, "threads": t} as
JSON on stdin; prints `device <cpu|cuda>`, then `<name> <ms>` per case. One step: attention of q, k, v
[B, H, T, d] (requiring gradients), loss (out * w).sum(), backward. F.scaled_dot_product_attention when
torch has it (2.0+), else its definition written out (softmax(q·kᵀ/√d)·v). CPU: `threads` intra-op
threads; CUDA: fp32, TF32 off.
"""
import math

import torch
import torch.nn.functional as F
from torch_setup import best_ms, setup

cfg, dev, sync = setup(2)
sdpa = getattr(F, "scaled_dot_product_attention", None)


def attention(q, k, v):
    if sdpa is not None:
        return sdpa(q, k, v)
    return torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), -1) @ v


for c in cfg["cases"]:
    shape = (c["batch"], c["heads"], c["steps"], c["dHead"])
    q, k, v = (torch.rand(shape, device=dev).mul(2).sub(1).requires_grad_() for _ in range(3))
    w = torch.rand(shape, device=dev)

    def step():
        for t in (q, k, v):
            t.grad = None
        (attention(q, k, v) * w).sum().backward()

    print(c["name"], f"{best_ms(step, cfg, sync):.3f}", flush=True)
