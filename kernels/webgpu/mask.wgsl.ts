/**
 * WGSL twins of mask.cpu.ts. On the GPU the noise ν = log(u) − log(1 − u) is computed directly (cheap
 * there, and f32-safe where e^(−l)·(1 − u)/u would overflow); the keep decision l + ν > 0 is the same.
 * The backward regenerates each sample's noise from the counter RNG instead of reading K stored masks.
 * Uniform words: 0 n, 1 samples, 2 stream key inner, 3 stream key outer, 4 row_stride.
 */
import { RANDOM_WGSL } from './random.wgsl.js';

const COMMON = /* wgsl */ `
${RANDOM_WGSL}
struct Params { n: u32, samples: u32, inner: u32, outer: u32, row_stride: u32, pad0: u32, pad1: u32, pad2: u32 }
fn noisy_logit(l: f32, counter: u32) -> f32 {
  let u = bits_to_uniform(random_bits(p.inner, p.outer, counter));
  return l + log(u) - log(1.0 - u);
}`;

export const MASK_SAMPLE = /* wgsl */ `
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
${COMMON}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.row_stride;
  if (e >= p.n * p.samples) { return; }
  let i = e % p.n;
  out[e] = select(0.0, weight[i], noisy_logit(logits[i], e) > 0.0);
}`;

export const MASK_SAMPLE_BACKWARD = /* wgsl */ `
@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;
${COMMON}
fn sigmoid_f(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.row_stride;
  if (i >= p.n) { return; }
  let l = logits[i];
  var acc = 0.0;
  for (var k = 0u; k < p.samples; k++) {
    let e = k * p.n + i;
    let s = sigmoid_f(noisy_logit(l, e));
    acc += grad[e] * s * (1.0 - s);
  }
  out[i] = acc * weight[i];
}`;
