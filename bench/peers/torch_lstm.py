"""torch.nn.LSTM peer for bench/lstm.ts: ms per forward+backward.

Reads {"cases": [{"name", "batch", "steps", "input", "hidden", "layers"}], "minSeconds": s, "rounds": r,
"threads": t} as JSON on stdin; prints `device <cpu|cuda>`, then `<name> <ms>` per case. One step: the
batch-first LSTM from a zero state over a fixed input (which needs no gradient), loss (out * w).sum(),
backward into the weights. CPU: `threads` intra-op threads (OpenBLAS on LD_LIBRARY_PATH); CUDA: cuDNN, fp32, TF32 off.
"""
import time

import torch
from torch_setup import setup

cfg, dev, sync = setup(2)


def timed(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    sync()
    return (time.perf_counter() - t0) / n


for c in cfg["cases"]:
    lstm = torch.nn.LSTM(c["input"], c["hidden"], c["layers"], batch_first=True).to(dev)
    x = torch.rand(c["batch"], c["steps"], c["input"], device=dev) * 2 - 1
    w = torch.rand(c["batch"], c["steps"], c["hidden"], device=dev)

    def step():
        lstm.zero_grad(set_to_none=True)
        out, _ = lstm(x)
        (out * w).sum().backward()

    per = timed(step, 1)
    best = float("inf")
    for _ in range(cfg["rounds"]):
        per = timed(step, max(1, min(1000, int(cfg["minSeconds"] / per))))
        best = min(best, per)
    print(c["name"], f"{best * 1e3:.3f}", flush=True)
