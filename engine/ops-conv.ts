/**
 * Convolution and pooling over NCHW tensors, with PyTorch's semantics (torch.nn.functional.conv2d and
 * max_pool2d). A weight with a leading sample axis [K, O, C/groups, kh, kw] (and a bias [K, O]) is a
 * masked layer's K weight samples: batch slice k (of N/K rows) uses sample k, in one launch.
 */
import type { Conv2dSpec, Pool2dSpec } from './backend.js';
import { backendOf, expectDtype, fromStorage, record } from './ops.js';
import { checkOptions } from './options.js';
import { fmt } from './shape.js';
import type { Tensor } from './tensor.js';

export interface Conv2dOptions {
  /** One number for both axes, or [vertical, horizontal]; default 1. */
  stride?: number | readonly [number, number];
  /** Zero padding on each side; default 0. */
  padding?: number | readonly [number, number];
  /** Channel groups (PyTorch's `groups`); default 1. */
  groups?: number;
}

const pair = (op: string, key: string, v: number | readonly [number, number] | undefined, fallback: number, min: number): [number, number] => {
  const [a, b] = v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v;
  if (![a, b].every((d) => Number.isInteger(d) && d >= min)) throw new Error(`${op}: ${key} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return [a, b];
};

/** Cross-correlation of x [N, C, H, W] with w [O, C/groups, kh, kw] (or K samples of it), plus bias [O] (or [K, O]). */
export function conv2d(x: Tensor, w: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const be = backendOf('conv2d', bias ? [x, w, bias] : [x, w]);
  checkOptions('conv2d', opts, { stride: 'any', padding: 'any', groups: 'number' });
  expectDtype('conv2d', x, 'f32', 'input');
  expectDtype('conv2d', w, 'f32', 'weight');
  const [strideH, strideW] = pair('conv2d', 'stride', opts.stride, 1, 1);
  const [padH, padW] = pair('conv2d', 'padding', opts.padding, 0, 0);
  const groups = opts.groups ?? 1;
  if (x.rank !== 4) throw new Error(`conv2d: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  if (w.rank !== 4 && w.rank !== 5) throw new Error(`conv2d: weight must be [O, C/groups, kh, kw] or [K, O, C/groups, kh, kw], got ${fmt(w.shape)}`);
  const samples = w.rank === 5 ? w.shape[0] : 1;
  const [outC, cg, kh, kw] = w.shape.slice(-4);
  const [batch, inC, h, width] = x.shape;
  const bad = (why: string) => new Error(`conv2d: input ${fmt(x.shape)} and weight ${fmt(w.shape)} ${why}`);
  if (!Number.isInteger(groups) || groups < 1 || inC % groups !== 0 || outC % groups !== 0) throw bad(`do not split into ${groups} groups`);
  if (cg !== inC / groups) throw bad(`disagree: the weight expects ${cg * groups} input channels`);
  if (batch % samples !== 0) throw bad(`disagree: a batch of ${batch} does not split into ${samples} weight samples`);
  const outH = Math.floor((h + 2 * padH - kh) / strideH) + 1;
  const outW = Math.floor((width + 2 * padW - kw) / strideW) + 1;
  if (outH < 1 || outW < 1) throw bad(`give no output (kernel larger than the padded input)`);
  if (bias && !(bias.rank === w.rank - 3 && bias.shape[bias.rank - 1] === outC && (bias.rank === 1 || bias.shape[0] === samples))) {
    throw new Error(`conv2d: bias ${fmt(bias.shape)} must be [${outC}]${samples > 1 ? ` or [${samples}, ${outC}]` : ''} for weight ${fmt(w.shape)}`);
  }
  const spec: Conv2dSpec = { batch, inC, h, w: width, outC, kh, kw, strideH, strideW, padH, padW, groups, outH, outW, samples };
  const y = record(fromStorage(be, be.conv2d(x.storage, w.storage, spec), [batch, outC, outH, outW]), 'conv2d', [x, w], (g, needs) => [
    needs[0] ? fromStorage(be, be.conv2dBackwardInput(g.storage, w.storage, spec), x.shape) : null,
    needs[1] ? fromStorage(be, be.conv2dBackwardWeight(x.storage, g.storage, spec), w.shape) : null,
  ]);
  if (!bias) return y;
  // Per sample k, its bias row over its batch slice: [K, N/K, O, oh, ow] + [K, 1, O, 1, 1].
  const sliced = y.reshape(samples, batch / samples, outC, outH, outW);
  return sliced.add(bias.reshape(samples === 1 && bias.rank === 1 ? [1, 1, outC, 1, 1] : [samples, 1, outC, 1, 1])).reshape(batch, outC, outH, outW);
}

/** Max over kernel windows of x [N, C, H, W] (no padding); stride defaults to the kernel size. */
export function maxPool2d(x: Tensor, kernel: number | readonly [number, number], stride?: number | readonly [number, number]): Tensor {
  const be = backendOf('maxPool2d', [x]);
  expectDtype('maxPool2d', x, 'f32', 'input');
  const [kh, kw] = pair('maxPool2d', 'kernel', kernel, 1, 1);
  const [strideH, strideW] = stride === undefined ? [kh, kw] : pair('maxPool2d', 'stride', stride, 1, 1);
  if (x.rank !== 4) throw new Error(`maxPool2d: input must be [N, C, H, W], got ${fmt(x.shape)}`);
  const [batch, channels, h, w] = x.shape;
  const outH = Math.floor((h - kh) / strideH) + 1;
  const outW = Math.floor((w - kw) / strideW) + 1;
  if (outH < 1 || outW < 1) throw new Error(`maxPool2d: kernel [${kh},${kw}] is larger than the input ${fmt(x.shape)}`);
  const spec: Pool2dSpec = { batch, channels, h, w, kh, kw, strideH, strideW, outH, outW };
  const { out, argmax } = be.maxPool2d(x.storage, spec);
  const y = fromStorage(be, out, [batch, channels, outH, outW]);
  // The winners live as long as the caller's tidy scope, like the LSTM's saved activations.
  const winners = fromStorage(be, argmax, y.shape);
  if (!x.requiresGrad) {
    winners.dispose();
    return y;
  }
  return record(y, 'maxPool2d', [x], (g) => [fromStorage(be, be.maxPool2dBackward(g.storage, winners.storage, spec), x.shape)]);
}
