/** Fully connected layer y = x Wᵀ + b with PyTorch's layout ([out, in] weight) and default init. */
import { rand } from '../engine/create.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { Module } from './module.js';

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    // PyTorch: kaiming_uniform_(a=√5) gives U(−1/√fan_in, 1/√fan_in) for the weight; the bias uses the same bound.
    const bound = 1 / Math.sqrt(inFeatures);
    const uniform = (shape: number[]): Tensor => noGrad(() => rand(shape).mul(2 * bound).sub(bound)).keep().requireGrad();
    this.weight = uniform([outFeatures, inFeatures]);
    this.bias = opts.bias === false ? null : uniform([outFeatures]);
  }

  forward(x: Tensor): Tensor {
    const shape = x.shape;
    if (shape[shape.length - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}→${this.outFeatures}): input has shape [${shape.join(',')}], last dimension must be ${this.inFeatures}`);
    }
    const flat = shape.length === 2 ? x : x.reshape(-1, this.inFeatures);
    let y = flat.matmul(this.weight, { transB: true });
    if (this.bias) y = y.add(this.bias);
    return shape.length === 2 ? y : y.reshape([...shape.slice(0, -1), this.outFeatures]);
  }

  namedParameters(): [string, Tensor][] {
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }
}
