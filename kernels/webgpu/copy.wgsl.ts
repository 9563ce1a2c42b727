/**
 * A strided block copy, dtype-blind (32-bit words): element (r, k) of a [rows, cols] block goes from
 * src[src_offset + r·src_stride + k] to dst[dst_offset + r·dst_stride + k]. A slice is one launch into a
 * fresh buffer; a concatenation is one launch per part into the same buffer, each filling its columns.
 * Uniform words: 0 rows, 1 cols, 2 src_offset, 3 src_stride, 4 dst_offset, 5 dst_stride, 6 row_stride.
 */
export const COPY_BLOCK = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
struct Params { rows: u32, cols: u32, src_offset: u32, src_stride: u32, dst_offset: u32, dst_stride: u32, row_stride: u32, pad: u32 }
@group(0) @binding(2) var<uniform> p: Params;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x + gid.y * p.row_stride;
  if (e >= p.rows * p.cols) { return; }
  let r = e / p.cols;
  let k = e % p.cols;
  dst[p.dst_offset + r * p.dst_stride + k] = src[p.src_offset + r * p.src_stride + k];
}`;
