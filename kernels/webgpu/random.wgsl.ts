/** Uniform and normal random tensors from the counter-based generator (engine/random.ts, bit-identical). */
import { variants, type Program } from './program.js';
import { RANDOM } from './snippets.js';

export const randomProgram = variants((kind: 'uniform' | 'normal'): Program => ({
  name: `random(${kind})`,
  buffers: [{ name: 'out', type: 'f32', write: true }],
  uniforms: [{ name: 'inner', type: 'u32' }, { name: 'outer', type: 'u32' }],
  workgroupSize: 256,
  launch: 'threads',
  helpers: [RANDOM],
  body: /* wgsl */ `
  let bits = random_bits(p.inner, p.outer, i);
  out[i] = ${kind === 'uniform' ? 'bits_to_uniform(bits)' : 'sqrt(-2.0 * log(bits_to_uniform(bits))) * cos(6.283185307179586 * bits_to_uniform(pcg_hash(bits)))'};`,
}));

/** Inverted-dropout factors (Backend.dropoutFactors): kept where the uniform exceeds rate (f32, as the `gt` map compares). */
export const dropoutFactorsProgram: Program = {
  name: 'dropoutFactors',
  buffers: [{ name: 'out', type: 'f32', write: true }],
  uniforms: [{ name: 'inner', type: 'u32' }, { name: 'outer', type: 'u32' }, { name: 'rate', type: 'f32' }, { name: 'kept', type: 'f32' }],
  workgroupSize: 256,
  launch: 'threads',
  helpers: [RANDOM],
  body: /* wgsl */ `
  out[i] = select(0.0, p.kept, bits_to_uniform(random_bits(p.inner, p.outer, i)) > p.rate);`,
};
