/**
 * Layer normalisation, twins of kernels/cpu/norm.ts: the forward and the input gradient run one thread per
 * row (rows are a model's width, ~100 wide); the gain and bias gradients one thread per (sample, column),
 * summing that column over the sample's rows, so no atomics are needed.
 */
import type { LayerNormSpec } from '../../engine/backend.js';
import type { BufferDecl, Program, UniformDecl, UniformValues } from './program.js';

const UNIFORMS: UniformDecl[] = [
  { name: 'rows', type: 'u32' },
  { name: 'cols', type: 'u32' },
  { name: 'eps', type: 'f32' },
  { name: 'paper', type: 'u32' },
  { name: 'samples', type: 'u32' },
];

export const normUniforms = (s: LayerNormSpec): UniformValues => ({ rows: s.rows, cols: s.cols, eps: s.eps, paper: s.variant === 'paper' ? 1 : 0, samples: s.samples });

const f32 = (name: string, write = false): BufferDecl => ({ name, type: 'f32', write });

const SAMPLE = /* wgsl */ `
fn sample_offset(r: u32) -> u32 { return (r / (p.rows / p.samples)) * p.cols; }`;

export const LAYER_NORM: Program = {
  name: 'layerNorm',
  buffers: [f32('x'), f32('gain'), f32('bias'), f32('y', true), f32('stats', true)],
  uniforms: UNIFORMS,
  workgroupSize: 64,
  launch: 'threads',
  helpers: [SAMPLE],
  body: /* wgsl */ `
  let base = i * p.cols;
  var sum = 0.0;
  for (var c = 0u; c < p.cols; c++) { sum += x[base + c]; }
  let mean = sum / f32(p.cols);
  var sq = 0.0;
  for (var c = 0u; c < p.cols; c++) { let d = x[base + c] - mean; sq += d * d; }
  var denominator = sqrt(sq / f32(p.cols) + p.eps);
  if (p.paper == 1u) { denominator = sqrt(sq / f32(max(1u, p.cols - 1u))) + p.eps; }
  let inv = 1.0 / denominator;
  stats[2u * i] = mean;
  stats[2u * i + 1u] = inv;
  let g = sample_offset(i);
  for (var c = 0u; c < p.cols; c++) { y[base + c] = (x[base + c] - mean) * inv * gain[g + c] + bias[g + c]; }`,
};

export const LAYER_NORM_BACKWARD_INPUT: Program = {
  name: 'layerNormBackwardInput',
  buffers: [f32('dy'), f32('x'), f32('gain'), f32('stats'), f32('dx', true)],
  uniforms: UNIFORMS,
  workgroupSize: 64,
  launch: 'threads',
  helpers: [SAMPLE],
  body: /* wgsl */ `
  let base = i * p.cols;
  let g = sample_offset(i);
  let mean = stats[2u * i];
  let inv = stats[2u * i + 1u];
  let n = f32(p.cols);
  var sum_d = 0.0;
  var sum_dc = 0.0;
  for (var c = 0u; c < p.cols; c++) {
    let d = dy[base + c] * gain[g + c];
    sum_d += d;
    sum_dc += d * (x[base + c] - mean);
  }
  var coef = inv * inv * inv * sum_dc / n;
  if (p.paper == 1u) {
    // A constant row has std 0: its term is 0 (the sum is 0 too), never 0/0.
    let std_dev = 1.0 / inv - p.eps;
    coef = 0.0;
    if (std_dev > 0.0) { coef = inv * inv * sum_dc / ((n - 1.0) * std_dev); }
  }
  for (var c = 0u; c < p.cols; c++) {
    dx[base + c] = inv * (dy[base + c] * gain[g + c] - sum_d / n) - (x[base + c] - mean) * coef;
  }`,
};

/** One thread per (sample, column): dgain = Σ dy·x̂, dbias = Σ dy over the sample's rows. */
export const LAYER_NORM_BACKWARD_PARAMS: Program = {
  name: 'layerNormBackwardParams',
  buffers: [f32('dy'), f32('x'), f32('stats'), f32('dgain', true), f32('dbias', true)],
  uniforms: UNIFORMS,
  workgroupSize: 64,
  launch: 'threads',
  body: /* wgsl */ `
  let c = i % p.cols;
  let k = i / p.cols;
  let per = p.rows / p.samples;
  var dg = 0.0;
  var db = 0.0;
  for (var r = k * per; r < (k + 1u) * per; r++) {
    let d = dy[r * p.cols + c];
    dg += d * (x[r * p.cols + c] - stats[2u * r]) * stats[2u * r + 1u];
    db += d;
  }
  dgain[i] = dg;
  dbias[i] = db;`,
};
