/** 2-D convolution layer with PyTorch's layout ([out, in/groups, kh, kw] weight) and default init. */
import { rand } from '../engine/create.js';
import { conv2d } from '../engine/ops-conv.js';
import { checkOptions } from '../engine/options.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { Module } from './module.js';
import { param } from './param-override.js';

export interface Conv2dLayerOptions {
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, readonly opts: Conv2dLayerOptions = {}) {
    super();
    checkOptions('Conv2d', opts, { stride: 'number', padding: 'number', groups: 'number', bias: 'boolean' });
    const groups = opts.groups ?? 1;
    // PyTorch: kaiming_uniform_(a=√5) gives U(−1/√fan_in, 1/√fan_in) for the weight; the bias uses the same bound.
    const fanIn = (inChannels / groups) * kernel * kernel;
    const bound = 1 / Math.sqrt(fanIn);
    const uniform = (shape: number[]): Tensor => noGrad(() => rand(shape).mul(2 * bound).sub(bound)).keep().requireGrad();
    this.weight = uniform([outChannels, inChannels / groups, kernel, kernel]);
    this.bias = opts.bias === false ? null : uniform([outChannels]);
  }

  /** With masked parameters ([K, ...] substitutes), batch slice k uses sample k. */
  forward(x: Tensor): Tensor {
    const { stride, padding, groups } = this.opts;
    return conv2d(x, param(this.weight), this.bias && param(this.bias), { stride, padding, groups });
  }

  namedParameters(): [string, Tensor][] {
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }
}
