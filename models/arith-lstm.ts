/**
 * The arithmetic LSTMs of docs/experiments.md#addmul and #double-add as row models ([B, in] → [B, out]), so the MLP experiments' data,
 * losses and evaluation serve them unchanged: an LSTM over a few time steps, then a linear output layer.
 *
 * - `repeat` (addmul-lstm, double-add-lstm `together`): the same input at every step, read at the last.
 * - `only_one_io` (double-add-lstm): tuple j is fed alone (the other inputs zero) for `steps` steps in turn,
 *   and its outputs are read at its own last step (pair 1 after step 2, pair 2 after step 5).
 */
import { tensor } from '../engine/create.js';
import { concat, split, stack, unstack } from '../engine/ops-concat.js';
import { fmt } from '../engine/shape.js';
import type { Tensor } from '../engine/tensor.js';
import { Linear } from './linear.js';
import { LSTM, uniformWidth } from './lstm.js';
import { Module, childParameters } from './module.js';
import { checkOptions } from '../engine/options.js';

export interface ArithLstmOptions {
  inputs: number;
  /** Width of each LSTM layer (the number of entries is the number of layers; all equal). */
  hidden: readonly number[];
  outputs: number;
  /** Time steps per input (per tuple in only_one_io). */
  steps: number;
  mode: 'repeat' | 'only_one_io';
  /** only_one_io: the number of tuples; inputs and outputs split into that many equal blocks. */
  tuples?: number;
}

export class ArithLstm extends Module {
  readonly lstm: LSTM;
  readonly out: Linear;
  /** only_one_io: per tuple, a 0/1 row over the inputs that keeps that tuple's block (made once). */
  private readonly tupleMasks: Tensor[];

  constructor(readonly opts: ArithLstmOptions) {
    super();
    checkOptions('ArithLstm', opts, { inputs: 'number', hidden: 'array', outputs: 'number', steps: 'number', mode: ['repeat', 'only_one_io'], tuples: 'number' }, ['inputs', 'hidden', 'outputs', 'steps', 'mode']);
    const width = uniformWidth('ArithLstm', opts.hidden);
    const tuples = opts.tuples ?? 1;
    if (opts.mode === 'only_one_io' && (opts.inputs % tuples !== 0 || opts.outputs % tuples !== 0)) {
      throw new Error(`ArithLstm: ${opts.inputs} inputs and ${opts.outputs} outputs do not split into ${tuples} tuples`);
    }
    this.lstm = new LSTM(opts.inputs, width, opts.hidden.length, { init: 'paper' });
    this.out = new Linear(width, opts.outputs);
    const block = opts.inputs / tuples;
    this.tupleMasks = opts.mode === 'repeat' ? [] : Array.from({ length: tuples }, (_, j) =>
      tensor(Float32Array.from({ length: opts.inputs }, (_, i) => (Math.floor(i / block) === j ? 1 : 0)), [opts.inputs]).keep());
  }

  override dispose(): void {
    super.dispose();
    this.tupleMasks.forEach((m) => m.dispose());
  }

  /** The input-layer weight (columns = inputs) and the output layer, for the copy-weights control. */
  get inputWeight(): Tensor {
    return this.lstm.params[0].weightIh;
  }

  get outputLayer(): Linear {
    return this.out;
  }

  forward(x: Tensor): Tensor {
    const { inputs, steps } = this.opts;
    if (x.rank !== 2 || x.shape[1] !== inputs) throw new Error(`ArithLstm: input has shape ${fmt(x.shape)}, expected [B, ${inputs}]`);
    if (this.opts.mode === 'repeat') {
      const seq = stack(new Array<Tensor>(steps).fill(x), 1);
      const h = unstack(this.lstm.forward(seq).h);
      return this.out.forward(h[h.length - 1]);
    }
    const tuples = this.tupleMasks.length;
    const alone = this.tupleMasks.map((m) => x.mul(m));
    const seq = stack(alone.flatMap((xj) => new Array<Tensor>(steps).fill(xj)), 1);
    const hs = unstack(this.lstm.forward(seq).output, 1);
    const outBlock = this.opts.outputs / tuples;
    const perTuple = alone.map((_, j) => split(this.out.forward(hs[(j + 1) * steps - 1]), new Array<number>(tuples).fill(outBlock), 1)[j]);
    return concat(perTuple, 1);
  }

  namedParameters(): [string, Tensor][] {
    return [...childParameters('lstm', this.lstm), ...childParameters('out', this.out)];
  }
}
