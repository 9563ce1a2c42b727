"""torch.matmul peer for bench/matmul.ts.

Reads {"minSeconds": s, "cases": [{"name", "m", "k", "n", "transB"}]} as JSON on stdin and prints
`device <cpu|cuda>`, then `<name> <GFLOP/s>` per case. CPU: 2 threads (run with OpenBLAS on
LD_LIBRARY_PATH); CUDA: full fp32 (TF32 off).
"""
import json
import sys
import time

import torch

torch.set_num_threads(2)
dev = "cuda" if torch.cuda.is_available() else "cpu"
torch.backends.cuda.matmul.allow_tf32 = False
sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
cfg = json.load(sys.stdin)
print("device", dev, flush=True)


def batch(a, b, n):
    t0 = time.perf_counter()
    for _ in range(n):
        torch.matmul(a, b)
    sync()
    return time.perf_counter() - t0


with torch.no_grad():
    for c in cfg["cases"]:
        m, k, n = c["m"], c["k"], c["n"]
        a = torch.rand(m, k, device=dev) * 2 - 1
        b = (torch.rand(n, k, device=dev) * 2 - 1).t() if c["transB"] else torch.rand(k, n, device=dev) * 2 - 1
        per = batch(a, b, 1)
        per = batch(a, b, max(1, int(0.05 / per))) / max(1, int(0.05 / per))
        iters = max(1, min(1000, int(cfg["minSeconds"] / per)))
        per = batch(a, b, iters) / iters
        print(c["name"], f"{2 * m * n * k / per / 1e9:.2f}", flush=True)
