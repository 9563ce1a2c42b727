/**
 * CPU reference of the fused mask kernels (docs/method.md): K hard Gumbel-sigmoid samples (τ = 1) of a mask
 * over a weight, applied to it, and the straight-through backward.
 *
 * With logistic noise ν = log(u / (1 − u)) the sample keeps weight i iff σ(l + ν) > 0.5, i.e. iff
 * l + ν > 0, i.e. iff u > (1 − u)·e^(−l): no logarithm per element, and e^(−l) is computed once per
 * weight for all K samples. JS numbers are f64, so e^(−l)·(1 − u)/u cannot overflow here.
 * Sample k of weight i uses counter k·n + i of the (seed, stream) random stream, so the backward
 * regenerates the same noise instead of storing K masks.
 */
import { bitsToUniform, randomBits, streamKeys } from '../../engine/random.js';

export function maskSampleCpu(logits: Float32Array, weight: Float32Array, samples: number, seed: number, stream: number): Float32Array {
  const n = logits.length;
  const keys = streamKeys(seed, stream);
  const expNeg = logits.map((l) => Math.exp(-l));
  const out = new Float32Array(samples * n);
  for (let k = 0; k < samples; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) {
      const u = bitsToUniform(randomBits(keys, base + i));
      if (u > (1 - u) * expNeg[i]) out[base + i] = weight[i];
    }
  }
  return out;
}

/** ∂L/∂l_i = Σ_k ∂L/∂(W⊙m_k)_i · W_i · s(1 − s), with s = σ(l + ν) = 1 / (1 + q), q = e^(−l)·(1 − u)/u. */
export function maskSampleBackwardCpu(
  grad: Float32Array, logits: Float32Array, weight: Float32Array, samples: number, seed: number, stream: number,
): Float32Array {
  const n = logits.length;
  const keys = streamKeys(seed, stream);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const expNeg = Math.exp(-logits[i]);
    let acc = 0;
    for (let k = 0; k < samples; k++) {
      const u = bitsToUniform(randomBits(keys, k * n + i));
      const q = (expNeg * (1 - u)) / u;
      acc += grad[k * n + i] * (q / ((1 + q) * (1 + q)));
    }
    out[i] = acc * weight[i];
  }
  return out;
}
