"""Writes a maskscope base network (safetensors, layers.<i>.<weight|bias>) as the authors' pretrained-weights
file, so that their mask stages can run on our trained net (the reverse of export-weights.py):

usage: /usr/bin/python3 bench/compare/import-weights.py runs/compare/addmul/ours-seed-1/seed-1/base.safetensors DIR
then:  run-official NAME <the same task arguments> -restore_pretrained DIR
Their loader reads DIR/0/model.pth (0 = the sweep index) holding model_parameters' state dict, keys layers_<i>_<kind>.
"""
import json
import os
import re
import struct
import sys

import torch

src, out = sys.argv[1], sys.argv[2]
with open(src, "rb") as f:
    (length,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(length))
    data = f.read()
state = {}
for name, info in header.items():
    m = re.match(r"layers\.(\d+)\.(weight|bias)$", name)
    if not m:
        continue
    if info["dtype"] != "F32":
        sys.exit(f"{src}: {name} is {info['dtype']}, expected F32")
    start, end = info["data_offsets"]
    t = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info["shape"])
    state[f"layers_{m.group(1)}_{m.group(2)}"] = t.clone()
if not state:
    sys.exit(f"{src}: no layers.<i>.<weight|bias> tensors")
os.makedirs(os.path.join(out, "0"), exist_ok=True)
torch.save(state, os.path.join(out, "0", "model.pth"))
print(f"wrote {len(state)} tensors to {out}/0/model.pth")
