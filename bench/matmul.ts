/**
 * Matmul throughput in GFLOP/s (2·m·n·k / seconds, higher is better): our webgpu backend vs
 * tfjs-backend-webgpu on the same Dawn GPUDevice, and our cpu backend vs tfjs-backend-cpu. One line per case:
 *   <case> <backend> ours=<GFLOP/s> <peer>=<GFLOP/s> ratio=<ours/peer> [torch-<device>=<GFLOP/s>]
 * Cases: square-<s>, and MLP shapes named <m>x<k>x<n>: mlp-* is x·Wᵀ (W stored [n, k], as nn.Linear
 * does), outer-* a plain product with a short inner dimension.
 * Options: --backend cpu|webgpu|all (default all available), --quick, --torch (adds torch.matmul), --cases
 * square-2048,mlp-128x2000x2000,... (these on every backend, instead of the default list), --min-seconds S, --rounds N.
 */
import { cpus, loadavg } from 'node:os';
import * as ms from '../index.js';
import { secondsPerStep, type Runner, type TimingOptions } from './lib/timing.js';
import { startTfjsWebgpu, tf, type SharedGpu } from './peers/tfjs.js';
import { hasTorch, NO_TORCH, torchMatmul } from './peers/torch.js';
import { benchOptions, isBackendChoice, isTimingValid, TIMING_SPEC, TIMING_USAGE, withTiming } from './lib/options.js';

interface Case {
  name: string;
  m: number;
  k: number;
  n: number;
  transB: boolean;
}

const square = (s: number): Case => ({ name: `square-${s}`, m: s, k: s, n: s, transB: false });
const MLP_SMALL: Case = { name: 'mlp-128x256x256', m: 128, k: 256, n: 256, transB: true };
const MLP_WIDE: Case = { name: 'mlp-128x2000x2000', m: 128, k: 2000, n: 2000, transB: true };
const OUTER: Case = { name: 'outer-4096x64x4096', m: 4096, k: 64, n: 4096, transB: false };

/** The case a --cases name stands for: square-<s>, or one of the named shapes. */
function caseNamed(name: string): Case | undefined {
  const side = /^square-([1-9]\d*)$/.exec(name)?.[1];
  return side ? square(Number(side)) : [MLP_SMALL, MLP_WIDE, OUTER].find((c) => c.name === name);
}

function casesFor(backend: 'cpu' | 'webgpu', quick: boolean, gpu: SharedGpu | null): Case[] {
  if (backend === 'cpu') {
    return quick ? [square(128), square(512), MLP_SMALL] : [...[128, 256, 512, 1024].map(square), MLP_SMALL, MLP_WIDE, OUTER];
  }
  // SwiftShader runs at well under 1 GFLOP/s: a 1024³ product alone takes seconds, so keep to small sizes.
  if (gpu?.swiftshader) return quick ? [square(256), MLP_SMALL] : [square(256), square(512), MLP_SMALL, MLP_WIDE];
  return quick ? [square(256), square(1024), MLP_SMALL] : [...[256, 512, 1024, 2048, 4096].map(square), MLP_SMALL, MLP_WIDE, OUTER];
}

/** Deterministic inputs in [-1, 1) (mulberry32). */
function randomData(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

function maxRelError(ours: ArrayLike<number>, peer: ArrayLike<number>): number {
  if (ours.length !== peer.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < ours.length; i++) {
    const err = Math.abs(ours[i] - peer[i]) / Math.max(1, Math.abs(ours[i]), Math.abs(peer[i]));
    if (!(err <= worst)) worst = err; // NaN counts as worst
  }
  return worst;
}

function oursRunner(a: ms.Tensor, b: ms.Tensor, transB: boolean, gpu: SharedGpu | null): Runner {
  return {
    step: () => ms.matmul(a, b, { transB }).dispose(),
    sync: async () => {
      if (!gpu) return;
      const z = ms.zeros([1]); // reading it submits everything recorded before
      await z.toArray();
      z.dispose();
      await gpu.device.queue.onSubmittedWorkDone();
    },
  };
}

function tfjsRunner(a: tf.Tensor2D, b: tf.Tensor2D, transB: boolean, gpu: SharedGpu | null): Runner {
  let last: tf.Tensor | null = null;
  return {
    step: () => {
      last?.dispose();
      last = tf.matMul(a, b, false, transB);
    },
    sync: async () => {
      if (gpu && last) {
        const corner = tf.slice(last, [0, 0], [1, 1]); // a GPU op on the last product: reading it submits the queue
        await corner.data();
        corner.dispose();
        await gpu.device.queue.onSubmittedWorkDone();
      }
      last?.dispose();
      last = null;
    },
  };
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

async function runBackend(backend: 'cpu' | 'webgpu', cases: Case[], gpu: SharedGpu | null, timing: TimingOptions, torch: Torch | null): Promise<void> {
  const peer = `tfjs-${backend}`;
  await ms.setBackend(backend, gpu ? { device: gpu.device } : {});
  await tf.setBackend(backend);
  for (const c of cases) {
    const aData = randomData(c.m * c.k, 1);
    const bData = randomData(c.k * c.n, 2);
    const bShape: [number, number] = c.transB ? [c.n, c.k] : [c.k, c.n];
    const [a, b] = [ms.tensor(aData, [c.m, c.k]), ms.tensor(bData, bShape)];
    const [ta, tb] = [tf.tensor2d(aData, [c.m, c.k]), tf.tensor2d(bData, bShape)];

    const oursC = ms.matmul(a, b, { transB: c.transB });
    const peerC = tf.matMul(ta, tb, false, c.transB);
    const err = maxRelError(await oursC.toArray(), await peerC.data());
    oursC.dispose();
    peerC.dispose();

    const flop = 2 * c.m * c.n * c.k;
    const runners = [oursRunner(a, b, c.transB, gpu), tfjsRunner(ta, tb, c.transB, gpu)];
    const [ours, theirs] = (await secondsPerStep(runners, timing)).map((s) => flop / s / 1e9);
    const t = torch?.gflops.get(c.name);
    const torchCol = t === undefined ? '' : ` torch-${torch!.device}=${fmt(t)}`;
    console.log(`${c.name} ${backend} ours=${fmt(ours)} ${peer}=${fmt(theirs)} ratio=${(ours / theirs).toFixed(2)}${torchCol}`);
    if (err > 1e-3) console.log(`warning: ${c.name} ${backend}: ours and ${peer} differ, max relative error ${err.toExponential(2)}`);
    [a, b, ta, tb].forEach((x) => x.dispose());
  }
}

type Torch = ReturnType<typeof torchMatmul>;

function parseArgs(args: string[]) {
  return benchOptions('matmul', args, {
    backend: { type: 'string', default: 'all' }, quick: { type: 'boolean', default: false }, torch: { type: 'boolean', default: false },
    cases: { type: 'string', default: '' }, ...TIMING_SPEC,
  }, `--backend cpu|webgpu|all, --quick, --torch, --cases square-<s>,${[MLP_SMALL, MLP_WIDE, OUTER].map((c) => c.name).join(',')}, ${TIMING_USAGE}`,
  (o) => isBackendChoice(o.backend) && isTimingValid(o) && (o.cases === '' || String(o.cases).split(',').every((n) => caseNamed(n))));
}

export async function main(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const timing = withTiming<TimingOptions>(opts.quick ? { minSeconds: 0.2, maxIters: 200, rounds: 1 } : { minSeconds: 0.3, maxIters: 1000, rounds: 2 }, opts);
  const chosen = opts.cases ? opts.cases.split(',').map((n) => caseNamed(n)!) : null;
  console.log(`# host: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}; best of ${timing.rounds} batch(es) of >= ${timing.minSeconds} s`);
  const plan: { backend: 'cpu' | 'webgpu'; cases: Case[]; gpu: SharedGpu | null }[] = [];
  if (opts.backend !== 'webgpu') plan.push({ backend: 'cpu', cases: chosen ?? casesFor('cpu', opts.quick, null), gpu: null });
  if (opts.backend !== 'cpu') {
    const gpu = await startTfjsWebgpu();
    if (gpu) {
      console.log(`# webgpu: one GPUDevice shared by both libraries, adapter: ${gpu.adapter}${gpu.swiftshader ? ' (SwiftShader: small sizes only)' : ''}`);
      plan.push({ backend: 'webgpu', cases: chosen ?? casesFor('webgpu', opts.quick, gpu), gpu });
    } else if (opts.backend === 'webgpu') throw new Error('matmul: no WebGPU adapter found for tfjs-webgpu');
    else console.log('# webgpu: skipped, no WebGPU adapter');
  }
  let torch: Torch | null = null;
  if (opts.torch) {
    if (!hasTorch()) console.log(NO_TORCH);
    else {
      const all = new Map(plan.flatMap((p) => p.cases).map((c) => [c.name, c]));
      torch = torchMatmul([...all.values()], timing.minSeconds * timing.rounds);
    }
  }
  for (const p of plan) await runBackend(p.backend, p.cases, p.gpu, timing, torch);
}
