/**
 * Fused scaled dot-product attention in the FlashAttention manner, twins of kernels/cpu/attention.ts.
 * The forward gives each workgroup a tile of ROWS query rows of one (batch, head), one thread per row;
 * the keys and values stream through workgroup memory TILE rows at a time, every thread keeping its own
 * online softmax (running max and sum, the output rescaled as the max grows), so no T×T matrix exists in
 * memory; it stores each row's log-sum-exp. The backward recomputes the probabilities from it: the same
 * tiling for dQ (also storing Δ = dout·out), then a pass with one thread per key row for dK and dV, the
 * query rows and their output gradients streaming through workgroup memory, so every gradient element has
 * a single writer. Each row's [log-sum-exp, Δ] share one buffer, which keeps the key pass within 8 storage
 * buffers. Rows are held in private arrays of MAX_HEAD floats (the op refuses larger heads); two tiles of
 * TILE × MAX_HEAD floats fill WebGPU's guaranteed 16 KiB of workgroup memory.
 */
import type { AttentionSpec } from '../../engine/backend.js';
import { streamKeys } from '../../engine/random.js';
import type { BufferDecl, Program, UniformDecl, UniformValues } from './program.js';
import { RANDOM } from './snippets.js';

export const MAX_HEAD = 128;
/** Rows per workgroup (one thread each), and rows per tile of the streamed side. */
const ROWS = 64;
const TILE = 16;

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
`;

/** Two tiles of TILE rows in workgroup memory, and the streamed extent made workgroup-uniform. */
const TILES = /* wgsl */ `
var<workgroup> tile_a: array<f32, ${TILE * MAX_HEAD}>;
var<workgroup> tile_b: array<f32, ${TILE * MAX_HEAD}>;
var<workgroup> extent: u32;
// Rows [first, first + TILE) of x and y (row length p.d, rows past \`rows\` read as 0) into tile_a, tile_b.
fn load_tiles(lindex: u32, base: u32, first: u32, rows: u32, from_q: bool) {
  for (var e = lindex; e < ${TILE}u * p.d; e += ${ROWS}u) {
    let r = first + e / p.d;
    var a = 0.0;
    var b = 0.0;
    if (r < rows) {
      let at = (base + r) * p.d + e % p.d;
      if (from_q) { a = q[at]; b = dout[at]; } else { a = k[at]; b = v[at]; }
    }
    tile_a[e] = a;
    tile_b[e] = b;
  }
}`;

/** The query-tile prologue of the forward and dQ passes: which (batch·head, row) this thread has. */
const QUERY_TILE = /* wgsl */ `
  let tiles = (p.tq + ${ROWS - 1}u) / ${ROWS}u;
  let bh = group / tiles;
  let first_row = (group % tiles) * ${ROWS}u;
  let row = first_row + lindex;
  let live_row = row < p.tq;
  let r = bh * p.tq + min(row, p.tq - 1u);
  let qi = r * p.d;
  // Keys any row of the tile may see (key_end grows with the row): the same for the whole workgroup.
  if (lindex == 0u) { extent = key_end(bh / p.heads, min(first_row + ${ROWS - 1}u, p.tq - 1u)); }
  let n_keys = workgroupUniformLoad(&extent);
  var end = 0u;
  if (live_row) { end = key_end(bh / p.heads, row); }
  var q_row: array<f32, ${MAX_HEAD}>;
  for (var c = 0u; c < p.d; c++) { q_row[c] = q[qi + c]; }`;

/** Workgroups of the query-tile passes (forward, dQ) and of the key pass: ROWS rows of one (batch, head) each. */
export const attentionQueryGroups = (s: AttentionSpec): number => s.batch * s.heads * Math.ceil(s.tq / ROWS);
export const attentionKeyGroups = (s: AttentionSpec): number => s.batch * s.heads * Math.ceil(s.tk / ROWS);

/** One workgroup per tile of ROWS query rows of one (batch, head). */
export const ATTENTION_FORWARD: Program = {
  name: 'attention',
  buffers: [f32('q'), f32('k'), f32('v'), LENGTHS, f32('out', true), f32('stats', true)],
  uniforms: UNIFORMS,
  workgroupSize: ROWS,
  launch: 'groups',
  helpers: [RANDOM, KEY_END, TILES.replace('b = dout[at];', 'b = 0.0;')],
  body: /* wgsl */ `${QUERY_TILE}
  var acc: array<f32, ${MAX_HEAD}>;
  var m = -0x1.fffffep+127f;
  var l = 0.0;
  for (var j0 = 0u; j0 < n_keys; j0 += ${TILE}u) {
    load_tiles(lindex, bh * p.tk, j0, p.tk, false);
    workgroupBarrier();
    for (var t = 0u; t < min(${TILE}u, end - min(end, j0)); t++) {
      var s = 0.0;
      for (var c = 0u; c < p.d; c++) { s += q_row[c] * tile_a[t * p.d + c]; }
      s *= p.scale;
      let m_new = max(m, s);
      let rescale = exp(m - m_new);
      let w = exp(s - m_new);
      l = l * rescale + w;
      let wd = w * drop_factor(r, j0 + t);
      for (var c = 0u; c < p.d; c++) { acc[c] = acc[c] * rescale + wd * tile_b[t * p.d + c]; }
      m = m_new;
    }
    workgroupBarrier();
  }
  if (!live_row) { return; }
  if (end == 0u) {
    for (var c = 0u; c < p.d; c++) { out[qi + c] = 0.0; }
    stats[2u * r] = -0x1.fffffep+127f;
    return;
  }
  for (var c = 0u; c < p.d; c++) { out[qi + c] = acc[c] / l; }
  stats[2u * r] = m + log(l);`,
};

/** The query-tile layout of the forward: dQ, and Δ = dout·out for the key pass. */
export const ATTENTION_BACKWARD_Q: Program = {
  name: 'attentionBackwardQ',
  buffers: [f32('q'), f32('k'), f32('v'), LENGTHS, f32('out'), f32('dout'), f32('stats', true), f32('dq', true)],
  uniforms: UNIFORMS,
  workgroupSize: ROWS,
  launch: 'groups',
  helpers: [RANDOM, KEY_END, TILES],
  body: /* wgsl */ `${QUERY_TILE}
  var do_row: array<f32, ${MAX_HEAD}>;
  var delta = 0.0;
  for (var c = 0u; c < p.d; c++) {
    do_row[c] = dout[qi + c];
    delta += do_row[c] * out[qi + c];
  }
  let lse = stats[2u * r];
  var acc: array<f32, ${MAX_HEAD}>;
  for (var j0 = 0u; j0 < n_keys; j0 += ${TILE}u) {
    load_tiles(lindex, bh * p.tk, j0, p.tk, false);
    workgroupBarrier();
    for (var t = 0u; t < min(${TILE}u, end - min(end, j0)); t++) {
      var s = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < p.d; c++) {
        s += q_row[c] * tile_a[t * p.d + c];
        dp += do_row[c] * tile_b[t * p.d + c];
      }
      let prob = exp(s * p.scale - lse);
      let ds = prob * (drop_factor(r, j0 + t) * dp - delta) * p.scale;
      for (var c = 0u; c < p.d; c++) { acc[c] += ds * tile_a[t * p.d + c]; }
    }
    workgroupBarrier();
  }
  if (!live_row) { return; }
  stats[2u * r + 1u] = delta;
  for (var c = 0u; c < p.d; c++) { dq[qi + c] = acc[c]; }`,
};

/**
 * One thread per key row (batch·heads·tk, in workgroups of ROWS keys of one (batch, head)): dK and dV over
 * the query rows that can see it, the query rows and their output gradients streaming through tiles.
 */
export const ATTENTION_BACKWARD_KV: Program = {
  name: 'attentionBackwardKV',
  buffers: [f32('q'), f32('k'), f32('v'), LENGTHS, f32('dout'), f32('stats'), f32('dk', true), f32('dv', true)],
  uniforms: UNIFORMS,
  workgroupSize: ROWS,
  launch: 'groups',
  helpers: [RANDOM, KEY_END, TILES],
  body: /* wgsl */ `
  let tiles = (p.tk + ${ROWS - 1}u) / ${ROWS}u;
  let bh = group / tiles;
  let j = (group % tiles) * ${ROWS}u + lindex;
  let live_row = j < p.tk;
  let kj = (bh * p.tk + min(j, p.tk - 1u)) * p.d;
  let b = bh / p.heads;
  var k_row: array<f32, ${MAX_HEAD}>;
  var v_row: array<f32, ${MAX_HEAD}>;
  for (var c = 0u; c < p.d; c++) {
    k_row[c] = k[kj + c];
    v_row[c] = v[kj + c];
  }
  var dk_acc: array<f32, ${MAX_HEAD}>;
  var dv_acc: array<f32, ${MAX_HEAD}>;
  for (var i0 = 0u; i0 < p.tq; i0 += ${TILE}u) {
    load_tiles(lindex, bh * p.tq, i0, p.tq, true);
    workgroupBarrier();
    for (var t = 0u; t < min(${TILE}u, p.tq - i0); t++) {
      let row = i0 + t;
      if (!live_row || j >= key_end(b, row)) { continue; }
      let r = bh * p.tq + row;
      var s = 0.0;
      var dp = 0.0;
      for (var c = 0u; c < p.d; c++) {
        s += tile_a[t * p.d + c] * k_row[c];
        dp += tile_b[t * p.d + c] * v_row[c];
      }
      let prob = exp(s * p.scale - stats[2u * r]);
      let m = drop_factor(r, j);
      let ds = prob * (m * dp - stats[2u * r + 1u]) * p.scale;
      for (var c = 0u; c < p.d; c++) {
        dv_acc[c] += prob * m * tile_b[t * p.d + c];
        dk_acc[c] += ds * tile_a[t * p.d + c];
      }
    }
    workgroupBarrier();
  }
  if (!live_row) { return; }
  for (var c = 0u; c < p.d; c++) { dk[kj + c] = dk_acc[c]; dv[kj + c] = dv_acc[c]; }`,
};
