/**
 * Milliseconds per training step of the +/× MLP 42→W×4→20 (batch 128), lower is better:
 *   mask-step-<W>: one MaskStageTrainer.step (K = 4 sampled masks, β = 1e-4, clip 1, Adam 1e-2; weights frozen)
 *   base-step-<W>: one base-training step (Adam 1e-3 on the weights, clip 1), for context
 * against PyTorch eager running the same algorithm (peers/torch_mask_step.py: K masked weight copies + bmm)
 * on CUDA when it has one, else on the CPU (2 threads). One line per case:
 *   <case> <backend> ours=<ms> torch-<device>=<ms> ratio=<torch/ours>   (ratio > 1: we are faster)
 * Options: --widths 256,2000; --backend cpu|webgpu|all (default all; webgpu needs a hardware adapter, or
 * --allow-software for SwiftShader at W <= 256 only); --no-torch; --torch-threads N (CPU peer, default 2);
 * --min-seconds S, --rounds N (default 1 s, 3).
 */
import { cpus, loadavg } from 'node:os';
import { setBackend } from '../engine/setup.js';
import { manualSeed } from '../engine/state.js';
import { addmulMlp } from '../experiments/addmul.js';
import type { ArithConfig } from '../experiments/types.js';
import { baseStep, lossRunner, maskStep, planBackends, type TimedStep } from './lib/steps.js';
import { secondsPerStep, type TimingOptions } from './lib/timing.js';
import { hasTorch, NO_TORCH, runTorchPeer } from './peers/torch.js';
import { benchOptions, isBackendChoice, isPositiveInt, isTimingValid, TIMING_SPEC, TIMING_USAGE, withTiming } from './lib/options.js';

// Best of 3 timed batches: other processes on a shared machine stall a multi-threaded peer badly.
const TIMING: TimingOptions = { minSeconds: 1, maxIters: 200, rounds: 3, warmUpSteps: 5 };
const POOL = 16;

interface Options {
  widths: number[];
  backend: 'cpu' | 'webgpu' | 'all';
  allowSoftware: boolean;
  torch: boolean;
  torchThreads: number;
  timing: TimingOptions;
}


async function timeSteps(phase: string, cfg: ArithConfig, timing: TimingOptions, makeStep: () => TimedStep): Promise<number> {
  manualSeed(1);
  const pool = Array.from({ length: POOL }, (_, s) => addmulMlp.batch(cfg, 0, phase, s));
  const { step, dispose } = makeStep();
  const runner = lossRunner(pool, step);
  const [seconds] = await secondsPerStep([runner], timing);
  if (!Number.isFinite(runner.lastLoss)) console.log(`warning: ${phase} W=${cfg.hidden[0]}: loss ${runner.lastLoss}`);
  dispose();
  pool.forEach((b) => [b.x, b.y].forEach((t) => t.dispose()));
  return seconds * 1e3;
}



function parseArgs(args: string[]): Options {
  const v = benchOptions('mask-step', args, {
    widths: { type: 'string', default: '256,2000' }, backend: { type: 'string', default: 'all' }, 'allow-software': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false }, 'torch-threads': { type: 'string', default: '2' }, ...TIMING_SPEC,
  }, `--widths 256,2000, --backend cpu|webgpu|all, --allow-software, --no-torch, --torch-threads N, ${TIMING_USAGE}`,
  (o) => isBackendChoice(o.backend) && isPositiveInt(String(o['torch-threads'])) && String(o.widths).split(',').every(isPositiveInt) && isTimingValid(o));
  return {
    widths: v.widths.split(',').map(Number), backend: v.backend as Options['backend'], allowSoftware: v['allow-software'],
    torch: !v['no-torch'], torchThreads: Number(v['torch-threads']), timing: withTiming(TIMING, v),
  };
}


const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export async function main(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const timing = opts.timing;
  console.log(`# host: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}; warm-up ${timing.warmUpSteps} steps, then best of ${timing.rounds} batches of >= ${timing.minSeconds} s (<= ${timing.maxIters} steps)`);
  const runs = (await planBackends('mask-step', opts, opts.widths, opts.widths.filter((w) => w <= 256), 'W <= 256 only')).map((r) => ({ backend: r.backend, widths: r.cases }));
  let torch: { device: string; values: Map<string, number> } | null = null;
  if (!opts.torch) console.log('# torch: skipped (--no-torch)');
  else if (!hasTorch()) console.log(NO_TORCH);
  else {
    const widths = [...new Set(runs.flatMap((r) => r.widths))];
    const cfg = addmulMlp.config('small');
    // OpenBLAS single-threaded: torch's own threads already fill the cores, and 2 × 2 threads on 2 cores
    // made the peer up to 10× slower and erratic.
    console.log(`# torch: on CPU ${opts.torchThreads} intra-op thread(s), OpenBLAS 1 thread; or CUDA when present`);
    const input = { widths, batch: cfg.batch, samples: cfg.samples, beta: cfg.beta, ...timing, warmup: timing.warmUpSteps, threads: opts.torchThreads };
    torch = runTorchPeer('torch_mask_step.py', input, 1);
  }
  for (const { backend, widths } of runs) {
    await setBackend(backend);
    for (const w of widths) {
      const cfg: ArithConfig = { ...addmulMlp.config('small'), hidden: [w, w, w, w] };
      for (const [kind, phase, make] of [['mask', 'full', maskStep], ['base', 'base', baseStep]] as const) {
        const ours = await timeSteps(phase, cfg, timing, () => make(addmulMlp, cfg));
        const t = torch?.values.get(`${kind}-${w}`);
        const peer = t === undefined ? '' : ` torch-${torch!.device}=${fmt(t)} ratio=${(t / ours).toFixed(2)}`;
        console.log(`${kind}-step-${w} ${backend.name} ours=${fmt(ours)}${peer}`);
      }
    }
  }
}
