/**
 * CPU reference for softmax / log-softmax over rows, the fused softmax cross-entropy (negative target =
 * ignored row) and the row-wise argmax.
 */
import { zeroedF32 } from './recycled.js';

export function softmaxCpu(x: Float32Array, rows: number, cols: number, log: boolean): Float32Array {
  const out = zeroedF32(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const lse = logSumExp(x, base, cols);
    for (let c = 0; c < cols; c++) {
      const ls = x[base + c] - lse;
      out[base + c] = log ? ls : Math.exp(ls);
    }
  }
  return out;
}

function logSumExp(x: Float32Array, base: number, cols: number): number {
  let max = -Infinity;
  for (let c = 0; c < cols; c++) max = Math.max(max, x[base + c]);
  let sum = 0;
  for (let c = 0; c < cols; c++) sum += Math.exp(x[base + c] - max);
  return max + Math.log(sum);
}

export function crossEntropyCpu(logits: Float32Array, targets: Int32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    out[r] = targets[r] < 0 ? 0 : logSumExp(logits, base, cols) - logits[base + targets[r]];
  }
  return out;
}

export function crossEntropyBackwardCpu(
  logits: Float32Array, targets: Int32Array, scale: number, rows: number, cols: number,
): Float32Array {
  const out = softmaxCpu(logits, rows, cols, false);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (targets[r] < 0) {
      out.fill(0, base, base + cols);
      continue;
    }
    out[base + targets[r]] -= 1;
    for (let c = 0; c < cols; c++) out[base + c] *= scale;
  }
  return out;
}

/** Index of each row's largest value (the first one on ties, as torch.argmax); NaN never wins. */
export function argmaxCpu(x: Float32Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let best = 0;
    for (let c = 1; c < cols; c++) if (x[base + c] > x[base + best]) best = c;
    out[r] = best;
  }
  return out;
}
