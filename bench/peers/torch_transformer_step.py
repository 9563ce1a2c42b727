"""PyTorch eager peer for `bench/scan-step.ts --model transformer`: ms per base-training and per mask-training
step of the SCAN Transformer, teacher-forced (the experiment always is).

Reads {"cases": [{"size", "batch", "size_d", "heads", "ff", "encoderLayers", "decoderLayers", "dropout",
"inputVocab", "outputVocab", "samples", "beta", "baseLr", "baseClip", "maskLr", "maskClip", "batches": <path>}],
"minSeconds": s, "maxIters": n, "rounds": r, "warmup": w, "threads": t} as JSON on stdin; the batches file is
the pool bench/scan-step.ts times ([{"src", "srcLengths", "decIn", "y"}], as for torch_scan_step.py).
Prints `device <cpu|cuda>`, then `<base|mask>-forced-<size> <ms per step>`.

The model is the authors' (models/transformer.ts; test/fixtures/make_transformer_fixture.py re-implements it
without dropout): post-norm encoder and decoder layers with their LayerNorm (x − mean)/(unbiased std + eps),
k and v from one Linear(d, 2d) interleaved per head, no attention biases, ReLU feed-forward, sinusoidal
positions, dropout on the embeddings, the attention probabilities and after every sublayer and the
feed-forward's hidden layer. Loss: Σ token cross-entropies (ignore_index −1) / B.
Base step: model.train(), Adam(baseLr) on all parameters, clip_grad_norm_(baseClip).
Mask step: model.eval(), weights frozen; one logit tensor (at 2.0) per parameter but the embeddings and the
Linear biases (LayerNorm gains and biases included, as maskscope's targets); K hard Gumbel-sigmoid samples with
a straight-through gradient; batch slice k runs through functional_call with W ⊙ m_k. Loss Σ_k CE_k / B +
β/B·Σ l, clip_grad_norm_(maskClip) on the logits, Adam(maskLr).
CPU: `threads` intra-op threads (OpenBLAS on LD_LIBRARY_PATH); CUDA: fp32, TF32 off.
"""
import json
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.stateless import functional_call
from torch_seq_masks import ce_sum, mask_trainer
from torch_setup import best_ms, setup

cfg, dev, sync = setup(1)


class LayerNorm(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(n))
        self.beta = nn.Parameter(torch.zeros(n))

    def forward(self, x):
        return (x - x.mean(-1, keepdim=True)) / (x.std(-1, keepdim=True) + 1e-5) * self.gamma + self.beta


class MHA(nn.Module):
    def __init__(self, d, heads, p):
        super().__init__()
        self.heads, self.dh, self.p = heads, d // heads, p
        self.multi_head_merge = nn.Linear(d, d, bias=False)
        self.data_to_kv = nn.Linear(d, 2 * d, bias=False)
        self.data_to_q = nn.Linear(d, d, bias=False)

    def forward(self, cur, att, causal=False, key_pad=None):
        b, tq, d = cur.shape
        tk = att.shape[1]
        kv = self.data_to_kv(att).view(b, tk, self.heads, 2, self.dh).permute(0, 2, 1, 3, 4)
        k, v = kv[:, :, :, 0], kv[:, :, :, 1]
        q = self.data_to_q(cur).view(b, tq, self.heads, self.dh).permute(0, 2, 1, 3)
        logits = q @ k.transpose(-2, -1) / math.sqrt(self.dh)
        if causal:
            logits = logits.masked_fill(torch.ones(tq, tk, dtype=torch.bool, device=cur.device).triu(1), float("-inf"))
        if key_pad is not None:
            logits = logits.masked_fill(key_pad[:, None, None, :], float("-inf"))
        probs = F.dropout(torch.softmax(logits, -1), self.p, self.training)
        return self.multi_head_merge((probs @ v).permute(0, 2, 1, 3).reshape(b, tq, d))


class Layer(nn.Module):
    def __init__(self, d, heads, ff, p, decoder):
        super().__init__()
        self.p = p
        self.self_attn = MHA(d, heads, p)
        if decoder:
            self.multihead_attn = MHA(d, heads, p)
        self.linear1, self.linear2 = nn.Linear(d, ff), nn.Linear(ff, d)
        self.norm1, self.norm2 = LayerNorm(d), LayerNorm(d)
        if decoder:
            self.norm3 = LayerNorm(d)

    def drop(self, x):
        return F.dropout(x, self.p, self.training)

    def forward(self, x, pad, mem=None):
        x = self.norm1(x + self.drop(self.self_attn(x, x, causal=mem is not None, key_pad=None if mem is not None else pad)))
        last = self.norm2
        if mem is not None:
            x = self.norm2(x + self.drop(self.multihead_attn(x, mem, key_pad=pad)))
            last = self.norm3
        return last(x + self.drop(self.linear2(self.drop(F.relu(self.linear1(x))))))


def positions(t, d):
    pe = torch.zeros(t, d)
    p = torch.arange(t, dtype=torch.float).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    pe[:, 0::2], pe[:, 1::2] = torch.sin(p * div), torch.cos(p * div)
    return pe.to(dev)


class Model(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, p = c["size_d"], c["dropout"]
        self.d, self.p = d, p
        self.input_embedding = nn.Embedding(c["inputVocab"], d)
        self.output_embedding = nn.Embedding(c["outputVocab"], d)
        self.output_map = nn.Linear(d, c["outputVocab"])
        self.enc = nn.ModuleList([Layer(d, c["heads"], c["ff"], p, False) for _ in range(c["encoderLayers"])])
        self.dec = nn.ModuleList([Layer(d, c["heads"], c["ff"], p, True) for _ in range(c["decoderLayers"])])

    def embed(self, table, ids):
        return F.dropout(table(ids) + positions(ids.shape[1], self.d), self.p, self.training)

    def forward(self, src, pad, dec_in):
        mem = self.embed(self.input_embedding, src)
        for layer in self.enc:
            mem = layer(mem, pad)
        x = self.embed(self.output_embedding, dec_in)
        for layer in self.dec:
            x = layer(x, pad, mem)
        return self.output_map(x)


def load_pool(path):
    with open(path) as f:
        raw = json.load(f)
    pool = []
    for b in raw:
        src = torch.tensor(b["src"], dtype=torch.long, device=dev)
        lengths = torch.tensor(b["srcLengths"], dtype=torch.long, device=dev)
        pad = torch.arange(src.shape[1], device=dev)[None, :] >= lengths[:, None]
        pool.append(dict(src=src, pad=pad, dec_in=torch.tensor(b["decIn"], dtype=torch.long, device=dev),
                         y=torch.tensor(b["y"], dtype=torch.long, device=dev)))
    return pool


def base_step(c):
    model = Model(c).to(dev).train()
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=c["baseLr"])

    def step(b):
        opt.zero_grad(set_to_none=True)
        loss = ce_sum(model(b["src"], b["pad"], b["dec_in"]), b["y"]) / c["batch"]
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, c["baseClip"])
        opt.step()
        return loss

    return step


def mask_step(c):
    model = Model(c).to(dev).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    named = {n: p for n, p in model.named_parameters() if "embedding" not in n and not n.endswith(".bias")}
    return mask_trainer(named, c, dev, lambda b, rows, w: functional_call(model, w, (b["src"][rows], b["pad"][rows], b["dec_in"][rows])))


for c in cfg["cases"]:
    pool = load_pool(c["batches"])
    for kind, make in (("base", base_step), ("mask", mask_step)):
        torch.manual_seed(1)
        step = make(c)

        def unit():
            for b in pool:
                loss = step(b)
            if not math.isfinite(loss.item()):
                print("warning: non-finite loss", flush=True)

        unit()  # warm-up: every batch shape once
        print(f"{kind}-forced-{c['size']}", f"{best_ms(unit, cfg, sync) / len(pool):.3f}", flush=True)
