"""Tabulates runs/compare/<experiment>: mean ± std over seeds of each accuracy and per-layer IoU, ours beside
the authors' (see run.sh). Ours come from each seed's report.json; theirs from scalars.jsonl and the exported
final masks (logits; kept = logit > 0, as ours). Needs torch (Debian's python3-torch) to read the masks.

usage: python3 bench/compare/tabulate.py addmul|double-add runs/compare/<experiment>
"""
import glob
import json
import os
import statistics
import sys

import torch

exp, root = sys.argv[1], sys.argv[2]
# Our mask and eval-set names, and where the authors' code logs the same figure.
if exp == "addmul":
    A, B = "add", "mul"
    STAGES = {"full": "verify", A: A, B: B}
else:
    A, B = "pair1", "pair2"
    STAGES = {"full": "0", A: "1", B: "2"}
MASK_DIRS = {A: "stage_1", B: "stage_2"}


def last_scalars(path):
    """The last value of every scalar; "validation/..." keys as they stood when base training ended (the
    mask stages log the masked net's accuracy under the same keys)."""
    last, base = {}, None
    for line in open(path):
        row = json.loads(line)
        if base is None and any(k.startswith("analyzer/") for k in row):
            base = {k: v for k, v in last.items() if k.startswith("validation/")}
        last.update(row)
    return {**last, **(base or {})}


def their_accuracy(s, mask, on):
    if exp == "addmul":
        key = {"none": f"validation/{on}/accuracy",
               f"not_{A}": f"inverse_mask_test/{A}/{on}/accuracy",
               f"not_{B}": f"inverse_mask_test/{B}/{on}/accuracy"}.get(mask, f"analyzer/{STAGES.get(mask, mask)}/validation/{on}/accuracy")
        return s.get(key)
    # tuple_ff logs per-pair accuracies as .../iid/accuracy/tuple/<pair index>, and each stage's inverted
    # mask under split_<stage>: split_0 inverts the full mask, split_1 pair 1's, split_2 pair 2's.
    pair = "tuple/0" if on == A else "tuple/1"
    key = {"none": f"validation/iid/accuracy/{pair}",
           f"not_{A}": f"inverse_mask_test/split_1/iid/accuracy/{pair}",
           f"not_{B}": f"inverse_mask_test/split_2/iid/accuracy/{pair}"}.get(mask, f"analyzer/{STAGES.get(mask, mask)}/validation/iid/accuracy/{pair}")
    return s.get(key)


def their_masks(run, name):
    files = sorted(glob.glob(os.path.join(run, "export", "stage_final_masks", MASK_DIRS[name], "*.pth")),
                   key=lambda f: int(os.path.basename(f).split("_")[1]))
    return [torch.as_tensor(torch.load(f, map_location="cpu", weights_only=False)) > 0 for f in files]


def overlap(ma, mb):
    iou = [float((a & b).sum() / max(1, (a | b).sum())) for a, b in zip(ma, mb)]
    shared = float(sum((a & b).sum() for a, b in zip(ma, mb)) / max(1, sum(a.sum() for a in ma)))
    return iou, shared


def stat(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    sd = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f} (n={len(values)})"


def reports(prefix):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(root, prefix + "-seed-*", "report.json")))]


ours, clip, theirs = reports("ours"), reports("ours-clip"), {}
for run in sorted(glob.glob(os.path.join(root, "theirs-seed-*"))):
    if os.path.exists(os.path.join(run, "scalars.jsonl")):
        theirs[run] = (last_scalars(os.path.join(run, "scalars.jsonl")), run)

masks = ["none", "full", A, f"not_{A}", B, f"not_{B}"]
print(f"| {exp} | ours ({len(ours)} seeds) | ours, authorsClip ({len(clip)} seeds) | authors' ({len(theirs)} seeds) |")
print("| --- | --- | --- | --- |")
for m in masks:
    for on in (A, B):
        mine = [stat([r["accuracy"].get(m, {}).get(on) for r in rs]) for rs in (ours, clip)]
        their = [their_accuracy(s, m, on) for s, _ in theirs.values()]
        print(f"| accuracy {m} on {on} | {' | '.join(mine)} | {stat(their)} |")
their_overlaps = [overlap(their_masks(run, A), their_masks(run, B)) for _, run in theirs.values()]
n_layers = max([len(r["layers"]) for r in ours + clip] + [len(o[0]) for o in their_overlaps] + [0])
for i in range(n_layers):
    mine = [stat([r["layers"][i]["iou"] for r in rs if i < len(r["layers"])]) for rs in (ours, clip)]
    their = [o[0][i] for o in their_overlaps if i < len(o[0])]
    print(f"| IoU layer {i} | {' | '.join(mine)} | {stat(their)} |")
mine = [stat([r["totalShared"] for r in rs]) for rs in (ours, clip)]
print(f"| total shared | {' | '.join(mine)} | {stat([o[1] for o in their_overlaps])} |")
