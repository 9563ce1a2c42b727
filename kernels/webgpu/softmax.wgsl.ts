/**
 * WGSL softmax / log-softmax over rows, and the fused softmax cross-entropy forward (per-row loss) and
 * backward (a negative target marks an ignored row: loss and gradient 0), and the row-wise argmax. One thread per row: rows are short in maskscope's models (10–50 classes).
 * Uniform words: 0 rows, 1 cols, 2 row_stride (threads per dispatch row).
 */

const ROW_HEADER = /* wgsl */ `
struct Params { rows: u32, cols: u32, row_stride: u32, pad: u32 }
fn row_max(base: u32, cols: u32) -> f32 {
  var m = -0x1.fffffep+127f;
  for (var c = 0u; c < cols; c++) { m = max(m, x[base + c]); }
  return m;
}
fn log_sum_exp(base: u32, cols: u32) -> f32 {
  let m = row_max(base, cols);
  var s = 0.0;
  for (var c = 0u; c < cols; c++) { s += exp(x[base + c] - m); }
  return m + log(s);
}`;

export function softmaxKernel(log: boolean): string {
  return /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
${ROW_HEADER}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * p.row_stride;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  let lse = log_sum_exp(base, p.cols);
  for (var c = 0u; c < p.cols; c++) {
    let ls = x[base + c] - lse;
    out[base + c] = ${log ? 'ls' : 'exp(ls)'};
  }
}`;
}

export const CROSS_ENTROPY_FORWARD = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
${ROW_HEADER}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * p.row_stride;
  if (r >= p.rows) { return; }
  if (targets[r] < 0) { out[r] = 0.0; return; }
  let base = r * p.cols;
  let t = u32(min(targets[r], i32(p.cols) - 1));
  out[r] = log_sum_exp(base, p.cols) - x[base + t];
}`;

export const CROSS_ENTROPY_BACKWARD = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
${ROW_HEADER}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * p.row_stride;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  if (targets[r] < 0) {
    for (var c = 0u; c < p.cols; c++) { out[base + c] = 0.0; }
    return;
  }
  let lse = log_sum_exp(base, p.cols);
  let f = scale[0];
  let t = u32(min(targets[r], i32(p.cols) - 1));
  for (var c = 0u; c < p.cols; c++) {
    let onehot = select(0.0, 1.0, c == t);
    out[base + c] = (exp(x[base + c] - lse) - onehot) * f;
  }
}`;

/** Index of each row's largest value, the first on ties (as argmaxCpu). */
export const ARGMAX = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<i32>;
@group(0) @binding(2) var<uniform> p: Params;
struct Params { rows: u32, cols: u32, row_stride: u32, pad: u32 }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * p.row_stride;
  if (r >= p.rows) { return; }
  let base = r * p.cols;
  var best = 0u;
  for (var c = 1u; c < p.cols; c++) {
    if (x[base + c] > x[base + best]) { best = c; }
  }
  out[r] = i32(best);
}`;
