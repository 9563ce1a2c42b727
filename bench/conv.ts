/**
 * Milliseconds per forward+backward of a convolution and of the class-removal CNN (models/cnn.ts, dropout
 * off so every framework does the same work), loss (out·w).sum(), lower is better. Against tfjs (its
 * conv2d in NHWC, its layout, under tf.grads, on the same backend) and PyTorch (peers/torch_conv.py;
 * CUDA when present). One line per case:
 *   <case> <backend> ours=<ms> tfjs-<backend>=<ms> ratio=<tfjs/ours> torch-<device>=<ms> ratio=<torch/ours>
 * (ratio > 1: we are faster). Cases: one 3×3 convolution (batch 128, 32 → 64 channels, 14×14, padding 1)
 * and the whole CNN on 28×28 Fashion-MNIST-sized images at the small (8, 16, 32, 64) and the paper's
 * (32, 64, 128, 256) channels, batch 128. Options: --backend cpu|webgpu|all, --quick (small sizes),
 * --no-tfjs, --no-torch, --torch-threads N (default 2), --min-seconds S, --rounds N.
 */
import * as ms from '../index.js';
import { readingRunner, type Runner } from './lib/timing.js';
import { tf } from './peers/tfjs.js';
import { runLayerBench } from './lib/peer-plan.js';

interface Case {
  name: string;
  kind: 'conv' | 'cnn';
  batch: number;
  /** Image side. */
  size: number;
  /** conv: [in, out]; cnn: the four convolutions' channels (input has one). */
  channels: number[];
}

const FULL: Case[] = [
  { name: 'conv-b128-c32x64-s14', kind: 'conv', batch: 128, size: 14, channels: [32, 64] },
  { name: 'cnn-small-b128', kind: 'cnn', batch: 128, size: 28, channels: [8, 16, 32, 64] },
  { name: 'cnn-paper-b128', kind: 'cnn', batch: 128, size: 28, channels: [32, 64, 128, 256] },
];
const QUICK: Case[] = [
  { name: 'conv-b4-c3x5-s9', kind: 'conv', batch: 4, size: 9, channels: [3, 5] },
  { name: 'cnn-b8', kind: 'cnn', batch: 8, size: 12, channels: [2, 3, 4, 5] },
];

const CLASSES = 10;
const inChannels = (c: Case): number => (c.kind === 'conv' ? c.channels[0] : 1);
const outShape = (c: Case): number[] => (c.kind === 'conv' ? [c.batch, c.channels[1], c.size, c.size] : [c.batch, CLASSES]);
/** Weights of each framework's own layers, [out, in, 3, 3] per convolution (the CNN's are made by the models). */
const convShape = (c: Case): [number, number, number, number] => [c.channels[1], c.channels[0], 3, 3];

interface Data {
  x: Float32Array;
  /** The loss weights, shaped like the output. */
  w: Float32Array;
  /** conv: the weight and bias. */
  kernel: Float32Array;
  bias: Float32Array;
}

async function inputs(c: Case): Promise<Data> {
  await ms.setBackend('cpu');
  ms.manualSeed(3);
  const shapes = [[c.batch, inChannels(c), c.size, c.size], outShape(c), convShape(c), [c.channels[1]]];
  const ts = ms.tidy(() => shapes.map((s) => ms.rand(s).mul(2).sub(1)));
  const [x, w, kernel, bias] = await Promise.all(ts.map(async (t) => Float32Array.from(await t.toArray())));
  ts.forEach((t) => t.dispose());
  return { x, w, kernel, bias };
}

function oursRunner(c: Case, d: Data): Runner & { dispose(): void } {
  const x = ms.tensor(d.x, [c.batch, inChannels(c), c.size, c.size]);
  const w = ms.tensor(d.w, outShape(c));
  let params: ms.Tensor[];
  let forward: () => ms.Tensor;
  let dispose: () => void;
  if (c.kind === 'conv') {
    const [kernel, bias] = [ms.tensor(d.kernel, convShape(c)).requireGrad(), ms.tensor(d.bias, [c.channels[1]]).requireGrad()];
    params = [kernel, bias];
    forward = () => ms.conv2d(x, kernel, bias, { padding: 1 });
    dispose = () => params.forEach((p) => p.dispose());
  } else {
    const cnn = new ms.ClassRemovalCnn({ inChannels: 1, classes: CLASSES, channels: c.channels as [number, number, number, number], dropout: false });
    params = cnn.parameters();
    forward = () => cnn.forward(x);
    dispose = () => cnn.dispose();
  }
  const runner = readingRunner(() => {
    params.forEach((p) => {
      p.grad?.dispose();
      p.grad = null;
    });
    const loss = ms.tidy(() => {
      const l = forward().mul(w).sum();
      l.backward();
      return l;
    });
    return { read: () => loss.item(), dispose: () => loss.dispose() };
  });
  return { ...runner, dispose: () => { [x, w].forEach((t) => t.dispose()); dispose(); } };
}

/** tfjs in NHWC (its native layout: the input is transposed once, outside the timed step). */
function tfjsRunner(c: Case, d: Data): Runner & { dispose(): void } {
  const x = tf.tidy(() => tf.transpose(tf.tensor4d(d.x, [c.batch, inChannels(c), c.size, c.size]), [0, 2, 3, 1]) as tf.Tensor4D);
  const w = c.kind === 'conv' ? tf.tidy(() => tf.transpose(tf.tensor4d(d.w, outShape(c) as [number, number, number, number]), [0, 2, 3, 1])) : tf.tensor2d(d.w, [c.batch, CLASSES]);
  const widths = c.kind === 'conv' ? c.channels : [1, ...c.channels];
  const variable = (t: tf.Tensor) => tf.variable(t);
  const kernels = widths.slice(1).map((out, i) => variable(tf.randomNormal([3, 3, widths[i], out], 0, 0.1)) as tf.Variable<tf.Rank.R4>);
  const biases = widths.slice(1).map((out) => variable(tf.zeros([out])));
  const linear = c.kind === 'cnn' ? [variable(tf.randomNormal([c.channels[3], CLASSES], 0, 0.1)), variable(tf.zeros([CLASSES]))] : [];
  const params = [...kernels, ...biases, ...linear];
  const conv = (h: tf.Tensor4D, i: number) => tf.add(tf.conv2d(h, kernels[i], 1, 'same'), biases[i]) as tf.Tensor4D;
  const pool = (h: tf.Tensor4D) => tf.maxPool(h, 2, 2, 'valid');
  const loss = (): tf.Scalar => {
    if (c.kind === 'conv') return tf.sum(tf.mul(conv(x, 0), w));
    let h = pool(tf.relu(conv(x, 0)));
    h = pool(tf.relu(conv(h, 1)));
    h = pool(tf.relu(conv(h, 2)));
    h = tf.relu(conv(h, 3));
    const logits = tf.add(tf.matMul(tf.mean(h, [1, 2]) as tf.Tensor2D, linear[0] as tf.Tensor2D), linear[1]);
    return tf.sum(tf.mul(logits, w));
  };
  const runner = readingRunner(() => {
    const value = tf.tidy(() => {
      const { value: l, grads } = tf.variableGrads(loss, params);
      Object.values(grads).forEach((g) => g.dispose());
      return l;
    });
    return { read: () => value.data(), dispose: () => value.dispose() };
  });
  return { ...runner, dispose: () => [x, w, ...params].forEach((t) => t.dispose()) };
}

export const main = (args: string[]): Promise<void> =>
  runLayerBench({
    name: 'conv', full: FULL, quick: QUICK, inputs, ours: oursRunner, tfjs: tfjsRunner,
    torch: { script: 'torch_conv.py', note: (threads) => `conv and CNN forward+backward, on CPU ${threads} intra-op thread(s); or CUDA when present`, defaultThreads: 2, blasThreads: (threads) => threads },
  }, args);
