"""torch.nn.LSTM peer for bench/lstm.ts: ms per forward+backward.

Reads {"cases": [{"name", "batch", "steps", "input", "hidden", "layers"}], "minSeconds": s, "rounds": r,
"threads": t} as JSON on stdin; prints `device <cpu|cuda>`, then `<name> <ms>` per case. One step: the
batch-first LSTM from a zero state over a fixed input (which needs no gradient), loss (out * w).sum(),
backward into the weights. CPU: `threads` intra-op threads (OpenBLAS on LD_LIBRARY_PATH); CUDA: cuDNN, fp32, TF32 off.
"""

import torch
from torch_setup import best_ms, setup

cfg, dev, sync = setup(2)


for c in cfg["cases"]:
    lstm = torch.nn.LSTM(c["input"], c["hidden"], c["layers"], batch_first=True).to(dev)
    x = torch.rand(c["batch"], c["steps"], c["input"], device=dev) * 2 - 1
    w = torch.rand(c["batch"], c["steps"], c["hidden"], device=dev)

    def step():
        lstm.zero_grad(set_to_none=True)
        out, _ = lstm(x)
        (out * w).sum().backward()

    print(c["name"], f"{best_ms(step, cfg, sync):.3f}", flush=True)
