/** WGSL twin of random.cpu.ts: keys are computed on the host (streamKeys) and passed as uniforms. */
export const RANDOM_WGSL = /* wgsl */ `
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn random_bits(inner: u32, outer: u32, index: u32) -> u32 {
  return pcg_hash(pcg_hash(index + inner) ^ outer);
}
fn bits_to_uniform(bits: u32) -> f32 {
  return (f32(bits >> 8u) + 0.5) / 16777216.0;
}
`;

export function randomKernel(kind: 'uniform' | 'normal'): string {
  const value =
    kind === 'uniform'
      ? 'bits_to_uniform(bits)'
      : 'sqrt(-2.0 * log(bits_to_uniform(bits))) * cos(6.283185307179586 * bits_to_uniform(pcg_hash(bits)))';
  return /* wgsl */ `
${RANDOM_WGSL}
struct Params { size: u32, inner: u32, outer: u32, row_stride: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.row_stride;
  if (i >= p.size) { return; }
  let bits = random_bits(p.inner, p.outer, i);
  out[i] = ${value};
}`;
}
