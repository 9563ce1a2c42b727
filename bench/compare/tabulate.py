"""Tabulates runs/compare/<experiment>: mean ± std over seeds of each figure, ours beside the authors' (see
run.sh). Ours come from each seed's report.json; theirs from scalars.jsonl and what their code exports (final
masks as logits, kept = logit > 0 as ours; class-removal confusion matrices). Needs torch (Debian's
python3-torch) to read those.

usage: python3 bench/compare/tabulate.py addmul|double-add|scan-lstm|scan-transformer|class-removal runs/compare/<experiment>
"""
import glob
import json
import os
import statistics
import sys

import torch

exp, root = sys.argv[1], sys.argv[2]


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


def stat(values):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    sd = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f} (n={len(values)})"


def reports(prefix):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(root, prefix + "-seed-*", "report.json")))]


def their_runs():
    """(last scalars, run folder) of every finished run of the authors' code."""
    runs = sorted(glob.glob(os.path.join(root, "theirs-seed-*")))
    return [(last_scalars(os.path.join(r, "scalars.jsonl")), r) for r in runs if os.path.exists(os.path.join(r, "scalars.jsonl"))]


def load(path):
    return torch.as_tensor(torch.load(path, map_location="cpu", weights_only=False))


def their_masks(run, stage):
    """Stage `stage`'s final masks (kept = logit > 0), by tensor name."""
    files = glob.glob(os.path.join(run, "export", "stage_final_masks", f"stage_{stage}", "*.pth"))
    return {os.path.basename(f)[:-4]: load(f) > 0 for f in files}


def row(label, mine, theirs):
    print(f"| {label} | {' | '.join(stat(m) for m in mine)} | {stat(theirs)} |")


def mlp():
    """addmul and double-add: two task masks (A, B), their inverses, per-layer IoU and total shared."""
    if exp == "addmul":
        A, B = "add", "mul"
        stages = {"full": "verify", A: A, B: B}
    else:
        A, B = "pair1", "pair2"
        stages = {"full": "0", A: "1", B: "2"}

    def their_accuracy(s, mask, on):
        if exp == "addmul":
            key = {"none": f"validation/{on}/accuracy",
                   f"not_{A}": f"inverse_mask_test/{A}/{on}/accuracy",
                   f"not_{B}": f"inverse_mask_test/{B}/{on}/accuracy"}.get(mask, f"analyzer/{stages.get(mask, mask)}/validation/{on}/accuracy")
            return s.get(key)
        # tuple_ff logs per-pair accuracies as .../iid/accuracy/tuple/<pair index>, and each stage's inverted
        # mask under split_<stage>: split_0 inverts the full mask, split_1 pair 1's, split_2 pair 2's.
        pair = "tuple/0" if on == A else "tuple/1"
        key = {"none": f"validation/iid/accuracy/{pair}",
               f"not_{A}": f"inverse_mask_test/split_1/iid/accuracy/{pair}",
               f"not_{B}": f"inverse_mask_test/split_2/iid/accuracy/{pair}"}.get(mask, f"analyzer/{stages.get(mask, mask)}/validation/iid/accuracy/{pair}")
        return s.get(key)

    def layers(run, stage):
        masks = their_masks(run, stage)
        return [masks[k] for k in sorted(masks, key=lambda k: int(k.split("_")[1]))]

    def overlap(ma, mb):
        iou = [float((a & b).sum() / max(1, (a | b).sum())) for a, b in zip(ma, mb)]
        shared = float(sum((a & b).sum() for a, b in zip(ma, mb)) / max(1, sum(a.sum() for a in ma)))
        return iou, shared

    ours, clip, theirs = reports("ours"), reports("ours-clip"), their_runs()
    print(f"| {exp} | ours ({len(ours)} seeds) | ours, authorsClip ({len(clip)} seeds) | authors' ({len(theirs)} seeds) |")
    print("| --- | --- | --- | --- |")
    for m in ["none", "full", A, f"not_{A}", B, f"not_{B}"]:
        for on in (A, B):
            row(f"accuracy {m} on {on}", [[r["accuracy"].get(m, {}).get(on) for r in rs] for rs in (ours, clip)],
                [their_accuracy(s, m, on) for s, _ in theirs])
    their_overlaps = [overlap(layers(run, 1), layers(run, 2)) for _, run in theirs]
    n_layers = max([len(r["layers"]) for r in ours + clip] + [len(o[0]) for o in their_overlaps] + [0])
    for i in range(n_layers):
        row(f"IoU layer {i}", [[r["layers"][i]["iou"] for r in rs if i < len(r["layers"])] for rs in (ours, clip)],
            [o[0][i] for o in their_overlaps if i < len(o[0])])
    row("total shared", [[r["totalShared"] for r in rs] for rs in (ours, clip)], [o[1] for o in their_overlaps])


def scan():
    """scan-lstm and scan-transformer: every mask on every test set, and the share of the JUMP output row the jump mask
    removes (of what the full mask keeps) beside the largest share of any other token's row."""
    # Our eval sets and stage names → theirs (stages: 0 simple, 1 jump, 2 length, 3 turn_left).
    sets = {"simple": "iid", "length": "length", "addprim_jump": "jump", "addprim_turn_left": "turn_left"}
    stages = {"full": "simple", "jump": "jump", "length": "length", "turn_left": "turn_left"}
    ours, theirs = reports("ours"), their_runs()

    def their_accuracy(s, mask, on):
        if mask == "none":  # the net before any mask: the validation at the last base step
            return s.get(f"validation/{sets[on]}/accuracy/total")
        return s.get(f"analysis_results/{stages[mask]}/{sets[on]}/accuracy/total")

    def removed(run):
        """Per output token, % of the full mask's row that the jump mask removes (their out vocabulary)."""
        layer = "output_map_weight" if exp == "scan-transformer" else "decoder_output_projection_weight"
        full, jump = their_masks(run, 0)[layer], their_masks(run, 1)[layer]
        return {w: 100 * float((full[i] & ~jump[i]).sum() / max(1, full[i].sum())) for w, i in THEIR_OUT_VOCAB.items()}

    print(f"| {exp}: accuracy | ours ({len(ours)} seeds) | authors' ({len(theirs)} seeds) |")
    print("| --- | --- | --- |")
    for m in ["none", *stages]:
        for on in sets:
            row(f"{m} on {on}", [[r["accuracy"].get(m, {}).get(on) for r in ours]], [their_accuracy(s, m, on) for s, _ in theirs])
    their_removed = [removed(run) for _, run in theirs]
    row("JUMP row removed %", [[r["tokenRemoved"].get("I_JUMP") for r in ours]], [t["I_JUMP"] for t in their_removed])
    row("largest other row removed %", [[max(v for k, v in r["tokenRemoved"].items() if k != "I_JUMP") for r in ours]],
        [max(v for k, v in t.items() if k != "I_JUMP") for t in their_removed])


# The authors' SCAN output vocabulary (their cache/scan/scan.pth, built from the official files); the output
# layer's last row is EOS (n_out), as ours.
THEIR_OUT_VOCAB = {"I_TURN_LEFT": 0, "I_TURN_RIGHT": 1, "I_JUMP": 2, "I_WALK": 3, "I_RUN": 4, "I_LOOK": 5, "EOS": 6}


def class_removal():
    """cnn-class-removal: per class, the removed class's relative drop against the full mask and the largest
    relative drop of any other class, from their confusion exports (rows = true class, row-normalised).
    An "ours, authorsClip" column appears when ours-clip-seed-* runs exist (our masks on the same base nets,
    clipped as the authors' code clips)."""
    ours, clip, theirs = reports("ours"), reports("ours-clip"), their_runs()
    sides = [ours, clip] if clip else [ours]
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    def drops(run):
        ref = load(os.path.join(run, "export", "class_removal", "confusion_reference.pth")).diagonal()
        out = {}
        for c, name in enumerate(names):
            now = ref + load(os.path.join(run, "export", "class_removal", "confusion_difference", name + ".pth")).diagonal()
            rel = [float((ref[i] - now[i]) / ref[i]) if ref[i] > 0 else 0.0 for i in range(len(names))]
            out[c] = (rel[c], max(r for i, r in enumerate(rel) if i != c))
        return out

    def specific(removed, worst):  # report/class-removal.ts specificClasses
        return removed >= 0.25 and removed >= 2 * max(worst, 0)

    their_drops = [drops(run) for _, run in theirs]
    clip_head = f" ours, authorsClip ({len(clip)} seeds) |" if clip else ""
    print(f"| {exp} | ours ({len(ours)} seeds) |{clip_head} authors' ({len(theirs)} seeds) |")
    print("| --- | --- |" + (" --- |" if clip else "") + " --- |")
    row("accuracy, no mask (mean over classes)", [[statistics.mean(r["accuracy"]["none"].values()) for r in rs] for rs in sides],
        [s.get("validation/iid/accuracy") for s, _ in theirs])
    for c, name in enumerate(names):
        d = [[r["classRemoval"].get(f"class-{c}") for r in rs] for rs in sides]
        row(f"{name}: removed class's drop", [[x["removedDrop"] for x in ds if x] for ds in d], [t[c][0] for t in their_drops])
        row(f"{name}: worst other class's drop", [[x["worstOtherDrop"] for x in ds if x] for ds in d], [t[c][1] for t in their_drops])
    row("classes removed specifically (of 10)",
        [[sum(specific(x["removedDrop"], x["worstOtherDrop"]) for x in r["classRemoval"].values()) for r in rs] for rs in sides],
        [sum(specific(*t[c]) for c in t) for t in their_drops])


{"addmul": mlp, "double-add": mlp, "scan-lstm": scan, "scan-transformer": scan, "class-removal": class_removal}[exp]()
