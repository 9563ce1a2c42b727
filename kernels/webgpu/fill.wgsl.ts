/** Writes one 32-bit pattern to every element (zeros, ones, any constant of any dtype). */
export const FILL = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
struct Params { size: u32, row_stride: u32, bits: u32, pad: u32 }
@group(0) @binding(1) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * p.row_stride;
  if (i < p.size) { out[i] = p.bits; }
}`;
