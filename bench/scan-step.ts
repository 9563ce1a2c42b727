/**
 * Milliseconds per training step of the SCAN encoder–decoder LSTM (experiments/scan-lstm.ts), lower is better:
 *   scan-base-<forced|greedy>-<size>: one base-training step (the body of experiments/train-base.ts: Adam 1e-3,
 *     clip 5, dropout 0.5, training mode)
 *   scan-mask-<forced|greedy>-<size>: one MaskStageTrainer.step (K = 4 samples, logits on every weight matrix
 *     incl. the decoder's output weight, no biases or embeddings; β = 3e-5, clip 5, Adam 1e-2; weights frozen,
 *     eval mode)
 * each on a teacher-forced batch (forced) and on a free-running one (greedy: the argmax fed back), with
 * batch.teacherForcing set explicitly. Sizes: small (2 × 64, batch 64) and paper (2 × 200, batch 256),
 * embedding 16. Every case runs the same fixed pool of batches (phase 'base', steps 0..P−1 of seed 0): one
 * timed unit is a pass over the pool, so both sides train on exactly the same sequence lengths; the ids
 * and lengths go to PyTorch in a JSON file (peers/torch_scan_step.py: eager nn.LSTM + pack_padded_sequence,
 * masks as substituted weights, one model call per batch slice) on CUDA when it has one, else on the CPU.
 * One line per case:
 *   <case> <backend> ours=<ms> torch-<device>=<ms> ratio=<torch/ours>   (ratio > 1: we are faster)
 * Options: --quick (small size, a 2-batch pool, short timing); --sizes small,paper (default both);
 * --backend cpu|webgpu|all (default all; webgpu needs a hardware adapter, or --allow-software for SwiftShader
 * at the small size only); --no-torch; --torch-threads N (CPU peer, default 1, as bench/lstm.ts: like our CPU
 * backend, whose matmul threads are off by default; a step is many small ops per time step, and on a busy
 * 2-core host 2 intra-op threads made the peer 4–15× slower than 1 here).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../engine/backend.js';
import { Adam } from '../engine/optim/adam.js';
import { clipCoefficient } from '../engine/optim/clip.js';
import { setBackend } from '../engine/setup.js';
import { manualSeed, tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { scanConfig, scanLstm, type ScanBatch, type ScanConfig } from '../experiments/scan-lstm.js';
import { scanVocab } from '../data/scan.js';
import { MaskSet, maskTargets } from '../masking/mask-set.js';
import { MaskStageTrainer, disposeBatch } from '../masking/train-stage.js';
import { secondsPerStep, type Runner, type TimingOptions } from './lib/timing.js';
import { hasTorch, runTorchPeer } from './peers/torch.js';
import { benchOptions, isBackendChoice, isPositiveInt } from './lib/options.js';

type Size = 'small' | 'paper';
const SIZES: readonly Size[] = ['small', 'paper'];
const MODES = [['forced', true], ['greedy', false]] as const;

interface Options {
  quick: boolean;
  sizes: Size[];
  backend: 'cpu' | 'webgpu' | 'all';
  allowSoftware: boolean;
  torch: boolean;
  torchThreads: number;
}

/** A timed unit is one pass over the pool (P steps); warm-up = one pass at least, so every batch shape is seen. */
const timingFor = (quick: boolean): { pool: number; timing: TimingOptions } =>
  quick
    ? { pool: 2, timing: { minSeconds: 0.3, maxIters: 20, rounds: 1, warmUpSteps: 1 } }
    : { pool: 4, timing: { minSeconds: 1, maxIters: 20, rounds: 2, warmUpSteps: 1 } };

type StepFn = (b: ScanBatch) => Tensor;

/** A runner whose step trains on every batch of the pool in turn; sync reads the last loss. */
function poolRunner(pool: ScanBatch[], step: StepFn): Runner & { lastLoss: number } {
  let last: Tensor | null = null;
  const r = {
    lastLoss: NaN,
    step: () => {
      for (const b of pool) {
        last?.dispose();
        last = step(b);
      }
    },
    sync: async () => {
      if (!last) return;
      r.lastLoss = await last.item();
      last.dispose();
      last = null;
    },
  };
  return r;
}

/** The experiment's batches 0..n−1 of phase 'base' (seed 0), on the current backend. */
const makePool = (cfg: ScanConfig, n: number): ScanBatch[] => Array.from({ length: n }, (_, s) => scanLstm.batch(cfg, 0, 'base', s));

/** The body of experiments/train-base.ts's loop, model in training mode (dropout on). */
function baseStep(cfg: ScanConfig) {
  const model = scanLstm.model(cfg).train();
  const params = model.parameters();
  params.forEach((p) => p.requireGrad());
  const opt = new Adam(params, { lr: cfg.baseLr });
  return {
    step: (b: ScanBatch) =>
      tidy(() => {
        opt.zeroGrad();
        const l = scanLstm.loss(model, b, cfg);
        l.backward();
        const { coef } = clipCoefficient(params, cfg.baseClip);
        opt.step(coef);
        return l;
      }),
    dispose: () => {
      opt.zeroGrad();
      opt.dispose();
      model.dispose();
    },
  };
}

/** MaskStageTrainer.step over a frozen base net in eval mode, as experiments/runner.ts sets up a stage. */
function maskStep(cfg: ScanConfig) {
  const model = scanLstm.model(cfg);
  model.parameters().forEach((p) => p.requireGrad(false));
  model.eval();
  const set = new MaskSet(maskTargets(model, { biases: false }));
  const trainer = new MaskStageTrainer(set, { steps: 0, samples: cfg.samples, beta: cfg.beta, lr: cfg.maskLr, clip: cfg.maskClip }, [], scanLstm.regRows(cfg));
  return {
    step: (b: ScanBatch) => trainer.step(b, (bb) => scanLstm.loss(model, bb as ScanBatch, cfg)),
    dispose: () => {
      trainer.dispose();
      set.dispose();
      model.dispose();
    },
  };
}

async function timeSteps(name: string, pool: ScanBatch[], timing: TimingOptions, make: () => { step: StepFn; dispose(): void }): Promise<number> {
  manualSeed(1);
  const { step, dispose } = make();
  const runner = poolRunner(pool, step);
  const [seconds] = await secondsPerStep([runner], timing);
  if (!Number.isFinite(runner.lastLoss)) console.log(`warning: ${name}: loss ${runner.lastLoss}`);
  dispose();
  return (seconds * 1e3) / pool.length;
}

/** The pools' token ids for the peer: per size, per batch, the rows of src (PAD after), dec_in and y (−1 after). */
async function poolJson(cfg: ScanConfig, n: number): Promise<unknown[]> {
  const pool = makePool(cfg, n);
  const rows = async (t: Tensor): Promise<number[][]> => {
    const flat = Array.from(await t.toArray());
    const [b, w] = t.shape;
    return Array.from({ length: b }, (_, i) => flat.slice(i * w, (i + 1) * w));
  };
  const out = [];
  for (const b of pool) {
    out.push({ src: await rows(b.x), srcLengths: Array.from(b.srcLengths), decIn: await rows(b.aux![0]), y: await rows(b.y) });
    disposeBatch(b);
  }
  return out;
}

function parseArgs(args: string[]): Options {
  const v = benchOptions('scan-step', args, {
    quick: { type: 'boolean', default: false }, sizes: { type: 'string', default: 'small,paper' },
    backend: { type: 'string', default: 'all' }, 'allow-software': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false }, 'torch-threads': { type: 'string', default: '1' },
  }, '--quick, --sizes small,paper, --backend cpu|webgpu|all, --allow-software, --no-torch, --torch-threads N',
  (o) => isBackendChoice(o.backend) && isPositiveInt(String(o['torch-threads'])) && String(o.sizes).split(',').every((s) => (SIZES as string[]).includes(s)));
  return {
    quick: v.quick, sizes: v.quick ? ['small'] : (v.sizes.split(',') as Size[]), backend: v.backend as Options['backend'],
    allowSoftware: v['allow-software'], torch: !v['no-torch'], torchThreads: Number(v['torch-threads']),
  };
}

/** The backends to run and their sizes: webgpu only on a hardware adapter, or SwiftShader (small only) when allowed. */
async function plan(opts: Options): Promise<{ backend: Backend; sizes: Size[] }[]> {
  const out: { backend: Backend; sizes: Size[] }[] = [];
  if (opts.backend !== 'webgpu') out.push({ backend: await setBackend('cpu'), sizes: opts.sizes });
  if (opts.backend === 'cpu') return out;
  const auto = await setBackend('auto');
  const gpu = auto.name === 'webgpu' ? auto : await setBackend('webgpu').catch(() => null);
  const adapter = (gpu as { description?: string } | null)?.description ?? 'none';
  if (auto.name === 'webgpu') {
    console.log(`# webgpu: ${adapter}`);
    out.push({ backend: auto, sizes: opts.sizes });
  } else if (gpu && opts.allowSoftware) {
    console.log(`# webgpu: software adapter ${adapter}: small size only`);
    out.push({ backend: gpu, sizes: opts.sizes.filter((s) => s === 'small') });
  } else {
    const why = gpu ? `only a software adapter (${adapter}); --allow-software runs the small size` : 'no adapter';
    if (opts.backend === 'webgpu') throw new Error(`scan-step: webgpu: ${why}`);
    console.log(`# webgpu: skipped, ${why}`);
  }
  return out;
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

async function runTorch(opts: Options, sizes: Size[], pool: number, timing: TimingOptions): Promise<{ device: string; values: Map<string, number> }> {
  // Token ids from the CPU backend (the batches are drawn on the host, the same on every backend).
  const before = await setBackend('cpu');
  const vocab = scanVocab();
  const dir = await mkdtemp(join(tmpdir(), 'maskscope-scan-step-'));
  try {
    const cases = [];
    for (const size of sizes) {
      const cfg = scanConfig(size);
      const file = join(dir, `${size}.json`);
      await writeFile(file, JSON.stringify(await poolJson(cfg, pool)));
      cases.push({
        size, batch: cfg.batch, hidden: cfg.hidden[0], layers: cfg.hidden.length, embedding: cfg.embedding, dropout: cfg.dropout,
        inputVocab: vocab.input.size, outputVocab: vocab.output.size, sos: vocab.sos,
        samples: cfg.samples, beta: cfg.beta, baseLr: cfg.baseLr, baseClip: cfg.baseClip, maskLr: cfg.maskLr, maskClip: cfg.maskClip, batches: file,
      });
    }
    const input = { cases, ...timing, warmup: timing.warmUpSteps, threads: opts.torchThreads };
    return runTorchPeer('torch_scan_step.py', input, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await setBackend(before);
  }
}

export async function main(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const { pool: poolSize, timing } = timingFor(opts.quick);
  console.log(
    `# host: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}; a unit is a pass over ${poolSize} fixed batches (phase base, steps 0..${poolSize - 1}); ` +
      `warm-up >= ${timing.warmUpSteps} unit(s), then best of ${timing.rounds} batch(es) of >= ${timing.minSeconds} s; ms per training step`,
  );
  const runs = await plan(opts);
  let torch: { device: string; values: Map<string, number> } | null = null;
  if (!opts.torch) console.log('# torch: skipped (--no-torch)');
  else if (!hasTorch()) console.log('# torch: skipped, /usr/bin/python3 cannot import torch');
  else {
    const sizes = SIZES.filter((s) => runs.some((r) => r.sizes.includes(s)));
    console.log(`# torch: eager nn.LSTM, masks as substituted weights, one model call per batch slice; on CPU ${opts.torchThreads} intra-op thread(s), OpenBLAS 1 thread; or CUDA when present`);
    torch = await runTorch(opts, sizes, poolSize, timing);
  }
  for (const { backend, sizes } of runs) {
    await setBackend(backend);
    for (const size of sizes) {
      const cfg = scanConfig(size);
      const batches = makePool(cfg, poolSize);
      for (const [kind, make] of [['base', baseStep], ['mask', maskStep]] as const) {
        for (const [mode, forced] of MODES) {
          const name = `scan-${kind}-${mode}-${size}`;
          const pool = batches.map((b) => ({ ...b, teacherForcing: forced }));
          const ours = await timeSteps(name, pool, timing, () => make(cfg));
          const t = torch?.values.get(`${kind}-${mode}-${size}`);
          const peer = t === undefined ? '' : ` torch-${torch!.device}=${fmt(t)} ratio=${(t / ours).toFixed(2)}`;
          console.log(`${name} ${backend.name} ours=${fmt(ours)}${peer}`);
        }
      }
      batches.forEach(disposeBatch);
    }
  }
}
