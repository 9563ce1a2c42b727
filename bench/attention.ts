/**
 * Milliseconds per forward+backward of scaled dot-product attention over q, k, v [B, H, T, d] (all three
 * need gradients), loss (out·w).sum(), lower is better. Against tfjs composed from ops (softmax(q·kᵀ/√d)·v
 * under tf.grads, on the same backend) and PyTorch (peers/torch_attention.py: F.scaled_dot_product_attention
 * where torch has it, CUDA when present). One line per case:
 *   <case> <backend> ours=<ms> tfjs-<backend>=<ms> ratio=<tfjs/ours> torch-<device>=<ms> ratio=<torch/ours>
 * (ratio > 1: we are faster). Cases: SCAN's Transformer shape (B 256, H 4, T 50, d 25) and a long one
 * (B 16, H 8, T 512, d 64). Options: --backend cpu|webgpu|all, --quick (small sizes), --no-tfjs,
 * --no-torch, --torch-threads N (default 2), --min-seconds S, --rounds N.
 */
import * as ms from '../index.js';
import { readingRunner, type Runner } from './lib/timing.js';
import { tf } from './peers/tfjs.js';
import { runLayerBench } from './lib/peer-plan.js';

interface Case {
  name: string;
  batch: number;
  heads: number;
  steps: number;
  dHead: number;
}

const attentionCase = (batch: number, heads: number, steps: number, dHead: number): Case => ({
  name: `attention-b${batch}-h${heads}-t${steps}-d${dHead}`, batch, heads, steps, dHead,
});
const FULL = [attentionCase(256, 4, 50, 25), attentionCase(16, 8, 512, 64)];
const QUICK = [attentionCase(8, 2, 17, 8)];

interface Data {
  q: Float32Array;
  k: Float32Array;
  v: Float32Array;
  w: Float32Array;
}

const shapeOf = (c: Case): [number, number, number, number] => [c.batch, c.heads, c.steps, c.dHead];

/** Deterministic inputs in [-1, 1) and loss weights in [0, 1), from the engine's counter RNG. */
async function inputs(c: Case): Promise<Data> {
  await ms.setBackend('cpu');
  ms.manualSeed(3);
  const shape = shapeOf(c);
  const ts = ms.tidy(() => [0, 1, 2].map(() => ms.rand(shape).mul(2).sub(1)).concat(ms.rand(shape)));
  const [q, k, v, w] = await Promise.all(ts.map(async (t) => Float32Array.from(await t.toArray())));
  ts.forEach((t) => t.dispose());
  return { q, k, v, w };
}

function oursRunner(c: Case, d: Data): Runner & { dispose(): void } {
  const shape = shapeOf(c);
  const [q, k, v] = [d.q, d.k, d.v].map((x) => ms.tensor(x, shape).requireGrad());
  const w = ms.tensor(d.w, shape);
  const runner = readingRunner(() => {
    [q, k, v].forEach((t) => {
      t.grad?.dispose();
      t.grad = null;
    });
    const loss = ms.tidy(() => {
      const l = ms.scaledDotProductAttention(q, k, v).mul(w).sum();
      l.backward();
      return l;
    });
    return { read: () => loss.item(), dispose: () => loss.dispose() };
  });
  return { ...runner, dispose: () => [q, k, v, w].forEach((t) => t.dispose()) };
}

/** tfjs has no attention op: softmax(q·kᵀ/√d)·v from its ops, gradients of q, k, v by tf.grads. */
function tfjsRunner(c: Case, d: Data): Runner & { dispose(): void } {
  const shape = shapeOf(c);
  const [q, k, v, w] = [d.q, d.k, d.v, d.w].map((x) => tf.tensor4d(x, shape));
  const scale = 1 / Math.sqrt(c.dHead);
  const loss = (qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(tf.matMul(tf.softmax(tf.mul(tf.matMul(qq as tf.Tensor4D, kk as tf.Tensor4D, false, true), scale)), vv as tf.Tensor4D), w));
  const grads = tf.grads(loss);
  const runner = readingRunner(() => {
    const value = tf.tidy(() => {
      grads([q, k, v]).forEach((g) => g.dispose());
      return loss(q, k, v);
    });
    return { read: () => value.data(), dispose: () => value.dispose() };
  });
  return { ...runner, dispose: () => [q, k, v, w].forEach((t) => t.dispose()) };
}

export const main = (args: string[]): Promise<void> =>
  runLayerBench({
    name: 'attention', full: FULL, quick: QUICK, inputs, ours: oursRunner, tfjs: tfjsRunner,
    torch: { script: 'torch_attention.py', note: (threads) => `attention forward+backward, on CPU ${threads} intra-op thread(s); or CUDA when present`, defaultThreads: 2, blasThreads: (threads) => threads },
  }, args);
