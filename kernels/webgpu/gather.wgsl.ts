/**
 * WGSL row gather and its backward. WGSL has no float atomics, so scatter-add runs one thread per
 * output element that sums the matching gradient rows: deterministic, O(rows·cols·n), fine for
 * embedding tables of tens to hundreds of rows. Indices are clamped (the CPU backend reports them).
 * Uniform words: 0 rows, 1 cols, 2 n, 3 row_stride.
 */

const PARAMS = 'struct Params { rows: u32, cols: u32, n: u32, row_stride: u32 }';

export const GATHER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> table: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${PARAMS}
@group(0) @binding(3) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.row_stride;
  if (e >= p.n * p.cols) { return; }
  let i = e / p.cols;
  let c = e % p.cols;
  let row = u32(clamp(idx[i], 0, i32(p.rows) - 1));
  out[e] = table[row * p.cols + c];
}`;

export const SCATTER_ADD = /* wgsl */ `
@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
${PARAMS}
@group(0) @binding(3) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.row_stride;
  if (e >= p.rows * p.cols) { return; }
  let r = i32(e / p.cols);
  let c = e % p.cols;
  var acc = 0.0;
  for (var i = 0u; i < p.n; i++) {
    if (idx[i] == r) { acc += grad[i * p.cols + c]; }
  }
  out[e] = acc;
}`;
