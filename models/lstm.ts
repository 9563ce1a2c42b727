/**
 * Multi-layer LSTM, batch-first, with PyTorch's parameter names, layout and init (nn.LSTM with
 * batch_first=True): `weight_ih_l{k}` [4H, in], `weight_hh_l{k}` [4H, H], `bias_ih_l{k}`, `bias_hh_l{k}` [4H],
 * gates in the order i, f, g, o, all initialised U(−1/√H, 1/√H) (or with the paper's init, `init: 'paper'`).
 *
 * Weights are read through param() and applied with linear(), so masks can substitute sampled weights
 * [K, ...]: batch slice k then uses sample k at every time step (linear cuts the batch axis, which both the
 * [B, T, in] input projection and the per-step [B, H] recurrence keep first).
 */
import { rand, zeros } from '../engine/create.js';
import { stack, unstack } from '../engine/ops-concat.js';
import { lstmSequence } from '../engine/ops-lstm.js';
import { fmt } from '../engine/shape.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { linear } from './linear.js';
import { Module } from './module.js';
import { param } from './param-override.js';
import { dropout } from './dropout.js';
import { paperLstmBias, paperLstmWeight } from './lstm-init.js';
import { checkOptions } from '../engine/options.js';

/** Hidden and cell state, each [layers, B, H]. */
export interface LstmState {
  h: Tensor;
  c: Tensor;
}

export interface LstmOutput extends LstmState {
  /** The last layer's h at every step, [B, T, H]; zero past a row's length. */
  output: Tensor;
}

export interface LstmOptions {
  /** Dropout on the outputs of every layer but the last, in training mode only (as nn.LSTM). */
  dropout?: number;
  /** 'pytorch' (default): nn.LSTM's U(−1/√H, 1/√H); 'paper': the authors' init (models/lstm-init.ts). */
  init?: 'pytorch' | 'paper';
}

interface LayerParams {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor;
  biasHh: Tensor;
}

export class LSTM extends Module {
  readonly dropout: number;
  readonly params: LayerParams[];

  constructor(readonly inputSize: number, readonly hidden: number, readonly layers: number, opts: LstmOptions = {}) {
    super();
    checkOptions('LSTM', opts, { dropout: 'number', init: ['pytorch', 'paper'] });
    if (!(layers >= 1) || !Number.isInteger(layers)) throw new Error(`LSTM: layers must be a positive integer, got ${layers}`);
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`LSTM: dropout must be in [0, 1), got ${this.dropout}`);
    const bound = 1 / Math.sqrt(hidden);
    const uniform = (shape: number[]): Tensor => noGrad(() => rand(shape).mul(2 * bound).sub(bound));
    const paper = opts.init === 'paper';
    const trainable = (t: Tensor): Tensor => t.keep().requireGrad();
    // Created in nn.LSTM's parameter order.
    this.params = Array.from({ length: layers }, (_, k) => {
      const fanIn = k === 0 ? inputSize : hidden;
      return {
        weightIh: trainable(paper ? paperLstmWeight(hidden, fanIn, false) : uniform([4 * hidden, fanIn])),
        weightHh: trainable(paper ? paperLstmWeight(hidden, hidden, true) : uniform([4 * hidden, hidden])),
        biasIh: trainable(paper ? paperLstmBias(hidden, false) : uniform([4 * hidden])),
        biasHh: trainable(paper ? paperLstmBias(hidden, true) : uniform([4 * hidden])),
      };
    });
  }

  namedParameters(): [string, Tensor][] {
    return this.params.flatMap((p, k): [string, Tensor][] => [
      [`weight_ih_l${k}`, p.weightIh],
      [`weight_hh_l${k}`, p.weightHh],
      [`bias_ih_l${k}`, p.biasIh],
      [`bias_hh_l${k}`, p.biasHh],
    ]);
  }

  /**
   * x [B, T, in], an optional initial state (zeros by default) and optional per-row lengths (each in
   * 0..T): past its length a row's output is zero and its state stops changing, so the returned state is
   * the one after its last valid step (what packed sequences give in PyTorch). No packing: every row runs
   * all T steps, masked.
   */
  forward(x: Tensor, state?: LstmState | null, lengths?: ArrayLike<number>): LstmOutput {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize || x.shape[1] < 1) {
      throw new Error(`LSTM(${this.inputSize}→${this.hidden}): input has shape ${fmt(x.shape)}, expected [B, T ≥ 1, ${this.inputSize}]`);
    }
    const [batch, steps] = x.shape;
    const stateShape = [this.layers, batch, this.hidden];
    if (state && (state.h.shape.join() !== stateShape.join() || state.c.shape.join() !== stateShape.join())) {
      throw new Error(`LSTM: state h ${fmt(state.h.shape)}, c ${fmt(state.c.shape)} must both be ${fmt(stateShape)}`);
    }
    const lens = lengths ? this.checkedLengths(lengths, batch, steps) : null;
    const h0 = state ? unstack(state.h) : null;
    const c0 = state ? unstack(state.c) : null;
    let input = x;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let k = 0; k < this.layers; k++) {
      if (k > 0 && this.training && this.dropout > 0) input = dropout(input, this.dropout);
      const out = this.layer(k, input, h0?.[k] ?? zeros([batch, this.hidden]), c0?.[k] ?? zeros([batch, this.hidden]), lens);
      input = out.output;
      hs.push(out.h);
      cs.push(out.c);
    }
    return { output: input, h: stack(hs), c: stack(cs) };
  }

  /** One layer over the sequence: output [B, T, H], final h and c [B, H]. */
  private layer(k: number, x: Tensor, h0: Tensor, c0: Tensor, lengths: Int32Array | null): LstmOutput {
    const p = this.params[k];
    const weightHh = param(p.weightHh);
    // The input projection for all steps in one product, with both biases (b_ih + b_hh): one bias add and
    // one bias-gradient reduction per layer instead of per step. [B, T, in] keeps rows grouped by batch
    // row, so with K sampled weights linear() gives batch slice k sample k at every step.
    const projected = linear(x, param(p.weightIh), param(p.biasIh).add(param(p.biasHh)));
    return lstmSequence(projected, weightHh, h0, c0, lengths);
  }

  /** The lengths as lstmSequence takes them, checked here so that the error names the model. */
  private checkedLengths(lengths: ArrayLike<number>, batch: number, steps: number): Int32Array {
    const lens = Array.from(lengths);
    if (lens.length !== batch || lens.some((l) => !Number.isInteger(l) || l < 0 || l > steps)) {
      throw new Error(`LSTM: lengths [${lens.join(',')}] must be ${batch} integers in [0, ${steps}]`);
    }
    return Int32Array.from(lens);
  }
}

/** The one width of a stack of LSTM layers given as a list of widths (configs list one per layer). */
export function uniformWidth(model: string, hidden: readonly number[]): number {
  const width = hidden[0];
  if (hidden.length === 0 || hidden.some((h) => h !== width)) throw new Error(`${model}: all LSTM layers must have the same width, got [${hidden.join(',')}]`);
  return width;
}
