/**
 * addmul-mlp (docs/experiments.md#addmul): do + and × get separate weights? An MLP learns (a op b) mod 100; mask stages
 * on all data (full), on + only and on × only; every mask and its inverse is evaluated on + and ×.
 */
import { tensor } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy } from '../engine/ops.js';
import { ADDMUL_INPUTS, addmulSample, applyOp, digits, drawIndex, encodeAddmul, type ArithSample, type Op } from '../data/arithmetic.js';
import { MLP } from '../models/mlp.js';
import type { Batch } from '../masking/train-stage.js';
import type { MaskSet } from '../masking/mask-set.js';
import { predictDigits } from './evaluate.js';
import type { ArithConfig, EvalResult, ExperimentDef, RowModel, Size } from './types.js';
import type { Masked } from '../masking/masked-run.js';

const PHASES = ['base', 'full', 'add', 'mul'];

export function addmulConfig(size: Size): ArithConfig {
  const common = { batch: 128, baseLr: 1e-3, baseClip: 1, maskLr: 1e-2, beta: 1e-4, samples: 4, maskClip: 1, trainSize: 1_000_000, validSize: 10_000 };
  return size === 'paper'
    ? { ...common, hidden: [2000, 2000, 2000, 2000], baseSteps: 20_000, maskSteps: 20_000, evalBatch: 2500 }
    : { ...common, hidden: [256, 256, 256, 256], baseSteps: 15_000, maskSteps: 3_000, evalBatch: 2500 };
}

/** Rows of one-hot inputs and their two target digits. */
export function encodeAddmulRows(samples: readonly ArithSample[]): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(samples.length * ADDMUL_INPUTS);
  const y = new Int32Array(samples.length * 2);
  samples.forEach((s, r) => {
    encodeAddmul(s, x.subarray(r * ADDMUL_INPUTS, (r + 1) * ADDMUL_INPUTS));
    y.set(digits(applyOp(s)), 2 * r);
  });
  return { x, y };
}

function trainBatch(cfg: ArithConfig, seed: number, phase: string, step: number): Batch {
  // The train set: index i holds a + sample when i is even, a × sample when odd.
  const only: Op | null = phase === 'add' ? 'add' : phase === 'mul' ? 'mul' : null;
  const samples: ArithSample[] = [];
  for (let r = 0; r < cfg.batch; r++) {
    const i = drawIndex(seed, PHASES.indexOf(phase), step, r, only ? cfg.trainSize / 2 : cfg.trainSize);
    samples.push(addmulSample(seed, 'train', only === null ? i : 2 * i + (only === 'add' ? 0 : 1)));
  }
  const { x, y } = encodeAddmulRows(samples);
  return { x: tensor(x, [cfg.batch, ADDMUL_INPUTS]), y: tensor(y, [cfg.batch, 2]) };
}

/** The + or × half of the validation set. */
export function validSet(cfg: ArithConfig, seed: number, op: Op): ArithSample[] {
  return Array.from({ length: cfg.validSize / 2 }, (_, i) => addmulSample(seed, 'valid', 2 * i + (op === 'add' ? 0 : 1)));
}

async function evaluate(run: Masked<RowModel>, cfg: ArithConfig, seed: number, evalSet: string): Promise<EvalResult> {
  const op = evalSet as Op;
  const forward = (x: Tensor) => run((m) => m.forward(x));
  const samples = validSet(cfg, seed, op);
  const { x } = encodeAddmulRows(samples);
  const [low, high] = await predictDigits(forward, x, ADDMUL_INPUTS, cfg.evalBatch, [0, 1]);
  let correct = 0;
  const counts = { add: 0, mul: 0, neither: 0 };
  let distinct = 0;
  samples.forEach((s, i) => {
    const predicted = low[i] + 10 * high[i];
    if (predicted === applyOp(s)) correct++;
    // The confusion counts only samples where + and × give different results.
    const sum = applyOp(s, 'add');
    const product = applyOp(s, 'mul');
    if (sum === product) return;
    distinct++;
    counts[predicted === sum ? 'add' : predicted === product ? 'mul' : 'neither']++;
  });
  const frac = (c: number): number => (distinct === 0 ? 0 : c / distinct);
  return { accuracy: correct / samples.length, confusion: { add: frac(counts.add), mul: frac(counts.mul), neither: frac(counts.neither) } };
}

export const addmulMlp: ExperimentDef = {
  name: 'addmul-mlp',
  aliases: ['addmul'],
  description: 'Addition / multiplication MLP: do + and × use separate weights?',
  config: addmulConfig,
  model: (cfg) => new MLP([ADDMUL_INPUTS, ...cfg.hidden, 20]),
  stages: ['full', 'add', 'mul'],
  evalSets: ['add', 'mul'],
  compared: ['add', 'mul'],
  batch: trainBatch,
  regRows: (cfg) => cfg.batch,
  loss: (model, b) => crossEntropy(model.forward(b.x).reshape(-1, 2, 10), b.y),
  evaluate,
  evalMasks: (st: Record<string, MaskSet>) => ({
    none: null,
    full: st.full.keep(),
    add: st.add.keep(),
    not_add: st.add.inverted(),
    mul: st.mul.keep(),
    not_mul: st.mul.inverted(),
  }),
};
