/**
 * A strided block copy, dtype-blind (32-bit words): element (r, k) of a [rows, cols] block goes from
 * src[src_offset + r·src_stride + k] to dst[dst_offset + r·dst_stride + k]. A slice is one launch into a
 * fresh buffer; a concatenation is one launch per part into the same buffer, each filling its columns.
 */
import type { Program } from './program.js';

export const COPY_BLOCK: Program = {
  name: 'copyBlock',
  buffers: [{ name: 'src', type: 'u32' }, { name: 'dst', type: 'u32', write: true }],
  uniforms: ['cols', 'src_offset', 'src_stride', 'dst_offset', 'dst_stride'].map((name) => ({ name, type: 'u32' as const })),
  workgroupSize: 256,
  launch: 'threads',
  body: /* wgsl */ `
  let r = i / p.cols;
  let k = i % p.cols;
  dst[p.dst_offset + r * p.dst_stride + k] = src[p.src_offset + r * p.src_stride + k];`,
};
