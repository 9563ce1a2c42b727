/**
 * Row kernels over [rows, cols]: softmax / log-softmax, the fused softmax cross-entropy forward (per-row
 * loss) and backward (a negative target marks an ignored row: loss and gradient 0), and the row-wise
 * argmax. One thread per row: rows are short in maskscope's models (10–50 classes).
 */
import { CHECK_INDEX } from './index-checks.js';
import { variants, type BufferDecl, type Program } from './program.js';

const ROW_MATH = /* wgsl */ `
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

const X: BufferDecl = { name: 'x', type: 'f32' };
const TARGETS: BufferDecl = { name: 'targets', type: 'i32' };
const rowKernel = { uniforms: [{ name: 'cols', type: 'u32' as const }], workgroupSize: 64, launch: 'threads' as const };

export const softmaxProgram = variants((log: boolean): Program => ({
  ...rowKernel,
  name: log ? 'logSoftmax' : 'softmax',
  buffers: [X, { name: 'out', type: 'f32', write: true }],
  helpers: [ROW_MATH],
  body: /* wgsl */ `
  let base = i * p.cols;
  let lse = log_sum_exp(base, p.cols);
  for (var c = 0u; c < p.cols; c++) {
    let ls = x[base + c] - lse;
    out[base + c] = ${log ? 'ls' : 'exp(ls)'};
  }`,
}));

/** Also checks the targets (a negative one is ignored, one ≥ cols is an error: kernels/webgpu/index-checks.ts). */
export const CROSS_ENTROPY_FORWARD: Program = {
  ...rowKernel,
  name: 'crossEntropy',
  buffers: [X, TARGETS, { name: 'out', type: 'f32', write: true }, { name: 'index_errors', type: 'i32', atomic: true }],
  uniforms: [...rowKernel.uniforms, { name: 'slot', type: 'u32' }],
  helpers: [ROW_MATH, CHECK_INDEX],
  body: /* wgsl */ `
  check_index(targets[i], i32(p.cols), true);
  if (targets[i] < 0) { out[i] = 0.0; return; }
  let base = i * p.cols;
  let t = u32(min(targets[i], i32(p.cols) - 1));
  out[i] = log_sum_exp(base, p.cols) - x[base + t];`,
};

export const CROSS_ENTROPY_BACKWARD: Program = {
  ...rowKernel,
  name: 'crossEntropyBackward',
  buffers: [X, TARGETS, { name: 'scale', type: 'f32' }, { name: 'out', type: 'f32', write: true }],
  helpers: [ROW_MATH],
  body: /* wgsl */ `
  let base = i * p.cols;
  if (targets[i] < 0) {
    for (var c = 0u; c < p.cols; c++) { out[base + c] = 0.0; }
    return;
  }
  let lse = log_sum_exp(base, p.cols);
  let f = scale[0];
  let t = u32(min(targets[i], i32(p.cols) - 1));
  for (var c = 0u; c < p.cols; c++) {
    let onehot = select(0.0, 1.0, c == t);
    out[base + c] = (exp(x[base + c] - lse) - onehot) * f;
  }`,
};

/** Index of each row's largest value, the first on ties (as kernels/cpu/softmax.ts). */
export const ARGMAX: Program = {
  ...rowKernel,
  name: 'argmax',
  buffers: [X, { name: 'out', type: 'i32', write: true }],
  body: /* wgsl */ `
  let base = i * p.cols;
  var best = 0u;
  for (var c = 1u; c < p.cols; c++) {
    if (x[base + c] > x[base + best]) { best = c; }
  }
  out[i] = i32(best);`,
};
