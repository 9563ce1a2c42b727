/**
 * Fused scaled dot-product attention, twins of kernels/cpu/attention.ts. The forward runs one thread per
 * query row: it streams over the keys with an online softmax (running max and sum, the output rescaled
 * as the max grows), so no T×T matrix exists in memory, and stores the row's log-sum-exp. The backward
 * recomputes the probabilities from it: one thread per query row for dQ (also storing Δ = dout·out),
 * then one thread per key row for dK and dV, so every gradient element has a single writer. Each row's
 * [log-sum-exp, Δ] share one buffer, which keeps the key pass within 8 storage buffers.
 * Rows are held in private arrays of MAX_HEAD floats (the op refuses larger heads).
 */
import type { AttentionSpec } from '../../engine/backend.js';
import { streamKeys } from '../../engine/random.js';
import type { BufferDecl, Program, UniformDecl, UniformValues } from './program.js';
import { RANDOM } from './snippets.js';

export const MAX_HEAD = 128;

const UNIFORMS: UniformDecl[] = [
  ...['batch', 'heads', 'tq', 'tk', 'd', 'causal', 'has_lengths'].map((name) => ({ name, type: 'u32' as const })),
  { name: 'scale', type: 'f32' },
  { name: 'drop_rate', type: 'f32' },
  { name: 'inner', type: 'u32' },
  { name: 'outer', type: 'u32' },
];

export const attentionUniforms = (s: AttentionSpec): UniformValues => ({
  batch: s.batch, heads: s.heads, tq: s.tq, tk: s.tk, d: s.dHead, causal: s.causal ? 1 : 0, has_lengths: s.hasLengths ? 1 : 0, scale: 1 / Math.sqrt(s.dHead),
  drop_rate: s.dropout.rate, ...streamKeys(s.dropout.seed, s.dropout.stream),
});

const f32 = (name: string, write = false): BufferDecl => ({ name, type: 'f32', write });
const LENGTHS: BufferDecl = { name: 'lengths', type: 'i32' };

/** The keys query row i of batch row b may attend to: [0, key_end). */
const KEY_END = /* wgsl */ `
fn key_end(b: u32, i: u32) -> u32 {
  var end = p.tk;
  if (p.has_lengths == 1u) { end = u32(clamp(lengths[b], 0, i32(p.tk))); }
  if (p.causal == 1u) { end = min(end, i + 1u); }
  return end;
}
// The dropout factor of probability (row, key), from the counter RNG as on the CPU (1 without dropout).
fn drop_factor(row: u32, key: u32) -> f32 {
  if (p.drop_rate == 0.0) { return 1.0; }
  let u = bits_to_uniform(random_bits(p.inner, p.outer, row * p.tk + key));
  return select(0.0, 1.0 / (1.0 - p.drop_rate), u > p.drop_rate);
}
fn dot_rows(x_at: u32, y_at: u32) -> f32 {
  var acc = 0.0;
  for (var c = 0u; c < p.d; c++) { acc += q[x_at + c] * k[y_at + c]; }
  return acc;
}`;

/** One thread per query row (batch·heads·tq). */
export const ATTENTION_FORWARD: Program = {
  name: 'attention',
  buffers: [f32('q'), f32('k'), f32('v'), LENGTHS, f32('out', true), f32('stats', true)],
  uniforms: UNIFORMS,
  workgroupSize: 64,
  launch: 'threads',
  helpers: [RANDOM, KEY_END],
  body: /* wgsl */ `
  let bh = i / p.tq;
  let row = i % p.tq;
  let qi = i * p.d;
  let end = key_end(bh / p.heads, row);
  var acc: array<f32, ${MAX_HEAD}>;
  var m = -0x1.fffffep+127f;
  var l = 0.0;
  for (var j = 0u; j < end; j++) {
    let kj = (bh * p.tk + j) * p.d;
    let s = dot_rows(qi, kj) * p.scale;
    let m_new = max(m, s);
    let rescale = exp(m - m_new);
    let w = exp(s - m_new);
    l = l * rescale + w;
    let wd = w * drop_factor(i, j);
    for (var c = 0u; c < p.d; c++) { acc[c] = acc[c] * rescale + wd * v[kj + c]; }
    m = m_new;
  }
  if (end == 0u) {
    for (var c = 0u; c < p.d; c++) { out[qi + c] = 0.0; }
    stats[2u * i] = -0x1.fffffep+127f;
    return;
  }
  for (var c = 0u; c < p.d; c++) { out[qi + c] = acc[c] / l; }
  stats[2u * i] = m + log(l);`,
};

/**
 * For the backward passes: probability (row r, key j) recomputed from the row's log-sum-exp, and its score
 * gradient dS given Δ: vec2(probability × dropout factor, dS).
 */
const PROB_AND_DS = /* wgsl */ `
fn prob_and_ds(qi: u32, kj: u32, r: u32, j: u32, delta: f32) -> vec2<f32> {
  var dp = 0.0;
  for (var c = 0u; c < p.d; c++) { dp += dout[qi + c] * v[kj + c]; }
  let prob = exp(dot_rows(qi, kj) * p.scale - stats[2u * r]);
  let m = drop_factor(r, j);
  return vec2<f32>(prob * m, prob * (m * dp - delta) * p.scale);
}`;

/** One thread per query row: dQ, and Δ = dout·out for the key pass. */
export const ATTENTION_BACKWARD_Q: Program = {
  name: 'attentionBackwardQ',
  buffers: [f32('q'), f32('k'), f32('v'), LENGTHS, f32('out'), f32('dout'), f32('stats', true), f32('dq', true)],
  uniforms: UNIFORMS,
  workgroupSize: 64,
  launch: 'threads',
  helpers: [RANDOM, KEY_END, PROB_AND_DS],
  body: /* wgsl */ `
  let bh = i / p.tq;
  let row = i % p.tq;
  let qi = i * p.d;
  let end = key_end(bh / p.heads, row);
  var delta = 0.0;
  for (var c = 0u; c < p.d; c++) { delta += dout[qi + c] * out[qi + c]; }
  stats[2u * i + 1u] = delta;
  var acc: array<f32, ${MAX_HEAD}>;
  for (var j = 0u; j < end; j++) {
    let kj = (bh * p.tk + j) * p.d;
    let ds = prob_and_ds(qi, kj, i, j, delta).y;
    for (var c = 0u; c < p.d; c++) { acc[c] += ds * k[kj + c]; }
  }
  for (var c = 0u; c < p.d; c++) { dq[qi + c] = acc[c]; }`,
};

/** One thread per key row (batch·heads·tk): dK and dV over the query rows that can see it. */
export const ATTENTION_BACKWARD_KV: Program = {
  name: 'attentionBackwardKV',
  buffers: [f32('q'), f32('k'), f32('v'), LENGTHS, f32('dout'), f32('stats'), f32('dk', true), f32('dv', true)],
  uniforms: UNIFORMS,
  workgroupSize: 64,
  launch: 'threads',
  helpers: [RANDOM, KEY_END, PROB_AND_DS],
  body: /* wgsl */ `
  let bh = i / p.tk;
  let j = i % p.tk;
  let kj = i * p.d;
  let b = bh / p.heads;
  var dk_acc: array<f32, ${MAX_HEAD}>;
  var dv_acc: array<f32, ${MAX_HEAD}>;
  for (var row = 0u; row < p.tq; row++) {
    if (j >= key_end(b, row)) { continue; }
    let qi = (bh * p.tq + row) * p.d;
    let r = bh * p.tq + row;
    let pd = prob_and_ds(qi, kj, r, j, stats[2u * r + 1u]);
    for (var c = 0u; c < p.d; c++) {
      dv_acc[c] += pd.x * dout[qi + c];
      dk_acc[c] += pd.y * q[qi + c];
    }
  }
  for (var c = 0u; c < p.d; c++) { dk[kj + c] = dk_acc[c]; dv[kj + c] = dv_acc[c]; }`,
};
