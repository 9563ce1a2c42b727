/**
 * Scaled dot-product attention on the WebAssembly GEMM (matmul.fast.ts), the contracts of attention.ts:
 * per (batch, head) the score matrix S = q·kᵀ/√d is formed, masked and soft-maxed row by row (with the
 * dropout factors), and multiplied by v; the backward forms dS the same way. Unlike the GPU kernels it
 * keeps the [Tq, Tk] matrices (for all heads at once), which the CPU's memory affords at SCAN's sizes.
 */
import type { AttentionSpec, MatmulSpec } from '../../engine/backend.js';
import { dropFactors, keyEnd } from './attention.js';
import { matmulFast } from './matmul.fast.js';

/** Batched products over the batch·heads matrices: [bh, m, k] · [bh, k, n]. */
function products(a: Float32Array, b: Float32Array, s: AttentionSpec, m: number, n: number, k: number, transA: boolean, transB: boolean): Float32Array {
  const spec: MatmulSpec = { batch: s.batch * s.heads, m, n, k, transA, transB, batchStrideA: m * k, batchStrideB: k * n };
  return matmulFast(a, b, spec);
}

/** The probabilities P [bh, tq, tk] (zeros at masked keys) and each row's log-sum-exp. */
function probabilities(q: Float32Array, k: Float32Array, lengths: Int32Array, s: AttentionSpec): { probs: Float32Array; lse: Float64Array } {
  const scale = 1 / Math.sqrt(s.dHead);
  const probs = products(q, k, s, s.tq, s.tk, s.dHead, false, true);
  const lse = new Float64Array(s.batch * s.heads * s.tq);
  for (let row = 0; row < lse.length; row++) {
    const base = row * s.tk;
    const end = keyEnd(s, lengths, Math.floor(row / (s.heads * s.tq)), row % s.tq);
    let max = -Infinity;
    for (let j = base; j < base + end; j++) max = Math.max(max, probs[j] * scale);
    let sum = 0;
    for (let j = base; j < base + end; j++) sum += probs[j] = Math.exp(probs[j] * scale - max);
    for (let j = base; j < base + end; j++) probs[j] /= sum;
    probs.fill(0, base + end, base + s.tk);
    lse[row] = end > 0 ? max + Math.log(sum) : -Infinity;
  }
  return { probs, lse };
}

/** P = exp(S/√d − lse) from the forward's saved log-sum-exp: one exponential per score, no row passes. */
function savedProbabilities(q: Float32Array, k: Float32Array, stats: Float32Array, lengths: Int32Array, s: AttentionSpec): Float32Array {
  const scale = 1 / Math.sqrt(s.dHead);
  const probs = products(q, k, s, s.tq, s.tk, s.dHead, false, true);
  for (let row = 0; row < s.batch * s.heads * s.tq; row++) {
    const base = row * s.tk;
    const end = keyEnd(s, lengths, Math.floor(row / (s.heads * s.tq)), row % s.tq);
    const lse = stats[2 * row];
    for (let j = base; j < base + end; j++) probs[j] = Math.exp(probs[j] * scale - lse);
    probs.fill(0, base + end, base + s.tk);
  }
  return probs;
}

/** P ∘ M: the probabilities after dropout (a copy; P itself is needed by the backward). */
function dropped(probs: Float32Array, factors: Float32Array | null): Float32Array {
  return factors ? probs.map((p, at) => p * factors[at]) : probs;
}

export function attentionFast(q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, s: AttentionSpec): { out: Float32Array; stats: Float32Array } {
  const { probs, lse } = probabilities(q, k, lengths, s);
  const out = products(dropped(probs, dropFactors(s)), v, s, s.tq, s.dHead, s.tk, false, false);
  const stats = new Float32Array(2 * lse.length);
  lse.forEach((l, row) => (stats[2 * row] = l));
  return { out, stats };
}

export function attentionBackwardFast(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, dout: Float32Array, stats: Float32Array, lengths: Int32Array, s: AttentionSpec,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const d = s.dHead;
  const scale = 1 / Math.sqrt(d);
  const probs = savedProbabilities(q, k, stats, lengths, s);
  const factors = dropFactors(s);
  const dv = products(dropped(probs, factors), dout, s, s.tk, d, s.tq, true, false);
  // dS = P ∘ (M ∘ dout·vᵀ − Δ) / √d, Δ_row = dout_row · out_row.
  const ds = products(dout, v, s, s.tq, s.tk, d, false, true);
  for (let row = 0; row < s.batch * s.heads * s.tq; row++) {
    let delta = 0;
    for (let c = 0; c < d; c++) delta += dout[row * d + c] * out[row * d + c];
    for (let at = row * s.tk; at < (row + 1) * s.tk; at++) ds[at] = probs[at] * ((factors ? factors[at] : 1) * ds[at] - delta) * scale;
  }
  return {
    dq: products(ds, k, s, s.tq, d, s.tk, false, false),
    dk: products(ds, q, s, s.tk, d, s.tq, true, false),
    dv,
  };
}
