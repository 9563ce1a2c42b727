"""Base training of the addmul MLP in bare PyTorch, to tell which training difference moves the × accuracy.

The authors' recipe (42 → 256×4 → 20, PyTorch's default Linear init, Adam 1e-3, global-norm clip 1, batch 128,
cross-entropy averaged over the 2 output digits, 15,000 steps), evaluated on their + and × validation sets.
One knob at a time:
  --data authors   their fixed train set (10⁶ samples from numpy RandomState(0x12345678)), drawn with replacement
  --data fresh     a new uniform (a, b, op) for every row of every step (what maskscope's generator amounts to)
  --data FILE      the batches maskscope drew, as bytes (a, b, op) per row (addmul-base.ts batches writes them;
                   {seed} in FILE is replaced)
  --clip 0         no gradient clipping
  --init FILE      start from these weights (raw f32, layer by layer weight then bias, as addmul-base.ts init
                   writes ours; {seed} in FILE is replaced)
Prints one line of JSON per run: accuracy % and the mean training loss over each fifth of the steps.

  /usr/bin/python3 bench/compare/base-probe.py --data authors --seeds 1,2,3
  npx tsx bench/compare/addmul-base.ts batches 1 /tmp/b-1.bin && npx tsx bench/compare/addmul-base.ts init 1 /tmp/i-1.bin
  /usr/bin/python3 bench/compare/base-probe.py --data /tmp/b-{seed}.bin --init /tmp/i-{seed}.bin --seeds 1
(OpenBLAS: LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread; the runs set torch to 1 thread.)
"""
import argparse, json, time
import numpy as np
import torch
import torch.nn.functional as F


def split_digits(nums):
    return np.stack([nums % 10, nums // 10 % 10], -1)


def encode(args, op):
    a = F.one_hot(torch.from_numpy(split_digits(args)).long(), 10).flatten(1)
    return torch.cat([a.float(), F.one_hot(torch.from_numpy(op).long(), 2).float()], -1)


def targets(args, op):
    res = np.where(op == 0, args[:, 0] + args[:, 1], args[:, 0] * args[:, 1]) % 100
    return torch.from_numpy(split_digits(res)).long()


def authors_set(split, n):
    rs = np.random.RandomState(0x12345678 + ["train", "test", "valid"].index(split))
    return rs.randint(0, 100, (n, 2)), rs.randint(0, 2, (n,))


def run(data, seed, steps, clip, init=None):
    torch.manual_seed(seed)
    rng = np.random.RandomState(seed)
    sizes = [42, 256, 256, 256, 256, 20]
    layers = torch.nn.ModuleList(torch.nn.Linear(i, o) for i, o in zip(sizes, sizes[1:]))

    def forward(x):
        for i, l in enumerate(layers):
            x = l(F.relu(x) if i else x)
        return x.view(x.shape[0], 2, 10)

    if init:
        flat, o = np.fromfile(init, np.float32), 0
        with torch.no_grad():
            for p in (p for l in layers for p in (l.weight, l.bias)):
                p.copy_(torch.from_numpy(flat[o:o + p.numel()].reshape(p.shape)))
                o += p.numel()
    opt = torch.optim.Adam(layers.parameters(), 1e-3)
    train_args, train_op = authors_set("train", 1_000_000)
    dumped = None if data in ("authors", "fresh") else np.fromfile(data, np.uint8).reshape(-1, 128, 3).astype(np.int64)
    t0 = time.time()
    window, losses = steps // 5, []
    for step in range(steps):
        if data == "authors":
            idx = rng.randint(0, len(train_op), 128)
            args, op = train_args[idx], train_op[idx]
        elif dumped is not None:
            args, op = dumped[step, :, :2], dumped[step, :, 2]
        else:
            args, op = rng.randint(0, 100, (128, 2)), rng.randint(0, 2, (128,))
        opt.zero_grad()
        loss = F.cross_entropy(forward(encode(args, op)).flatten(end_dim=-2), targets(args, op).flatten())
        loss.backward()
        losses.append(loss.item())
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(layers.parameters(), clip)
        opt.step()
    acc = {}
    valid_args, valid_op = authors_set("valid", 10_000)
    with torch.no_grad():
        for name, code in (("add", 0), ("mul", 1)):
            a, o = valid_args[valid_op == code], valid_op[valid_op == code]
            pred = forward(encode(a, o)).argmax(-1)
            acc[name] = round(100 * (pred == targets(a, o)).all(-1).float().mean().item(), 2)
    mean_loss = [round(float(np.mean(losses[i:i + window])), 4) for i in range(0, steps, window)]
    return {"data": data, "seed": seed, "steps": steps, "clip": clip, "accuracy": acc, "meanLoss": mean_loss,
            "seconds": round(time.time() - t0)}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="authors", help="authors, fresh or a file of dumped batches")
    p.add_argument("--seeds", default="1")
    p.add_argument("--steps", type=int, default=15000)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--init", help="initial weights: raw f32 in layer order (weight, bias), {seed} replaced")
    a = p.parse_args()
    torch.set_num_threads(1)
    for s in a.seeds.split(","):
        init = a.init.replace("{seed}", s) if a.init else None
        print(json.dumps(run(a.data.replace("{seed}", s), int(s), a.steps, a.clip, init)), flush=True)
