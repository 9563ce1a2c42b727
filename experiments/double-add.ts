/**
 * double-add-mlp (docs/experiments.md#double-add): is the same function reused? An MLP computes (a1 + b1) mod 100 and
 * (a2 + b2) mod 100; it runs once per pair with the other pair's inputs zeroed and that pair's outputs
 * read. Mask stages: full, pair 1 only, pair 2 only. The copy-weights control makes both pairs share
 * hidden weights literally, so their masks must overlap.
 *
 * Both passes of a sample sit in the same K-slice of the batch, so a sample keeps one mask sample for
 * both of its passes (the authors' code re-samples per pass). A pass's targets hold -1 (ignored) for the
 * other pair's two digits.
 */
import { tensor } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { crossEntropy } from '../engine/ops.js';
import { DOUBLE_ADD_INPUTS, digits, drawIndex, encodeOperands, pairSample, type PairSample } from '../data/arithmetic.js';
import { MLP } from '../models/mlp.js';
import type { Linear } from '../models/linear.js';
import type { Batch } from '../masking/train-stage.js';
import type { MaskSet } from '../masking/mask-set.js';
import { predictDigits } from './evaluate.js';
import type { ArithConfig, EvalResult, ExperimentDef, RowModel, Size } from './types.js';
import type { Masked } from '../masking/masked-run.js';
import { addmulConfig } from './addmul.js';

const PHASES = ['base', 'full', 'pair1', 'pair2'];
type Pass = 1 | 2;

export function doubleAddConfig(size: Size): ArithConfig {
  return { ...addmulConfig(size), beta: 4e-4, ...(size === 'small' ? { baseSteps: 5000 } : {}) };
}

/** One pass's rows: the pair's inputs (the other pair's zero) and targets (the other pair's -1). */
function encodePass(samples: readonly PairSample[], pass: Pass, x: Float32Array, y: Int32Array, rowOffset: number): void {
  samples.forEach((s, i) => {
    const r = rowOffset + i;
    const [a, b] = pass === 1 ? s.pair1 : s.pair2;
    encodeOperands(x.subarray(r * DOUBLE_ADD_INPUTS, (r + 1) * DOUBLE_ADD_INPUTS), pass === 1 ? 0 : 40, a, b);
    y.set([-1, -1, -1, -1], 4 * r);
    y.set(digits((a + b) % 100), 4 * r + (pass === 1 ? 0 : 2));
  });
}

function trainBatch(cfg: ArithConfig, seed: number, phase: string, step: number): Batch {
  const passes: Pass[] = phase === 'pair1' ? [1] : phase === 'pair2' ? [2] : [1, 2];
  const samples = Array.from({ length: cfg.batch }, (_, r) => pairSample(seed, 'train', drawIndex(seed, PHASES.indexOf(phase), step, r, cfg.trainSize)));
  const rows = cfg.batch * passes.length;
  const x = new Float32Array(rows * DOUBLE_ADD_INPUTS);
  const y = new Int32Array(rows * 4);
  // Slice k holds its samples' rows of every pass, so the K-slice masked forward gives them one mask.
  const perSlice = cfg.batch / cfg.samples;
  for (let k = 0; k < cfg.samples; k++) {
    const slice = samples.slice(k * perSlice, (k + 1) * perSlice);
    passes.forEach((pass, j) => encodePass(slice, pass, x, y, k * perSlice * passes.length + j * perSlice));
  }
  return { x: tensor(x, [rows, DOUBLE_ADD_INPUTS]), y: tensor(y, [rows, 4]) };
}

async function evaluate(run: Masked<RowModel>, cfg: ArithConfig, seed: number, evalSet: string): Promise<EvalResult> {
  const forward = (x: Tensor) => run((m) => m.forward(x));
  const pass: Pass = evalSet === 'pair1' ? 1 : 2;
  const samples = Array.from({ length: cfg.validSize }, (_, i) => pairSample(seed, 'valid', i));
  const x = new Float32Array(samples.length * DOUBLE_ADD_INPUTS);
  encodePass(samples, pass, x, new Int32Array(samples.length * 4), 0);
  const groups = pass === 1 ? [0, 1] : [2, 3];
  const [low, high] = await predictDigits(forward, x, DOUBLE_ADD_INPUTS, cfg.evalBatch, groups);
  let correct = 0;
  samples.forEach((s, i) => {
    const [a, b] = pass === 1 ? s.pair1 : s.pair2;
    if (low[i] + 10 * high[i] === (a + b) % 100) correct++;
  });
  return { accuracy: correct / samples.length };
}

/**
 * The control: pair 2's first-layer input columns and last-layer output rows (and biases) are copied onto
 * pair 1's, so the two pairs compute through literally the same hidden weights.
 */
async function copyWeights(model: IoModel, control: string | undefined): Promise<void> {
  if (!control) return;
  if (control !== 'copy-weights') throw new Error(`double-add: unknown --control '${control}' (the only control is copy-weights)`);
  const first = model.inputWeight;
  const last = model.outputLayer;
  const w1 = await first.toArray();
  const [rows, inputs] = first.shape;
  for (let r = 0; r < rows; r++) w1.copyWithin(r * inputs, r * inputs + 40, r * inputs + 80);
  first.assign(tensor(w1, first.shape));
  const hidden = last.inFeatures;
  const w2 = await last.weight.toArray();
  w2.copyWithin(0, 20 * hidden, 40 * hidden);
  last.weight.assign(tensor(w2, last.weight.shape));
  if (last.bias) {
    const b2 = await last.bias.toArray();
    b2.copyWithin(0, 20, 40);
    last.bias.assign(tensor(b2, last.bias.shape));
  }
}

/** A model whose input-layer weight and output layer the copy-weights control can reach. */
export interface IoModel extends RowModel {
  readonly inputWeight: Tensor;
  readonly outputLayer: Linear;
}

export const doubleAddMlp: ExperimentDef<ArithConfig, IoModel> = {
  name: 'double-add-mlp',
  aliases: ['double-add'],
  description: 'Double addition MLP: is the same function (+) reused for two input pairs?',
  config: doubleAddConfig,
  model: (cfg) => new MLP([DOUBLE_ADD_INPUTS, ...cfg.hidden, 40]),
  stages: ['full', 'pair1', 'pair2'],
  evalSets: ['pair1', 'pair2'],
  compared: ['pair1', 'pair2'],
  batch: trainBatch,
  regRows: (cfg) => cfg.batch,
  loss: (model, b) => crossEntropy(model.forward(b.x).reshape(-1, 4, 10), b.y),
  evaluate,
  evalMasks: (st: Record<string, MaskSet>) => {
    const full = st.full.keep();
    // "I/O layers keep the full mask": the inversion applies to the hidden layers only.
    const ioFull = (inverted: ReturnType<MaskSet['inverted']>) => inverted.map((m, i) => (i === 0 || i === inverted.length - 1 ? full[i] : m));
    return {
      none: null,
      full,
      pair1: st.pair1.keep(),
      not_pair1: st.pair1.inverted(),
      pair2: st.pair2.keep(),
      not_pair2: st.pair2.inverted(),
      not_pair1_iofull: ioFull(st.pair1.inverted()),
      not_pair2_iofull: ioFull(st.pair2.inverted()),
    };
  },
  afterBase: copyWeights,
};
