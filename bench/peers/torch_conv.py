"""PyTorch conv peer for bench/conv.ts: ms per forward+backward.

Reads {"cases": [{"name", "kind", "batch", "size", "channels"}], "minSeconds": s, "rounds": r, "threads": t}
as JSON on stdin; prints `device <cpu|cuda>`, then `<name> <ms>` per case. kind "conv": one 3×3
convolution with padding 1 (weight and bias requiring gradients); kind "cnn": the class-removal CNN
(models/cnn.ts, the authors' layout) without dropout. Loss (out * w).sum(), then backward. CPU: `threads`
intra-op threads; CUDA: fp32, TF32 off.
"""
import torch
import torch.nn.functional as F
from torch_setup import best_ms, setup

cfg, dev, sync = setup(2)


def cnn(channels):
    widths = [1] + channels
    layers = []
    for i, out in enumerate(channels):
        layers.append(torch.nn.Conv2d(widths[i], out, 3, padding=1))
        layers.append(torch.nn.ReLU())
        if i < 3:
            layers.append(torch.nn.MaxPool2d(2))
    body = torch.nn.Sequential(*layers)
    head = torch.nn.Linear(channels[3], 10)
    return torch.nn.ModuleList([body, head]).to(dev), lambda x: head(body(x).mean(dim=(2, 3)))


for c in cfg["cases"]:
    cin = c["channels"][0] if c["kind"] == "conv" else 1
    x = torch.rand((c["batch"], cin, c["size"], c["size"]), device=dev).mul(2).sub(1)
    if c["kind"] == "conv":
        conv = torch.nn.Conv2d(cin, c["channels"][1], 3, padding=1).to(dev)
        params, forward = list(conv.parameters()), conv
    else:
        module, forward = cnn(c["channels"])
        params = list(module.parameters())
    w = torch.rand(forward(x).shape, device=dev)

    def step():
        for p in params:
            p.grad = None
        (forward(x) * w).sum().backward()

    print(c["name"], f"{best_ms(step, cfg, sync):.3f}", flush=True)
