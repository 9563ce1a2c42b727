/** CPU reference of the fused Adam step (PyTorch's formula, with L2 weight decay added to the gradient). */
import type { AdamHyper } from '../../engine/backend.js';

export function adamCpu(
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper, gradScale: number,
): void {
  const stepSize = h.lr / h.biasCorrection1;
  const sqrtBc2 = Math.sqrt(h.biasCorrection2);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * gradScale + h.weightDecay * param[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * g;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * g * g;
    param[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) / sqrtBc2 + h.eps);
  }
}
