/**
 * Row gather and its backward. WGSL has no float atomics, so scatter-add runs one thread per output
 * element that sums the matching gradient rows: deterministic, O(rows·cols·n), fine for embedding tables
 * of tens to hundreds of rows. Gather checks its indices (kernels/webgpu/index-checks.ts) and clamps them,
 * so a bad one reads a real row until the next read-back reports it.
 */
import { CHECK_INDEX } from './index-checks.js';
import type { BufferDecl, Program, UniformDecl } from './program.js';

const uniforms: UniformDecl[] = ['rows', 'cols', 'n'].map((name) => ({ name, type: 'u32' }));
const buffers = (input: string): BufferDecl[] => [
  { name: input, type: 'f32' },
  { name: 'idx', type: 'i32' },
  { name: 'out', type: 'f32', write: true },
];

/** One thread per output element (n·cols). */
export const GATHER: Program = {
  name: 'gather',
  buffers: [...buffers('table'), { name: 'index_errors', type: 'i32', atomic: true }],
  uniforms: [...uniforms, { name: 'slot', type: 'u32' }],
  workgroupSize: 256,
  launch: 'threads',
  helpers: [CHECK_INDEX],
  body: /* wgsl */ `
  if (i % p.cols == 0u) { check_index(idx[i / p.cols], i32(p.rows), false); }
  let row = u32(clamp(idx[i / p.cols], 0, i32(p.rows) - 1));
  out[i] = table[row * p.cols + i % p.cols];`,
};

/** One thread per table element (rows·cols). */
export const SCATTER_ADD: Program = {
  name: 'scatterAdd',
  buffers: buffers('grad'),
  uniforms,
  workgroupSize: 256,
  launch: 'threads',
  body: /* wgsl */ `
  let r = i32(i / p.cols);
  let c = i % p.cols;
  var acc = 0.0;
  for (var k = 0u; k < p.n; k++) {
    if (idx[k] == r) { acc += grad[k * p.cols + c]; }
  }
  out[i] = acc;`,
};
