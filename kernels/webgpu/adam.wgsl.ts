/** WGSL fused Adam step, in place on param, m and v (same formula as adam.cpu.ts). */
export const ADAM = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grad_scale: array<f32>;
struct Params {
  size: u32, row_stride: u32, pad0: u32, pad1: u32,
  beta1: f32, beta2: f32, eps: f32, weight_decay: f32,
  step_size: f32, sqrt_bc2: f32, pad2: f32, pad3: f32,
}
@group(0) @binding(5) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.row_stride;
  if (i >= p.size) { return; }
  let g = grad[i] * grad_scale[0] + p.weight_decay * param[i];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] -= p.step_size * mi / (sqrt(vi) / p.sqrt_bc2 + p.eps);
}`;

