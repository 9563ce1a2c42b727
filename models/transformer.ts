/**
 * The authors' encoder–decoder Transformer for SCAN (docs/experiments.md#scan), layer for layer:
 * multi-head attention with q = Linear(d, d), k and v from one Linear(d, 2d) whose rows interleave per
 * head ([k_h0, v_h0, k_h1, v_h1, …] in blocks of d_head), a merge Linear(d, d), no biases; post-norm layers
 * x = norm(x + dropout(sublayer(x))) with the authors' LayerNorm (x − mean)/(std + eps); ReLU feed-forward;
 * sinusoidal positions with dropout; untied input and output embeddings without √d scaling; an output
 * Linear(d, vocab) with Xavier init. Every weight and LayerNorm gain/bias can be masked (param()); with
 * K samples each batch slice runs with its own. Parameter names follow the authors' module.
 */
import { full, ones, rand, randn, tensor, zeros } from '../engine/create.js';
import { scaledDotProductAttention } from '../engine/ops-attention.js';
import { concat, split, stack } from '../engine/ops-concat.js';
import { argmax, embedding } from '../engine/ops.js';
import { layerNorm } from '../engine/ops-norm.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module, childParameters } from './module.js';
import { param } from './param-override.js';

/** torch.nn.init.xavier_uniform_ of a [rows, cols] block: U(±gain·√(6 / (rows + cols))). */
const xavierBlock = (rows: number, cols: number, gain = 1): Tensor => {
  const bound = gain * Math.sqrt(6 / (rows + cols));
  return rand([rows, cols]).mul(2 * bound).sub(bound);
};

/** A Linear's weight set to Xavier-uniform blocks stacked by rows (the authors init data_to_kv's halves apart). */
function xavier(layer: Linear, gain = 1, blocks = 1): void {
  const rows = layer.outFeatures / blocks;
  noGrad(() => layer.weight.assign(concat(Array.from({ length: blocks }, () => xavierBlock(rows, layer.inFeatures, gain)), 0)));
}

/** The authors' LayerNorm: gain 1, bias 0, (x − mean)/(std_unbiased + eps). */
export class PaperLayerNorm extends Module {
  readonly gamma: Tensor;
  readonly beta: Tensor;

  constructor(readonly size: number) {
    super();
    this.gamma = ones([size]).keep().requireGrad();
    this.beta = zeros([size]).keep().requireGrad();
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, param(this.gamma), param(this.beta), { variant: 'paper', eps: 1e-5 });
  }

  namedParameters(): [string, Tensor][] {
    return [['gamma', this.gamma], ['beta', this.beta]];
  }
}

export interface AttentionMasks {
  causal?: boolean;
  keyLengths?: Tensor;
}

/** Keys and values of the attended positions, per head: [B, H, T, d_head] each. */
export interface KeysValues {
  k: Tensor;
  v: Tensor;
}

/** [B, T, H·d_head] (or [B, T, H, 1, d_head]) → [B, H, T, d_head]. */
const toHeads = (t: Tensor, heads: number, dHead: number): Tensor => t.reshape(t.shape[0], t.shape[1], heads, dHead).transpose(0, 2, 1, 3);

export class MultiHeadAttention extends Module {
  readonly dataToQ: Linear;
  readonly dataToKv: Linear;
  readonly merge: Linear;
  readonly dHead: number;

  constructor(readonly size: number, readonly heads: number) {
    super();
    if (size % heads !== 0) throw new Error(`MultiHeadAttention: width ${size} does not split into ${heads} heads`);
    this.dHead = size / heads;
    this.dataToKv = new Linear(size, 2 * size, { bias: false });
    this.dataToQ = new Linear(size, size, { bias: false });
    this.merge = new Linear(size, size, { bias: false });
    xavier(this.merge);
    xavier(this.dataToQ);
    xavier(this.dataToKv, 1, 2);
  }

  /** current [B, Tq, d] attends to attendTo [B, Tk, d] → [B, Tq, d]; `dropout` applies to the probabilities. */
  forward(current: Tensor, attendTo: Tensor, masks: AttentionMasks = {}, dropout = 0): Tensor {
    return this.attend(current, this.keysValues(attendTo), masks, dropout);
  }

  /** attendTo [B, Tk, d] → keys and values [B, H, Tk, d_head]: what greedy decoding computes once per position. */
  keysValues(attendTo: Tensor): KeysValues {
    const [batch, tk] = attendTo.shape;
    // Rows of data_to_kv interleave per head: [k_h, v_h] blocks of d_head.
    const [k, v] = split(this.dataToKv.forward(attendTo).reshape(batch, tk, this.heads, 2, this.dHead), [1, 1], 3);
    return { k: toHeads(k, this.heads, this.dHead), v: toHeads(v, this.heads, this.dHead) };
  }

  /** current [B, Tq, d] attends to keys and values from keysValues → [B, Tq, d]. */
  attend(current: Tensor, kv: KeysValues, masks: AttentionMasks = {}, dropout = 0): Tensor {
    const [batch, tq] = current.shape;
    const q = toHeads(this.dataToQ.forward(current), this.heads, this.dHead);
    const out = scaledDotProductAttention(q, kv.k, kv.v, { ...masks, dropout });
    return this.merge.forward(out.transpose(0, 2, 1, 3).reshape(batch, tq, this.size));
  }

  namedParameters(): [string, Tensor][] {
    return [...childParameters('multi_head_merge', this.merge), ...childParameters('data_to_kv', this.dataToKv), ...childParameters('data_to_q', this.dataToQ)];
  }
}

/** The feed-forward block's two layers, with the authors' init (Xavier, ReLU gain on the first). */
function feedForward(size: number, ff: number): [Linear, Linear] {
  const linear1 = new Linear(size, ff);
  const linear2 = new Linear(ff, size);
  xavier(linear1, Math.SQRT2);
  xavier(linear2);
  return [linear1, linear2];
}

export class EncoderLayer extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: PaperLayerNorm;
  readonly norm2: PaperLayerNorm;

  constructor(size: number, heads: number, ff: number, readonly dropoutRate: number) {
    super();
    this.selfAttn = new MultiHeadAttention(size, heads);
    [this.linear1, this.linear2] = feedForward(size, ff);
    this.norm1 = new PaperLayerNorm(size);
    this.norm2 = new PaperLayerNorm(size);
  }

  forward(x: Tensor, keyLengths: Tensor | undefined): Tensor {
    const drop = (t: Tensor) => (this.training ? dropout(t, this.dropoutRate) : t);
    const rate = this.training ? this.dropoutRate : 0;
    x = this.norm1.forward(x.add(drop(this.selfAttn.forward(x, x, { keyLengths }, rate))));
    return this.norm2.forward(x.add(drop(this.linear2.forward(drop(this.linear1.forward(x).relu())))));
  }

  namedParameters(): [string, Tensor][] {
    return [
      ...childParameters('self_attn', this.selfAttn), ...childParameters('linear1', this.linear1), ...childParameters('linear2', this.linear2),
      ...childParameters('norm1', this.norm1), ...childParameters('norm2', this.norm2),
    ];
  }
}

export class DecoderLayer extends Module {
  readonly selfAttn: MultiHeadAttention;
  readonly crossAttn: MultiHeadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norms: [PaperLayerNorm, PaperLayerNorm, PaperLayerNorm];

  constructor(size: number, heads: number, ff: number, readonly dropoutRate: number) {
    super();
    this.selfAttn = new MultiHeadAttention(size, heads);
    this.crossAttn = new MultiHeadAttention(size, heads);
    [this.linear1, this.linear2] = feedForward(size, ff);
    this.norms = [new PaperLayerNorm(size), new PaperLayerNorm(size), new PaperLayerNorm(size)];
  }

  /** Teacher forcing: x [B, T, d] attends causally to itself, then to the encoder's memory. */
  forward(x: Tensor, memory: Tensor, srcLengths: Tensor | undefined): Tensor {
    const rate = this.training ? this.dropoutRate : 0;
    return this.rest(this.selfAttn.forward(x, x, { causal: true }, rate), x, this.crossAttn.keysValues(memory), srcLengths);
  }

  /**
   * One greedy step: x [B, 1, d] attends to the cached keys and values of the earlier steps plus its own
   * (no mask: every cached step is in the past), then to the memory's keys and values (computed once per
   * sequence). Returns the output and the cache extended by this step.
   */
  step(x: Tensor, memoryKv: KeysValues, srcLengths: Tensor | undefined, cache: KeysValues | null): { x: Tensor; cache: KeysValues } {
    const own = this.selfAttn.keysValues(x);
    const kv = cache ? { k: concat([cache.k, own.k], 2), v: concat([cache.v, own.v], 2) } : own;
    return { x: this.rest(this.selfAttn.attend(x, kv), x, memoryKv, srcLengths), cache: kv };
  }

  /** Everything after the self-attention: residual and norm, cross-attention, feed-forward. */
  private rest(selfAttended: Tensor, x: Tensor, memoryKv: KeysValues, srcLengths: Tensor | undefined): Tensor {
    const drop = (t: Tensor) => (this.training ? dropout(t, this.dropoutRate) : t);
    const [n1, n2, n3] = this.norms;
    const rate = this.training ? this.dropoutRate : 0;
    x = n1.forward(x.add(drop(selfAttended)));
    x = n2.forward(x.add(drop(this.crossAttn.attend(x, memoryKv, { keyLengths: srcLengths }, rate))));
    return n3.forward(x.add(drop(this.linear2.forward(drop(this.linear1.forward(x).relu())))));
  }

  namedParameters(): [string, Tensor][] {
    return [
      ...childParameters('self_attn', this.selfAttn), ...childParameters('multihead_attn', this.crossAttn),
      ...childParameters('linear1', this.linear1), ...childParameters('linear2', this.linear2),
      ...this.norms.flatMap((n, i) => childParameters(`norm${i + 1}`, n)),
    ];
  }
}

export interface TransformerOptions {
  inputVocab: number;
  outputVocab: number;
  size: number;
  heads: number;
  ff: number;
  encoderLayers: number;
  decoderLayers: number;
  dropout: number;
  /** The decoder's start token (the authors use the EOS id for both). */
  sos: number;
}

/** Sinusoidal positions [T, d] starting at `offset`: sin on even channels, cos on odd ones. */
export function positions(steps: number, size: number, offset = 0): Tensor {
  const pe = new Float32Array(steps * size);
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < size; i += 2) {
      const angle = (t + offset) * Math.exp(-(i * Math.log(10000)) / size);
      pe[t * size + i] = Math.sin(angle);
      if (i + 1 < size) pe[t * size + i + 1] = Math.cos(angle);
    }
  }
  return tensor(pe, [steps, size]);
}

export class Seq2SeqTransformer extends Module {
  readonly inputEmbedding: Tensor;
  readonly outputEmbedding: Tensor;
  readonly encoder: EncoderLayer[];
  readonly decoder: DecoderLayer[];
  readonly outputMap: Linear;
  /** Position encodings by (steps, offset), made once: a step would otherwise upload them anew. */
  private readonly positionCache = new Map<string, Tensor>();

  constructor(readonly opts: TransformerOptions) {
    super();
    const { size, heads, ff, dropout: p } = opts;
    // nn.Embedding's init, N(0, 1).
    this.inputEmbedding = noGrad(() => randn([opts.inputVocab, size])).keep().requireGrad();
    this.outputEmbedding = noGrad(() => randn([opts.outputVocab, size])).keep().requireGrad();
    this.outputMap = new Linear(size, opts.outputVocab);
    xavier(this.outputMap);
    this.encoder = Array.from({ length: opts.encoderLayers }, () => new EncoderLayer(size, heads, ff, p));
    this.decoder = Array.from({ length: opts.decoderLayers }, () => new DecoderLayer(size, heads, ff, p));
  }

  override train(on = true): this {
    super.train(on);
    [...this.encoder, ...this.decoder].forEach((l) => l.train(on));
    return this;
  }

  /** Token embeddings plus positions from `offset`, then dropout. */
  private embed(table: Tensor, ids: Tensor, offset = 0): Tensor {
    const steps = ids.shape[1];
    const key = `${steps}@${offset}`;
    let pe = this.positionCache.get(key);
    if (!pe) this.positionCache.set(key, (pe = positions(steps, this.opts.size, offset).keep()));
    const x = embedding(table, ids).add(pe);
    return this.training ? dropout(x, this.opts.dropout) : x;
  }

  /** src [B, T] i32 (padding past srcLengths) → memory [B, T, d]. */
  encode(src: Tensor, srcLengths: Tensor): Tensor {
    let x = this.embed(this.inputEmbedding, src);
    for (const layer of this.encoder) x = layer.forward(x, srcLengths);
    return x;
  }

  /** Teacher forcing: `inputs` [B, T] (SOS, then the reference) → logits [B, T, V]. */
  decodeForced(memory: Tensor, srcLengths: Tensor, inputs: Tensor): Tensor {
    let x = this.embed(this.outputEmbedding, inputs);
    for (const layer of this.decoder) x = layer.forward(x, memory, srcLengths);
    return this.outputMap.forward(x);
  }

  /**
   * Greedy decoding for `steps` steps from SOS, one position at a time, as the authors' one_step_forward:
   * each decoder layer projects the memory's keys and values once and caches the self-attention keys and
   * values of the earlier steps on the device, so a step projects only its own position.
   */
  decodeGreedy(memory: Tensor, srcLengths: Tensor, steps: number): { logits: Tensor; tokens: Tensor } {
    const batch = memory.shape[0];
    let token = full([batch, 1], this.opts.sos, 'i32');
    const memoryKv = this.decoder.map((layer) => layer.crossAttn.keysValues(memory));
    const caches: (KeysValues | null)[] = this.decoder.map(() => null);
    const logits: Tensor[] = [];
    const tokens: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      let x = this.embed(this.outputEmbedding, token, t);
      this.decoder.forEach((layer, i) => {
        const out = layer.step(x, memoryKv[i], srcLengths, caches[i]);
        // Outside autograd the previous, shorter cache is dead once extended: free it now rather than at
        // the end of the enclosing tidy (a 1,024-row batch would otherwise hold every length's copy).
        if (caches[i] && !out.cache.k.requiresGrad) [caches[i]!.k, caches[i]!.v].forEach((c) => c.dispose());
        caches[i] = out.cache;
        x = out.x;
      });
      const y = this.outputMap.forward(x).reshape(batch, -1);
      logits.push(y);
      const next = noGrad(() => argmax(y));
      tokens.push(next);
      token = next.reshape(batch, 1);
    }
    return { logits: stack(logits, 1), tokens: stack(tokens, 1) };
  }

  override dispose(): void {
    super.dispose();
    this.positionCache.forEach((t) => t.dispose());
    this.positionCache.clear();
  }

  namedParameters(): [string, Tensor][] {
    return [
      ['input_embedding.weight', this.inputEmbedding],
      ['output_embedding.weight', this.outputEmbedding],
      ...childParameters('output_map', this.outputMap),
      ...this.encoder.flatMap((l, i) => childParameters(`trafo.encoder.layers.${i}`, l)),
      ...this.decoder.flatMap((l, i) => childParameters(`trafo.decoder.layers.${i}`, l)),
    ];
  }
}
