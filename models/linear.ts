/** Fully connected layer y = x Wᵀ + b with PyTorch's layout ([out, in] weight) and default init. */
import { rand } from '../engine/create.js';
import { fmt } from '../engine/shape.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { Module } from './module.js';
import { param } from './param-override.js';
import { checkOptions } from '../engine/options.js';

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    checkOptions('Linear', opts, { bias: 'boolean' });
    // PyTorch: kaiming_uniform_(a=√5) gives U(−1/√fan_in, 1/√fan_in) for the weight; the bias uses the same bound.
    const bound = 1 / Math.sqrt(inFeatures);
    const uniform = (shape: number[]): Tensor => noGrad(() => rand(shape).mul(2 * bound).sub(bound)).keep().requireGrad();
    this.weight = uniform([outFeatures, inFeatures]);
    this.bias = opts.bias === false ? null : uniform([outFeatures]);
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new Error(`Linear(${this.inFeatures}→${this.outFeatures}): input has shape ${fmt(x.shape)}, last dimension must be ${this.inFeatures}`);
    }
    return linear(x, param(this.weight), this.bias && param(this.bias));
  }

  namedParameters(): [string, Tensor][] {
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }
}

/**
 * x Wᵀ + b over the last axis of x. With a sampled weight [K, out, in] (and bias [K, out]), the rows of x
 * are cut into K contiguous slices and slice k uses sample k.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const inF = x.shape[x.rank - 1];
  const outF = weight.shape[weight.rank - 2];
  const lead = x.shape.slice(0, -1);
  if (weight.rank === 2) {
    let y = (x.rank === 2 ? x : x.reshape(-1, inF)).matmul(weight, { transB: true });
    if (bias) y = y.add(bias);
    return x.rank === 2 ? y : y.reshape([...lead, outF]);
  }
  const samples = weight.shape[0];
  if (x.shape[0] % samples !== 0) {
    throw new Error(`linear: batch of ${x.shape[0]} rows cannot be cut into ${samples} mask-sample slices (it must be divisible by K)`);
  }
  let y = x.reshape(samples, -1, inF).matmul(weight, { transB: true });
  if (bias) y = y.add(bias.rank === 1 ? bias : bias.reshape(samples, 1, outF));
  return y.reshape([...lead, outF]);
}
