/**
 * Mask sampling and its straight-through backward (twins of kernels/cpu/mask.ts). On the GPU the noise
 * ν = log(u) − log(1 − u) is computed directly (cheap there, and f32-safe where e^(−l)·(1 − u)/u would
 * overflow); the keep decision l + ν > 0 is the same. The backward regenerates each sample's noise from
 * the counter RNG instead of reading K stored masks.
 */
import type { Program } from './program.js';
import { RANDOM, SIGMOID } from './snippets.js';

const NOISY_LOGIT = /* wgsl */ `
fn noisy_logit(l: f32, counter: u32) -> f32 {
  let u = bits_to_uniform(random_bits(p.inner, p.outer, counter));
  return l + log(u) - log(1.0 - u);
}`;

const common = {
  uniforms: ['n', 'samples', 'inner', 'outer'].map((name) => ({ name, type: 'u32' as const })),
  workgroupSize: 256,
  launch: 'threads' as const,
};

/** One thread per output element (samples·n): sample k of weight w is counter k·n + w. */
export const MASK_SAMPLE: Program = {
  ...common,
  name: 'maskSample',
  buffers: [{ name: 'logits', type: 'f32' }, { name: 'weight', type: 'f32' }, { name: 'out', type: 'f32', write: true }],
  helpers: [RANDOM, NOISY_LOGIT],
  body: /* wgsl */ `
  let w = i % p.n;
  out[i] = select(0.0, weight[w], noisy_logit(logits[w], i) > 0.0);`,
};

/** One thread per logit: Σ_k grad[k·n + i]·s(1 − s), times the weight. */
export const MASK_SAMPLE_BACKWARD: Program = {
  ...common,
  name: 'maskSampleBackward',
  buffers: [
    { name: 'grad', type: 'f32' },
    { name: 'logits', type: 'f32' },
    { name: 'weight', type: 'f32' },
    { name: 'out', type: 'f32', write: true },
  ],
  helpers: [RANDOM, NOISY_LOGIT, SIGMOID],
  body: /* wgsl */ `
  let l = logits[i];
  var acc = 0.0;
  for (var k = 0u; k < p.samples; k++) {
    let e = k * p.n + i;
    let s = sigmoid_f(noisy_logit(l, e));
    acc += grad[e] * s * (1.0 - s);
  }
  out[i] = acc * weight[i];`,
};
