"""Writes the base network of a finished run of the authors' code as safetensors that `maskscope run
--weights` reads, so that our mask stages can run on their trained net (and the two halves of a
difference — base training or mask training — can be told apart).

usage: /usr/bin/python3 bench/compare/export-weights.py runs/compare/addmul/theirs-seed-1 theirs-base.safetensors
model_weights/model.pth (written when base training ends), else the last checkpoint/model-*.pth (the weights
are unchanged by the mask stages: their optimizer holds only the masks), holds layers_<index>_<weight|bias>;
they are written as layers.<index>.<kind>.
"""
import glob
import json
import os
import re
import struct
import sys

import torch

run, out = sys.argv[1], sys.argv[2]
# The checkpoint pickles objects of the authors' `framework` package: load it from their code's folder.
sys.path.insert(0, os.environ.get("MODULES_HOME", os.path.expanduser("~/.cache/maskscope-peers/modules")))
# model_weights/model.pth is written when base training ends; a checkpoint/model-*.pth when the run ends.
weights = os.path.join(run, "model_weights", "model.pth")
checkpoints = glob.glob(os.path.join(run, "checkpoint", "model-*.pth"))
path = weights if os.path.exists(weights) else max(checkpoints, key=lambda p: int(re.findall(r"(\d+)", p)[-1]))
state = torch.load(path, map_location="cpu")
model = state["parameters"] if "parameters" in state else state["model"]
tensors = {}
for key, value in model.items():
    m = re.match(r"(?:model_parameters\.)?layers_(\d+)_(weight|bias)$", key)
    if m:
        tensors[f"layers.{m.group(1)}.{m.group(2)}"] = value.detach().float().contiguous()
if not tensors:
    sys.exit(f"{path}: no model_parameters.layers_<i>_<weight|bias> entries (keys: {list(model)[:8]} …)")
# safetensors by hand (Debian has no `safetensors` package): header length, JSON header, f32 data.
header, blobs, offset = {}, [], 0
for name, t in sorted(tensors.items()):
    data = t.numpy().tobytes()
    header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
print(f"{out}: {len(tensors)} tensors from {path}")
