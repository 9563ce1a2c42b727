/** Inverted dropout from the counter RNG: keep where u > p, scaled by 1/(1 − p). */
import { dropoutFactors } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';

export function dropout(x: Tensor, p: number): Tensor {
  if (p === 0) return x;
  return x.mul(dropoutFactors(x.shape, p));
}
