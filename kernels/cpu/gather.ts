/** CPU reference for row gather (embedding lookup) and its scatter-add backward. */
import { zeroedF32 } from './recycled.js';

export function gatherCpu(table: Float32Array, idx: Int32Array, cols: number, n: number): Float32Array {
  const out = zeroedF32(n * cols);
  for (let i = 0; i < n; i++) out.set(table.subarray(idx[i] * cols, (idx[i] + 1) * cols), i * cols);
  return out;
}

export function scatterAddCpu(grad: Float32Array, idx: Int32Array, rows: number, cols: number, n: number): Float32Array {
  const out = zeroedF32(rows * cols);
  for (let i = 0; i < n; i++) {
    const dst = idx[i] * cols;
    const src = i * cols;
    for (let c = 0; c < cols; c++) out[dst + c] += grad[src + c];
  }
  return out;
}
