"""The set-up every PyTorch peer shares: read the JSON config from stdin, set the CPU threads, pick the
device (CUDA when present, fp32 with TF32 off), and announce it as `device <cpu|cuda>`."""
import json
import sys
import time

import torch


def setup(default_threads):
    """Returns (cfg, dev, sync): the config, "cuda" or "cpu", and a function that waits for the device."""
    cfg = json.load(sys.stdin)
    torch.set_num_threads(cfg.get("threads", default_threads))
    torch.manual_seed(0)
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    sync = torch.cuda.synchronize if dev == "cuda" else (lambda: None)
    print("device", dev, flush=True)
    return cfg, dev, sync


def best_ms(step, cfg, sync):
    """Milliseconds per step: the best of cfg["rounds"] timed batches of about cfg["minSeconds"] each."""
    def timed(n):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        sync()
        return (time.perf_counter() - t0) / n

    per = timed(1)
    best = float("inf")
    for _ in range(cfg["rounds"]):
        per = timed(max(1, min(1000, int(cfg["minSeconds"] / per))))
        best = min(best, per)
    return best * 1e3
