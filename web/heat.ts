/** Block means of keep probabilities σ(logit) for the heat map, at most `max` cells per axis. */
import type { HeatMap } from './protocol.js';

export const HEAT_CELLS = 64;

export function heatMap(layer: string, shape: [number, number], logits: ArrayLike<number>, max = HEAT_CELLS, transform: (v: number) => number = sigmoid): HeatMap {
  const [out, inp] = shape;
  const rowBlock = Math.ceil(out / max);
  const colBlock = Math.ceil(inp / max);
  const rows = Math.ceil(out / rowBlock);
  const cols = Math.ceil(inp / colBlock);
  const sums = new Float64Array(rows * cols);
  const counts = new Uint32Array(rows * cols);
  for (let r = 0; r < out; r++) {
    const cr = Math.floor(r / rowBlock) * cols;
    for (let c = 0; c < inp; c++) {
      const cell = cr + Math.floor(c / colBlock);
      sums[cell] += transform(logits[r * inp + c]);
      counts[cell]++;
    }
  }
  return { layer, shape, rows, cols, rowBlock, colBlock, values: Float32Array.from(sums, (s, i) => s / counts[i]) };
}

export const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
