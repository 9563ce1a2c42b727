/** Gradient-norm clipping like torch.nn.utils.clip_grad_norm_, computed on the device without read-back. */
import { fromStorage } from '../ops.js';
import { noGrad } from '../state.js';
import type { Tensor } from '../tensor.js';

/**
 * The factor min(1, maxNorm / (‖g‖ + 1e-6)) for the global L2 norm of all gradients, as a 1-element
 * tensor to pass to Adam.step (fused) — or use clipGradNorm to scale the gradients themselves.
 */
export function clipCoefficient(params: readonly Tensor[], maxNorm: number): { coef: Tensor; norm: Tensor } {
  return noGrad(() => {
    const withGrad = params.filter((p) => p.grad);
    if (withGrad.length === 0) throw new Error('clipGradNorm: no parameter has a gradient (call backward first)');
    let total: Tensor | null = null;
    for (const p of withGrad) {
      const g = p.grad!;
      const be = g.backend;
      const sq = fromStorage(be, be.reduce('sumsq', g.storage, [g.size], [0]), []);
      total = total ? total.add(sq) : sq;
    }
    const norm = total!.sqrt();
    const coef = norm.add(1e-6).pow(-1).mul(maxNorm).minimum(1);
    return { coef, norm };
  });
}

/** Scales every gradient in place so that their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  const { coef, norm } = clipCoefficient(params, maxNorm);
  noGrad(() => {
    for (const p of params) {
      if (!p.grad) continue;
      const scaled = p.grad.mul(coef).keep();
      p.grad.dispose();
      p.grad = scaled;
    }
  });
  coef.dispose();
  return norm;
}
