/** Writes one 32-bit pattern to every element (zeros, ones, any constant of any dtype). */
import type { Program } from './program.js';

export const FILL: Program = {
  name: 'fill',
  buffers: [{ name: 'out', type: 'u32', write: true }],
  uniforms: [{ name: 'bits', type: 'u32' }],
  workgroupSize: 256,
  launch: 'threads',
  body: 'out[i] = p.bits;',
};
