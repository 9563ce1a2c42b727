/** Plain stochastic gradient descent: p ← p − lr · g. */
import { noGrad } from '../state.js';
import type { Tensor } from '../tensor.js';
import { zeroGrad } from './adam.js';

export class SGD {
  constructor(readonly params: readonly Tensor[], readonly lr = 1e-2) {}

  step(): void {
    noGrad(() => {
      for (const p of this.params) {
        if (!p.grad) continue;
        const next = p.sub(p.grad.mul(this.lr));
        p.assign(next);
      }
    });
  }

  zeroGrad(): void {
    zeroGrad(this.params);
  }
}
