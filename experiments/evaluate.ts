/** Batched evaluation of digit outputs: logits [N, D·10] → predicted numbers, least significant digit first. */
import { tensor } from '../engine/create.js';
import { noGrad, tidy } from '../engine/state.js';
import type { Forward } from './types.js';

/**
 * Runs `forward` over rows of inputs in chunks and returns, per row, the predicted digits of the
 * output groups `groups` (digit-group indices of 10 logits each).
 */
export async function predictDigits(
  forward: Forward, inputs: Float32Array, inputDim: number, chunk: number, groups: readonly number[],
): Promise<Int32Array[]> {
  const rows = inputs.length / inputDim;
  const out = groups.map(() => new Int32Array(rows));
  for (let start = 0; start < rows; start += chunk) {
    const n = Math.min(chunk, rows - start);
    const logits = tidy(() => noGrad(() => forward(tensor(inputs.subarray(start * inputDim, (start + n) * inputDim), [n, inputDim]))));
    const values = await logits.toArray();
    logits.dispose();
    const width = values.length / n;
    for (let r = 0; r < n; r++) {
      groups.forEach((g, gi) => {
        const base = r * width + g * 10;
        let best = 0;
        for (let c = 1; c < 10; c++) if (values[base + c] > values[base + best]) best = c;
        out[gi][start + r] = best;
      });
    }
  }
  return out;
}
