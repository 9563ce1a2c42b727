/**
 * Layer normalisation over the last axis and its backward (engine/backend.ts LayerNormSpec): the
 * reference for both variants. Row statistics are kept as [mean, 1/denominator] for the backward, where
 * the denominator is √(var + eps) ('torch') or std_unbiased + eps ('paper').
 */
import type { LayerNormSpec } from '../../engine/backend.js';
import { zeroedF32 } from './recycled.js';

/** Where the gain/bias sample of row r starts. */
const sampleOffset = (s: LayerNormSpec, r: number): number => Math.floor(r / (s.rows / s.samples)) * s.cols;

function rowStats(x: Float32Array, base: number, s: LayerNormSpec): [mean: number, inv: number] {
  let sum = 0;
  for (let c = 0; c < s.cols; c++) sum += x[base + c];
  const mean = sum / s.cols;
  let sq = 0;
  for (let c = 0; c < s.cols; c++) { const dev = x[base + c] - mean; sq += dev * dev; }
  const denominator = s.variant === 'torch' ? Math.sqrt(sq / s.cols + s.eps) : Math.sqrt(sq / Math.max(1, s.cols - 1)) + s.eps;
  return [mean, 1 / denominator];
}

export function layerNormCpu(x: Float32Array, gain: Float32Array, bias: Float32Array, s: LayerNormSpec): { y: Float32Array; stats: Float32Array } {
  const y = zeroedF32(s.rows * s.cols);
  const stats = zeroedF32(s.rows * 2);
  for (let r = 0; r < s.rows; r++) {
    const base = r * s.cols;
    const [mean, inv] = rowStats(x, base, s);
    stats[2 * r] = mean;
    stats[2 * r + 1] = inv;
    const g = sampleOffset(s, r);
    for (let c = 0; c < s.cols; c++) y[base + c] = (x[base + c] - mean) * inv * gain[g + c] + bias[g + c];
  }
  return { y, stats };
}

/**
 * With x̂ = (x − mean)·inv and dx̂ = dy·gain: 'torch' dx = inv·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)); 'paper'
 * dx = inv·(dx̂ − mean(dx̂)) − (x − mean)·inv²·Σ(dx̂·(x − mean)) / ((n − 1)·std), 0 for a constant row.
 */
export function layerNormBackwardCpu(
  dy: Float32Array, x: Float32Array, gain: Float32Array, stats: Float32Array, s: LayerNormSpec,
): { dx: Float32Array; dgain: Float32Array; dbias: Float32Array } {
  const dx = zeroedF32(s.rows * s.cols);
  const dgain = zeroedF32(s.samples * s.cols);
  const dbias = zeroedF32(s.samples * s.cols);
  const n = s.cols;
  for (let r = 0; r < s.rows; r++) {
    const base = r * s.cols;
    const g = sampleOffset(s, r);
    const mean = stats[2 * r];
    const inv = stats[2 * r + 1];
    let sumD = 0;
    let sumDC = 0; // Σ dx̂ · (x − mean)
    for (let c = 0; c < n; c++) {
      const d = dy[base + c] * gain[g + c];
      const centred = x[base + c] - mean;
      sumD += d;
      sumDC += d * centred;
      dgain[g + c] += dy[base + c] * centred * inv;
      dbias[g + c] += dy[base + c];
    }
    let coef: number; // multiplies (x − mean) in dx
    if (s.variant === 'torch') coef = (inv * inv * inv * sumDC) / n;
    else {
      const std = 1 / inv - s.eps;
      coef = std > 0 ? (inv * inv * sumDC) / ((n - 1) * std) : 0;
    }
    for (let c = 0; c < n; c++) {
      const d = dy[base + c] * gain[g + c];
      dx[base + c] = inv * (d - sumD / n) - (x[base + c] - mean) * coef;
    }
  }
  return { dx, dgain, dbias };
}
