/** Adam (Kingma & Ba) with PyTorch's defaults and formula, one fused kernel per parameter per step. */
import { zeros } from '../create.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../options.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam {
  /** Read at every step: a schedule may change it between steps. */
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private m: Tensor[];
  private v: Tensor[];

  constructor(readonly params: readonly Tensor[], opts: AdamOptions = {}) {
    checkOptions('Adam', opts, { lr: 'number', betas: 'array', eps: 'number', weightDecay: 'number' });
    this.lr = opts.lr ?? 1e-3;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    this.m = params.map((p) => zeros(p.shape).keep());
    this.v = params.map((p) => zeros(p.shape).keep());
  }

  /** Updates every parameter that has a gradient; `gradScale` (a 1-element tensor) multiplies the gradients. */
  step(gradScale?: Tensor): void {
    this.t++;
    const hyper = {
      lr: this.lr, beta1: this.betas[0], beta2: this.betas[1], eps: this.eps, weightDecay: this.weightDecay,
      biasCorrection1: 1 - this.betas[0] ** this.t,
      biasCorrection2: 1 - this.betas[1] ** this.t,
    };
    this.params.forEach((p, i) => {
      if (!p.grad) return;
      p.backend.adam(p.storage, p.grad.storage, this.m[i].storage, this.v[i].storage, hyper, gradScale?.storage ?? null);
    });
  }

  zeroGrad(): void {
    zeroGrad(this.params);
  }

  dispose(): void {
    [...this.m, ...this.v].forEach((t) => t.dispose());
  }
}

export function zeroGrad(params: readonly Tensor[]): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}
