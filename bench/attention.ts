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
import { cpus, loadavg } from 'node:os';
import * as ms from '../index.js';
import { benchOptions, isBackendChoice, isPositiveInt, isTimingValid, TIMING_SPEC, TIMING_USAGE, withTiming } from './lib/options.js';
import { readingRunner, secondsPerStep, type Runner, type TimingOptions } from './lib/timing.js';
import { registerTfjsGradients, tf } from './peers/tfjs.js';
import { planPeerBackends, resultLine } from './lib/peer-plan.js';
import { hasTorch, NO_TORCH, runTorchPeer } from './peers/torch.js';

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


interface Options {
  backend: 'cpu' | 'webgpu' | 'all';
  quick: boolean;
  tfjs: boolean;
  torch: boolean;
  torchThreads: number;
  timing: { 'min-seconds': string; rounds: string };
}

function parseArgs(args: string[]): Options {
  const v = benchOptions('attention', args, {
    backend: { type: 'string', default: 'all' }, quick: { type: 'boolean', default: false }, 'no-tfjs': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false }, 'torch-threads': { type: 'string', default: '2' }, ...TIMING_SPEC,
  }, `--backend cpu|webgpu|all, --quick, --no-tfjs, --no-torch, --torch-threads N, ${TIMING_USAGE}`,
  (o) => isBackendChoice(o.backend) && isPositiveInt(String(o['torch-threads'])) && isTimingValid(o));
  return { backend: v.backend as Options['backend'], quick: v.quick, tfjs: !v['no-tfjs'], torch: !v['no-torch'], torchThreads: Number(v['torch-threads']), timing: v };
}

export async function main(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const timing = withTiming<TimingOptions>(opts.quick ? { minSeconds: 0.3, maxIters: 100, rounds: 1 } : { minSeconds: 1, maxIters: 100, rounds: 2 }, opts.timing);
  console.log(`# host: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}; best of ${timing.rounds} batch(es) of >= ${timing.minSeconds} s`);
  const runs = await planPeerBackends('attention', opts.backend, opts.quick ? QUICK : FULL, QUICK);
  let torch: { device: string; values: Map<string, number> } | null = null;
  if (!opts.torch) console.log('# torch: skipped (--no-torch)');
  else if (!hasTorch()) console.log(NO_TORCH);
  else {
    const cases = [...new Map(runs.flatMap((r) => r.cases.map((c) => [c.name, c] as const))).values()];
    console.log(`# torch: attention forward+backward, on CPU ${opts.torchThreads} intra-op thread(s); or CUDA when present`);
    torch = runTorchPeer('torch_attention.py', { cases, minSeconds: timing.minSeconds, rounds: timing.rounds, threads: opts.torchThreads }, opts.torchThreads);
  }
  if (!opts.tfjs) console.log('# tfjs: skipped (--no-tfjs)');
  else await registerTfjsGradients();
  for (const { backend, c } of runs.flatMap((r) => r.cases.map((c) => ({ backend: r.backend, c })))) {
    const data = await inputs(c);
    await ms.setBackend(backend);
    const runners = [oursRunner(c, data)];
    if (opts.tfjs) {
      await tf.setBackend(backend.name);
      runners.push(tfjsRunner(c, data));
    }
    const [ours, tfjs] = (await secondsPerStep(runners, timing)).map((s) => s * 1e3);
    runners.forEach((r) => r.dispose());
    const t = torch?.values.get(c.name);
    console.log(resultLine(c.name, backend.name, ours, tfjs, t === undefined ? undefined : { device: torch!.device, ms: t }));
  }
}
