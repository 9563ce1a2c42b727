/**
 * The LSTM variants of the arithmetic experiments (docs/experiments.md#addmul and #double-add), on the same data as the MLPs.
 *
 * addmul-lstm: 2 × 256 LSTM, the same 42-dim input at each of 3 steps, read out at the last.
 * double-add-lstm: 6 steps in mode `together` (all 80 inputs every step, read at the end) or `only_one_io`
 * (pair 1 alone in steps 0–2 and read after step 2, pair 2 alone in steps 3–5 and read after step 5). As in
 * the authors' code, one pass holds both pairs; a pair's mask stage zeroes the other pair's inputs and
 * scores only its own digits, and every mask is evaluated on the full input, both pairs present.
 */
import { tensor } from '../engine/create.js';
import { crossEntropy } from '../engine/ops.js';
import { DOUBLE_ADD_INPUTS, digits, drawIndex, encodeOperands, pairSample, type PairSample } from '../data/arithmetic.js';
import { ArithLstm } from '../models/arith-lstm.js';
import type { Batch } from '../masking/train-stage.js';
import type { Tensor } from '../engine/tensor.js';
import { addmulConfig, addmulMlp } from './addmul.js';
import { doubleAddMlp, type IoModel } from './double-add.js';
import { predictDigits } from './evaluate.js';
import type { ArithConfig, EvalResult, ExperimentDef, Size } from './types.js';
import type { Masked } from '../masking/masked-run.js';

/** Paper: 2 × 256 as published. Small: 2 × 128 and fewer steps, to finish in minutes on 2 CPU cores. */
function lstmConfig(size: Size, small: Partial<ArithConfig>): ArithConfig {
  const base = { ...addmulConfig(size), hidden: [256, 256], steps: 3 };
  return size === 'paper' ? { ...base, maskSteps: 20_000 } : { ...base, hidden: [128, 128], ...small };
}

export const addmulLstm: ExperimentDef<ArithConfig, ArithLstm> = {
  ...addmulMlp,
  name: 'addmul-lstm',
  aliases: [],
  description: 'Addition / multiplication LSTM (2 layers, same input at 3 steps): do + and × use separate weights?',
  config: (size) => lstmConfig(size, { baseSteps: 10_000, maskSteps: 3_000 }),
  model: (cfg) => new ArithLstm({ inputs: 42, hidden: cfg.hidden, outputs: 20, steps: cfg.steps ?? 3, mode: 'repeat' }),
};

const MODES = ['together', 'only_one_io'] as const;
const PHASES = ['base', 'full', 'pair1', 'pair2'];

/** Rows with both pairs' inputs (or only `only`'s) and the four target digits (-1 where not scored). */
function encodePairs(samples: readonly PairSample[], only: 1 | 2 | null): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(samples.length * DOUBLE_ADD_INPUTS);
  const y = new Int32Array(samples.length * 4).fill(-1);
  samples.forEach((s, r) => {
    const row = x.subarray(r * DOUBLE_ADD_INPUTS, (r + 1) * DOUBLE_ADD_INPUTS);
    if (only !== 2) {
      encodeOperands(row, 0, ...s.pair1);
      y.set(digits((s.pair1[0] + s.pair1[1]) % 100), 4 * r);
    }
    if (only !== 1) {
      encodeOperands(row, 40, ...s.pair2);
      y.set(digits((s.pair2[0] + s.pair2[1]) % 100), 4 * r + 2);
    }
  });
  return { x, y };
}

function trainBatch(cfg: ArithConfig, seed: number, phase: string, step: number): Batch {
  const only = phase === 'pair1' ? 1 : phase === 'pair2' ? 2 : null;
  const samples = Array.from({ length: cfg.batch }, (_, r) => pairSample(seed, 'train', drawIndex(seed, PHASES.indexOf(phase), step, r, cfg.trainSize)));
  const { x, y } = encodePairs(samples, only);
  return { x: tensor(x, [cfg.batch, DOUBLE_ADD_INPUTS]), y: tensor(y, [cfg.batch, 4]) };
}

async function evaluate(run: Masked<ArithLstm>, cfg: ArithConfig, seed: number, evalSet: string): Promise<EvalResult> {
  const samples = Array.from({ length: cfg.validSize }, (_, i) => pairSample(seed, 'valid', i));
  const { x } = encodePairs(samples, null);
  const groups = evalSet === 'pair1' ? [0, 1] : [2, 3];
  const [low, high] = await predictDigits((t: Tensor) => run((m) => m.forward(t)), x, DOUBLE_ADD_INPUTS, cfg.evalBatch, groups);
  let correct = 0;
  samples.forEach((s, i) => {
    const [a, b] = evalSet === 'pair1' ? s.pair1 : s.pair2;
    if (low[i] + 10 * high[i] === (a + b) % 100) correct++;
  });
  return { accuracy: correct / samples.length };
}

export const doubleAddLstm: ExperimentDef<ArithConfig, ArithLstm & IoModel> = {
  ...doubleAddMlp,
  name: 'double-add-lstm',
  aliases: [],
  description: 'Double addition LSTM (6 steps; --mode together | only_one_io): is + reused for both pairs?',
  modes: MODES,
  config: (size) => ({ ...lstmConfig(size, { baseSteps: 6_000, maskSteps: 3_000 }), beta: 1e-4, mode: 'together' }),
  model: (cfg) => {
    const mode = cfg.mode ?? 'together';
    if (!(MODES as readonly string[]).includes(mode)) throw new Error(`double-add-lstm: unknown mode '${mode}' (choose ${MODES.join(' or ')})`);
    // As the authors' code: 3 steps per pair, so `together` feeds all inputs for 2 × 3 = 6 steps and
    // only_one_io each pair alone for 3.
    const perPair = cfg.steps ?? 3;
    return new ArithLstm({
      inputs: DOUBLE_ADD_INPUTS, hidden: cfg.hidden, outputs: 40, tuples: 2,
      ...(mode === 'together' ? { mode: 'repeat', steps: 2 * perPair } : { mode: 'only_one_io', steps: perPair }),
    });
  },
  batch: trainBatch,
  evaluate,
  afterBase: async (model, control) => {
    // Copying pair 2's input columns onto pair 1's only makes sense when the pairs never share a step.
    if (control && model.opts.mode !== 'only_one_io') throw new Error(`double-add-lstm: --control ${control} needs --mode only_one_io (in 'together' both pairs enter at once)`);
    await doubleAddMlp.afterBase!(model, control);
  },
};
