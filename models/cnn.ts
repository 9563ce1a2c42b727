/**
 * The authors' CNN for class removal (docs/experiments.md#class-removal): four 3×3 convolutions with
 * padding 1 (32, 64, 128, 256 channels), ReLU, 2×2 max pooling after the first three, dropout 0.25 after
 * the third convolution and 0.5 after the fourth, the mean over the image, then a linear layer.
 * Parameter names follow the authors' PyTorch module (features.<index>, out_layer), so their weights load.
 */
import { maxPool2d } from '../engine/ops-conv.js';
import type { Tensor } from '../engine/tensor.js';
import { Conv2d } from './conv2d.js';
import { dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module, childParameters } from './module.js';

export interface CnnOptions {
  inChannels: number;
  classes: number;
  /** Channels of the four convolutions (the paper's 32, 64, 128, 256; narrower for small runs). */
  channels?: readonly [number, number, number, number];
  /** false: the variant without dropout. */
  dropout?: boolean;
}

/** Where each convolution sits in the authors' nn.Sequential (features.<index>). */
const SEQUENTIAL_INDEX = [0, 3, 6, 10];

export class ClassRemovalCnn extends Module {
  readonly convs: Conv2d[];
  readonly out: Linear;
  readonly dropout: boolean;

  constructor(opts: CnnOptions) {
    super();
    const channels = opts.channels ?? [32, 64, 128, 256];
    const widths = [opts.inChannels, ...channels];
    this.convs = channels.map((c, i) => new Conv2d(widths[i], c, 3, { padding: 1 }));
    this.out = new Linear(channels[3], opts.classes);
    this.dropout = opts.dropout ?? true;
  }

  /** x [N, C, H, W] → logits [N, classes]. */
  forward(x: Tensor): Tensor {
    const drop = (t: Tensor, p: number) => (this.training && this.dropout ? dropout(t, p) : t);
    let h = maxPool2d(this.convs[0].forward(x).relu(), 2);
    h = maxPool2d(this.convs[1].forward(h).relu(), 2);
    h = maxPool2d(drop(this.convs[2].forward(h), 0.25).relu(), 2);
    h = drop(this.convs[3].forward(h).relu(), 0.5);
    return this.out.forward(h.mean([2, 3]));
  }

  namedParameters(): [string, Tensor][] {
    return [...this.convs.flatMap((c, i) => childParameters(`features.${SEQUENTIAL_INDEX[i]}`, c)), ...childParameters('out_layer', this.out)];
  }
}
