/**
 * Seeded permutations from the project's counter-based generator (engine/random.ts): a pure function of
 * (count, seed, stream), the same on every machine. Fisher–Yates with j = bits mod (i + 1): the modulo bias
 * is below count / 2³² (< 2e-5 for 60,000 items).
 */
import { randomBits, streamKeys } from '../engine/random.js';

export function seededPermutation(count: number, seed: number, stream: number): Int32Array {
  const keys = streamKeys(seed, stream);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = randomBits(keys, i) % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
