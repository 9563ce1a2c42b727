/** The fused Adam step, in place on param, m and v (the formula of kernels/cpu/adam.ts). */
import type { Program } from './program.js';

export const ADAM: Program = {
  name: 'adam',
  buffers: [
    { name: 'param', type: 'f32', write: true },
    { name: 'grad', type: 'f32' },
    { name: 'm', type: 'f32', write: true },
    { name: 'v', type: 'f32', write: true },
    { name: 'grad_scale', type: 'f32' },
  ],
  uniforms: ['beta1', 'beta2', 'eps', 'weight_decay', 'step_size', 'sqrt_bc2'].map((name) => ({ name, type: 'f32' as const })),
  workgroupSize: 256,
  launch: 'threads',
  body: /* wgsl */ `
  let g = grad[i] * grad_scale[0] + p.weight_decay * param[i];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] -= p.step_size * mi / (sqrt(vi) / p.sqrt_bc2 + p.eps);`,
};
