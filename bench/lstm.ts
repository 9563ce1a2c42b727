/**
 * Milliseconds per forward+backward of a batch-first LSTM from a zero state, loss (out·w).sum(), gradients
 * into the weights (the input is data), lower is better. Against tfjs (tf.basicLSTMCell in a 50-step loop
 * under tf.variableGrads, on the same backend) and torch.nn.LSTM (peers/torch_lstm.py: CPU with OpenBLAS,
 * or CUDA when it has one). One line per case:
 *   <case> <backend> ours=<ms> tfjs-<backend>=<ms> ratio=<tfjs/ours> torch-<device>=<ms> ratio=<torch/ours>
 * (ratio > 1: we are faster). Cases are named lstm-b<B>-h<H>-t<T> (input size H, one layer).
 * Options: --backend cpu|webgpu|all (default all available; SwiftShader runs the --quick size only),
 * --quick (small sizes), --no-tfjs, --no-torch, --torch-threads N (CPU peer, default 1: like our CPU
 * backend, whose matmul threads are off by default; and a step is ~10 small ops per time step, where
 * OpenMP threads on a busy 2-core host spin at barriers: 2 threads ran 6× slower than 1 here),
 * --min-seconds S, --rounds N.
 */
import * as ms from '../index.js';
import { LSTM } from '../models/lstm.js';
import { readingRunner, type Runner } from './lib/timing.js';
import { tf } from './peers/tfjs.js';
import { runLayerBench } from './lib/peer-plan.js';

interface Case {
  name: string;
  batch: number;
  steps: number;
  input: number;
  hidden: number;
  layers: number;
}

const lstmCase = (batch: number, hidden: number, steps: number): Case => ({
  name: `lstm-b${batch}-h${hidden}-t${steps}`, batch, steps, input: hidden, hidden, layers: 1,
});
/** The issue's cases: SCAN's width (200) and the arithmetic LSTMs' (256). */
const FULL = [lstmCase(256, 200, 50), lstmCase(256, 256, 50)];
const QUICK = [lstmCase(32, 64, 10)];


/** Deterministic inputs in [-1, 1) and loss weights in [0, 1), from the engine's counter RNG (host copies for tfjs). */
async function inputs(c: Case): Promise<{ x: Float32Array; w: Float32Array }> {
  await ms.setBackend('cpu');
  ms.manualSeed(7);
  const [xt, wt] = ms.tidy(() => [ms.rand([c.batch, c.steps, c.input]).mul(2).sub(1), ms.rand([c.batch, c.steps, c.hidden])]);
  const [x, w] = await Promise.all([xt, wt].map(async (t) => Float32Array.from(await t.toArray())));
  [xt, wt].forEach((t) => t.dispose());
  return { x, w };
}

function oursRunner(c: Case, data: { x: Float32Array; w: Float32Array }): Runner & { dispose(): void } {
  ms.manualSeed(1);
  const lstm = new LSTM(c.input, c.hidden, c.layers);
  const x = ms.tensor(data.x, [c.batch, c.steps, c.input]);
  const w = ms.tensor(data.w, [c.batch, c.steps, c.hidden]);
  const params = lstm.parameters();
  const runner = readingRunner(() => {
    params.forEach((p) => {
      p.grad?.dispose();
      p.grad = null;
    });
    const loss = ms.tidy(() => {
      const l = lstm.forward(x).output.mul(w).sum();
      l.backward();
      return l;
    });
    return { read: () => loss.item(), dispose: () => loss.dispose() };
  });
  return { ...runner, dispose: () => [x, w].forEach((t) => t.dispose()) };
}

/** tfjs: tf.basicLSTMCell (kernel [in + H, 4H], gates i, g, f, o) stepped T times inside tf.variableGrads. */
function tfjsRunner(c: Case, data: { x: Float32Array; w: Float32Array }): Runner & { dispose(): void } {
  const bound = 1 / Math.sqrt(c.hidden);
  const kernel = tf.variable(tf.randomUniform([c.input + c.hidden, 4 * c.hidden], -bound, bound));
  const bias = tf.variable(tf.randomUniform([4 * c.hidden], -bound, bound));
  const xs = tf.tidy(() => tf.unstack(tf.tensor3d(data.x, [c.batch, c.steps, c.input]), 1) as tf.Tensor2D[]);
  const w = tf.tensor3d(data.w, [c.batch, c.steps, c.hidden]);
  const forgetBias = tf.scalar(0);
  const loss = (): tf.Scalar => {
    let h = tf.zeros([c.batch, c.hidden]) as tf.Tensor2D;
    let cell = tf.zeros([c.batch, c.hidden]) as tf.Tensor2D;
    const hs: tf.Tensor2D[] = [];
    for (const xt of xs) {
      [cell, h] = tf.basicLSTMCell(forgetBias, kernel as tf.Tensor2D, bias as tf.Tensor1D, xt, cell, h);
      hs.push(h);
    }
    return tf.sum(tf.mul(tf.stack(hs, 1), w));
  };
  const runner = readingRunner(() => {
    const { value, grads } = tf.variableGrads(loss);
    Object.values(grads).forEach((g) => g.dispose());
    return { read: () => value.data(), dispose: () => value.dispose() };
  });
  return { ...runner, dispose: () => [kernel, bias, ...xs, w, forgetBias].forEach((t) => t.dispose()) };
}

export const main = (args: string[]): Promise<void> =>
  runLayerBench({
    name: 'lstm', full: FULL, quick: QUICK, inputs, ours: oursRunner, tfjs: tfjsRunner,
    torch: { script: 'torch_lstm.py', note: (threads) => `nn.LSTM, on CPU ${threads} intra-op thread(s), OpenBLAS 1 thread; or CUDA when present`, defaultThreads: 1, blasThreads: () => 1 },
  }, args);
