/**
 * The SCAN encoder–decoder LSTM (docs/experiments.md#scan, as the authors' models/encoder_decoder.py): token embeddings,
 * an encoder LSTM whose final (h, c) of every layer starts the decoder LSTM, and a linear output layer
 * over the output vocabulary. No attention. Dropout (training mode only) on the embeddings and between
 * LSTM layers. The decoder starts from SOS and is fed either the reference (teacher forcing) or its own
 * previous greedy choice, computed on the device (no read-back inside the loop).
 */
import { full, randn } from '../engine/create.js';
import { stack } from '../engine/ops-concat.js';
import { argmax, embedding } from '../engine/ops.js';
import { fmt } from '../engine/shape.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { dropout } from './dropout.js';
import { Linear } from './linear.js';
import { LSTM, uniformWidth, type LstmState } from './lstm.js';
import { Module, childParameters } from './module.js';
import { checkOptions } from '../engine/options.js';

export interface Seq2SeqOptions {
  inputVocab: number;
  outputVocab: number;
  /** Embedding width (16 in the paper). */
  embedding: number;
  /** Width of each LSTM layer, encoder and decoder alike (2 × 200 in the paper). */
  hidden: readonly number[];
  dropout: number;
  /** Id of the start token fed to the decoder first. */
  sos: number;
}

export class Seq2SeqLstm extends Module {
  readonly encoderEmbedding: Tensor;
  readonly decoderEmbedding: Tensor;
  readonly encoder: LSTM;
  readonly decoder: LSTM;
  readonly out: Linear;

  constructor(readonly opts: Seq2SeqOptions) {
    super();
    checkOptions('Seq2SeqLstm', opts, { inputVocab: 'number', outputVocab: 'number', embedding: 'number', hidden: 'array', dropout: 'number', sos: 'number' }, ['inputVocab', 'outputVocab', 'embedding', 'hidden', 'dropout', 'sos']);
    const width = uniformWidth('Seq2SeqLstm', opts.hidden);
    // nn.Embedding's init, N(0, 1).
    const table = (rows: number): Tensor => noGrad(() => randn([rows, opts.embedding])).keep().requireGrad();
    this.encoderEmbedding = table(opts.inputVocab);
    this.encoder = new LSTM(opts.embedding, width, opts.hidden.length, { dropout: opts.dropout, init: 'paper' });
    this.decoderEmbedding = table(opts.outputVocab);
    this.decoder = new LSTM(opts.embedding, width, opts.hidden.length, { dropout: opts.dropout, init: 'paper' });
    this.out = new Linear(width, opts.outputVocab);
  }

  override train(on = true): this {
    super.train(on);
    this.encoder.train(on);
    this.decoder.train(on);
    return this;
  }

  /** src [B, T] i32 token ids (PAD past each row's length) → the encoder's final state, each [layers, B, H]. */
  encode(src: Tensor, lengths: ArrayLike<number>): LstmState {
    if (src.rank !== 2 || src.dtype !== 'i32') throw new Error(`Seq2SeqLstm.encode: source must be i32 [B, T], got ${src.dtype} ${fmt(src.shape)}`);
    const { h, c } = this.encoder.forward(this.embed(this.encoderEmbedding, src), null, lengths);
    return { h, c };
  }

  /**
   * Teacher forcing: the decoder reads `inputs` [B, T] (SOS, then the reference); logits [B, T, V]. With
   * each row's target length, the decoder stops a row there (its later logits are the output layer's bias,
   * for positions the loss does not score) and skips finished rows (models/lstm.ts).
   */
  decodeForced(state: LstmState, inputs: Tensor, lengths?: ArrayLike<number>): Tensor {
    return this.out.forward(this.decoder.forward(this.embed(this.decoderEmbedding, inputs), state, lengths).output);
  }

  /** Greedy decoding for `steps` steps from SOS, each step fed the previous step's argmax. */
  decodeGreedy(state: LstmState, steps: number): { logits: Tensor; tokens: Tensor } {
    const batch = state.h.shape[1];
    let token = full([batch, 1], this.opts.sos, 'i32');
    let current = state;
    const logits: Tensor[] = [];
    const tokens: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const step = this.decoder.forward(this.embed(this.decoderEmbedding, token), current);
      current = step;
      const y = this.out.forward(step.output.reshape(batch, -1));
      logits.push(y);
      const next = noGrad(() => argmax(y));
      tokens.push(next);
      token = next.reshape(batch, 1);
    }
    return { logits: stack(logits, 1), tokens: stack(tokens, 1) };
  }

  private embed(table: Tensor, ids: Tensor): Tensor {
    const e = embedding(table, ids);
    return this.training ? dropout(e, this.opts.dropout) : e;
  }

  namedParameters(): [string, Tensor][] {
    return [
      ['encoder.embedding.weight', this.encoderEmbedding],
      ...childParameters('encoder.lstm', this.encoder),
      ['decoder.embedding.weight', this.decoderEmbedding],
      ...childParameters('decoder.lstm', this.decoder),
      ...childParameters('decoder.out', this.out),
    ];
  }
}
