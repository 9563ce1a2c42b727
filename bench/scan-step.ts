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
 * 2-core host 2 intra-op threads made the peer 4–15× slower than 1 here); --min-seconds S, --rounds N;
 * --cases base-forced,mask-greedy,... (default all four) and --pool N (batches per unit), for a quick trial.
 * --model transformer: the SCAN Transformer (experiments/scan-transformer.ts) instead, cases
 * scan-transformer-<base|mask>-forced-<size> (it always trains teacher-forced), against
 * peers/torch_transformer_step.py (the authors' layers in eager PyTorch, dropout on as in training).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setBackend } from '../engine/setup.js';
import { manualSeed } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { scanConfig, scanLstm, type ScanBatch, type ScanConfig } from '../experiments/scan-lstm.js';
import { scanTransformer, transformerScanConfig, type TransformerScanConfig } from '../experiments/scan-transformer.js';
import type { AnyExperiment } from '../experiments/types.js';
import { scanVocab } from '../data/scan.js';
import { disposeBatch } from '../masking/train-stage.js';
import { baseStep, lossRunner, maskStep, planBackends, type TimedStep } from './lib/steps.js';
import { secondsPerStep, type TimingOptions } from './lib/timing.js';
import { hasTorch, NO_TORCH, runTorchPeer } from './peers/torch.js';
import { benchOptions, isBackendChoice, isPositiveInt, isTimingValid, TIMING_SPEC, TIMING_USAGE, withTiming } from './lib/options.js';

type Size = 'small' | 'paper';
const SIZES: readonly Size[] = ['small', 'paper'];
const MODES = [['forced', true], ['greedy', false]] as const;
const CASES = ['base-forced', 'base-greedy', 'mask-forced', 'mask-greedy'];
const MODELS = ['lstm', 'transformer'] as const;
type Model = (typeof MODELS)[number];

/** Each model's experiment, configuration, case-name prefix and the modes it trains in. */
const EXPERIMENTS = {
  lstm: { def: scanLstm as AnyExperiment, config: scanConfig as (s: Size) => ScanConfig, prefix: 'scan', modes: MODES },
  transformer: { def: scanTransformer as AnyExperiment, config: transformerScanConfig as (s: Size) => ScanConfig, prefix: 'scan-transformer', modes: MODES.filter(([m]) => m === 'forced') },
};

interface Options {
  model: Model;
  quick: boolean;
  sizes: Size[];
  backend: 'cpu' | 'webgpu' | 'all';
  allowSoftware: boolean;
  torch: boolean;
  torchThreads: number;
  timing: { 'min-seconds': string; rounds: string };
  cases: string[];
  pool: number | null;
}

/** A timed unit is one pass over the pool (P steps); warm-up = one pass at least, so every batch shape is seen. */
const timingFor = (quick: boolean): { pool: number; timing: TimingOptions } =>
  quick
    ? { pool: 2, timing: { minSeconds: 0.3, maxIters: 20, rounds: 1, warmUpSteps: 1 } }
    : { pool: 4, timing: { minSeconds: 1, maxIters: 20, rounds: 2, warmUpSteps: 1 } };



/** The experiment's batches 0..n−1 of phase 'base' (seed 0), on the current backend. */
const makePool = (cfg: ScanConfig, n: number): ScanBatch[] => Array.from({ length: n }, (_, s) => scanLstm.batch(cfg, 0, 'base', s)); // the same batches for both models

async function timeSteps(name: string, pool: ScanBatch[], timing: TimingOptions, make: () => TimedStep): Promise<number> {
  manualSeed(1);
  const { step, dispose } = make();
  const runner = lossRunner(pool, step, pool.length);
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
    'no-torch': { type: 'boolean', default: false }, 'torch-threads': { type: 'string', default: '1' }, ...TIMING_SPEC,
    cases: { type: 'string', default: CASES.join(',') }, pool: { type: 'string', default: '' }, model: { type: 'string', default: 'lstm' },
  }, `--quick, --sizes small,paper, --backend cpu|webgpu|all, --allow-software, --no-torch, --torch-threads N, ${TIMING_USAGE}, --cases ${CASES.join(',')}, --pool N, --model lstm|transformer`,
  (o) => (MODELS as readonly string[]).includes(String(o.model)) && isBackendChoice(o.backend) && isPositiveInt(String(o['torch-threads'])) && String(o.sizes).split(',').every((s) => (SIZES as string[]).includes(s)) && isTimingValid(o) &&
    String(o.cases).split(',').every((c) => CASES.includes(c)) && (o.pool === '' || isPositiveInt(String(o.pool))));
  return {
    model: v.model as Model,
    quick: v.quick, sizes: v.quick ? ['small'] : (v.sizes.split(',') as Size[]), backend: v.backend as Options['backend'],
    allowSoftware: v['allow-software'], torch: !v['no-torch'], torchThreads: Number(v['torch-threads']), timing: v,
    cases: v.cases.split(','), pool: v.pool ? Number(v.pool) : null,
  };
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
      const cfg = EXPERIMENTS[opts.model].config(size);
      const file = join(dir, `${size}.json`);
      await writeFile(file, JSON.stringify(await poolJson(cfg, pool)));
      const common = {
        size, batch: cfg.batch, dropout: cfg.dropout, inputVocab: vocab.input.size, outputVocab: vocab.output.size, sos: vocab.sos,
        samples: cfg.samples, beta: cfg.beta, baseLr: cfg.baseLr, baseClip: cfg.baseClip, maskLr: cfg.maskLr, maskClip: cfg.maskClip, batches: file,
      };
      if (opts.model === 'lstm') cases.push({ ...common, hidden: cfg.hidden[0], layers: cfg.hidden.length, embedding: cfg.embedding });
      else {
        const t = cfg as TransformerScanConfig;
        cases.push({ ...common, size_d: t.hidden[0], heads: t.heads, ff: t.ff, encoderLayers: t.encoderLayers, decoderLayers: t.decoderLayers });
      }
    }
    const input = { cases, ...timing, warmup: timing.warmUpSteps, threads: opts.torchThreads };
    return runTorchPeer(opts.model === 'lstm' ? 'torch_scan_step.py' : 'torch_transformer_step.py', input, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await setBackend(before);
  }
}

export async function main(args: string[]): Promise<void> {
  const opts = parseArgs(args);
  const { pool, timing: base } = timingFor(opts.quick);
  const poolSize = opts.pool ?? pool;
  const timing = withTiming(base, opts.timing);
  console.log(
    `# host: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}; a unit is a pass over ${poolSize} fixed batches (phase base, steps 0..${poolSize - 1}); ` +
      `warm-up >= ${timing.warmUpSteps} unit(s), then best of ${timing.rounds} batch(es) of >= ${timing.minSeconds} s; ms per training step`,
  );
  const runs = (await planBackends('scan-step', opts, opts.sizes, opts.sizes.filter((s) => s === 'small'), 'the small size only')).map((r) => ({ backend: r.backend, sizes: r.cases }));
  let torch: { device: string; values: Map<string, number> } | null = null;
  if (!opts.torch) console.log('# torch: skipped (--no-torch)');
  else if (!hasTorch()) console.log(NO_TORCH);
  else {
    const sizes = SIZES.filter((s) => runs.some((r) => r.sizes.includes(s)));
    const model = opts.model === 'lstm' ? 'nn.LSTM' : "the authors' Transformer layers";
    console.log(`# torch: eager ${model}, masks as substituted weights, one model call per batch slice; on CPU ${opts.torchThreads} intra-op thread(s), OpenBLAS 1 thread; or CUDA when present`);
    torch = await runTorch(opts, sizes, poolSize, timing);
  }
  for (const { backend, sizes } of runs) {
    await setBackend(backend);
    for (const size of sizes) {
      const { def, config, prefix, modes } = EXPERIMENTS[opts.model];
      const cfg = config(size);
      const batches = makePool(cfg, poolSize);
      for (const [kind, make] of [['base', baseStep], ['mask', maskStep]] as const) {
        for (const [mode, forced] of modes.filter(([m]) => opts.cases.includes(`${kind}-${m}`))) {
          const name = `${prefix}-${kind}-${mode}-${size}`;
          const pool = batches.map((b) => ({ ...b, teacherForcing: forced }));
          const ours = await timeSteps(name, pool, timing, () => make(def, cfg));
          const t = torch?.values.get(`${kind}-${mode}-${size}`);
          const peer = t === undefined ? '' : ` torch-${torch!.device}=${fmt(t)} ratio=${(t / ours).toFixed(2)}`;
          console.log(`${name} ${backend.name} ours=${fmt(ours)}${peer}`);
        }
      }
      batches.forEach(disposeBatch);
    }
  }
}
