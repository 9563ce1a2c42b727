/** Inverted dropout from the counter RNG: keep where u > p, scaled by 1/(1 − p). */
import { rand } from '../engine/create.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';

export function dropout(x: Tensor, p: number): Tensor {
  if (p === 0) return x;
  const keep = noGrad(() => rand(x.shape).gt(p).mul(1 / (1 - p)));
  return x.mul(keep);
}
