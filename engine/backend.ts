/**
 * The interface both backends implement. It works on raw storages with explicit shapes; the Tensor
 * front end (engine/tensor.ts) does shape checking, broadcasting and autograd on top of it.
 */
import type { AnyTypedArray, DType } from './dtype.js';

export type BackendName = 'cpu' | 'webgpu';

/** An opaque handle to a buffer of `size` elements owned by one backend. */
export interface Storage {
  readonly backend: BackendName;
  readonly dtype: DType;
  readonly size: number;
}

/** Elementwise ops by operand count. Each backend has one table that implements them all. */
export const UNARY_OPS = [
  'identity', 'neg', 'exp', 'log', 'relu', 'sigmoid', 'tanh', 'softplus', 'abs', 'sqrt', 'square', 'step', 'toF32', 'toI32',
] as const;
export const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type MapOp = UnaryOp | BinaryOp | 'where';

export const arityOf = (op: MapOp): 1 | 2 | 3 => (op === 'where' ? 3 : (BINARY_OPS as readonly string[]).includes(op) ? 2 : 1);

/**
 * One operand of an elementwise map: a storage read through `strides` (one per output dimension, 0 where
 * broadcast — this is also how transposes are expressed), or a constant.
 */
export type MapInput = { storage: Storage; strides: readonly number[] } | { scalar: number };

export type ReduceOp = 'sum' | 'max' | 'sumsq';

export interface MatmulSpec {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** a is stored [k, m] per batch instead of [m, k]. */
  transA: boolean;
  /** b is stored [n, k] per batch instead of [k, n]. */
  transB: boolean;
  /** 0 broadcasts one matrix over the batch. */
  batchStrideA: number;
  batchStrideB: number;
}

/** A 2-D convolution over NCHW input (PyTorch's conv2d, zero padding); kernels/cpu/conv.ts is its reference. */
export interface Conv2dSpec {
  batch: number;
  inC: number;
  h: number;
  w: number;
  outC: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padH: number;
  padW: number;
  /** Channels split into this many independent groups (inC and outC divisible by it). */
  groups: number;
  outH: number;
  outW: number;
  /** The weight holds this many stacked samples; batch slice k (batch / samples rows) uses sample k. */
  samples: number;
}

/** Max pooling over NCHW input without padding. */
export interface Pool2dSpec {
  batch: number;
  channels: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  outH: number;
  outW: number;
}

/**
 * Layer normalisation over the last axis of [rows, cols]: 'torch' (x − mean)/√(var + eps) with the biased
 * variance (nn.LayerNorm), or 'paper' (x − mean)/(std + eps) with the unbiased std (the authors' layer).
 * With `samples` K > 1, gain and bias hold K stacked samples and row slice k (rows / K rows) uses sample k.
 */
export interface LayerNormSpec {
  rows: number;
  cols: number;
  eps: number;
  variant: 'torch' | 'paper';
  samples: number;
}

/**
 * Scaled dot-product attention over [batch, heads, T, dHead] (PyTorch's layout and scale 1/√dHead):
 * `causal` masks keys j > i; key lengths (one per batch row) mask keys j ≥ length. A query row with every
 * key masked gives zeros.
 */
export interface AttentionSpec {
  batch: number;
  heads: number;
  tq: number;
  tk: number;
  dHead: number;
  causal: boolean;
  /** Whether the keyLengths storage holds real lengths (else it is a placeholder and all keys count). */
  hasLengths: boolean;
  /**
   * Dropout on the probabilities: probability (row, key) is kept when uniform (row·tk + key) of the
   * counter stream (seed, stream) exceeds `rate`, then scaled by 1/(1 − rate); 0 turns it off.
   */
  dropout: { rate: number; seed: number; stream: number };
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1 - beta1^t and 1 - beta2^t for the step t being taken. */
  biasCorrection1: number;
  biasCorrection2: number;
}

export interface MemoryInfo {
  /** Buffers handed out and not yet released. Flat across training steps when nothing leaks. */
  liveBuffers: number;
  liveBytes: number;
  /** Released buffers kept for reuse (the CPU backend: result arrays, up to 256 MiB), and their bytes. */
  pooledBuffers: number;
  pooledBytes: number;
}

export interface Backend {
  readonly name: BackendName;
  /** A human-readable description, e.g. the GPU adapter. */
  readonly description: string;
  upload(data: AnyTypedArray): Storage;
  fill(dtype: DType, size: number, value: number): Storage;
  read(s: Storage): Promise<AnyTypedArray>;
  release(s: Storage): void;
  /** Elementwise op over `outShape`; inputs are strided views or scalars. */
  map(op: MapOp, inputs: readonly MapInput[], outShape: readonly number[], outDtype: DType): Storage;
  /** Reduces x (of `shape`) over `axes` (sorted); the result has the kept dimensions in order. */
  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage;
  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage;
  /** Softmax or log-softmax over the last axis of a [rows, cols] matrix. */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage;
  /**
   * Per-row cross-entropy -log softmax(x)[target] of [rows, cols] logits with i32 targets; a negative
   * target marks an ignored row, whose loss is 0.
   */
  crossEntropy(logits: Storage, targets: Storage, rows: number, cols: number): Storage;
  /** Index (i32) of the largest value of each row of [rows, cols], the first on ties. */
  argmax(x: Storage, rows: number, cols: number): Storage;
  /** scale · (softmax − onehot) per row (0 for ignored rows); `scale` is a 1-element storage. */
  crossEntropyBackward(logits: Storage, targets: Storage, scale: Storage, rows: number, cols: number): Storage;
  /** out[i, :] = table[idx[i], :] for a [rows, cols] table and n i32 indices. */
  gather(table: Storage, idx: Storage, rows: number, cols: number, n: number): Storage;
  /** The backward of gather: out[r, :] = Σ_{i: idx[i]=r} grad[i, :]. */
  scatterAdd(grad: Storage, idx: Storage, rows: number, cols: number, n: number): Storage;
  /** Counter-based random numbers keyed by (seed, stream, element index): identical on both backends. */
  random(kind: 'uniform' | 'normal', size: number, seed: number, stream: number): Storage;
  /**
   * Inverted-dropout factors in one pass: f32(1/(1 − rate)) where the stream's uniform u_i exceeds `rate`,
   * else 0 — the values of rand(size).gt(rate).mul(1/(1 − rate)) from the same stream, on each backend.
   */
  dropoutFactors(size: number, rate: number, seed: number, stream: number): Storage;
  /** One Adam step, in place on param, m and v. `gradScale` (1 element) multiplies the gradient (clipping). */
  adam(param: Storage, grad: Storage, m: Storage, v: Storage, hyper: AdamHyper, gradScale: Storage | null): void;
  /**
   * `samples` hard Gumbel-sigmoid mask samples applied to a weight: out[k·n + i] = weight[i]·m_ki with
   * P(m_ki = 1) = σ(logits[i]); the noise of sample k, weight i is counter k·n + i of (seed, stream).
   */
  maskSample(logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage;
  /** Straight-through gradient of maskSample w.r.t. the logits: Σ_k grad[k·n + i]·weight[i]·s(1 − s). */
  maskSampleBackward(grad: Storage, logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage;
  /**
   * One fused LSTM step (kernels/cpu/lstm.ts) from pre-activation gates [batch, 4·hidden] in PyTorch's order
   * i, f, g, o and the previous cell state [batch, hidden]: c = σ(f)·c_prev + σ(i)·tanh(g), h = σ(o)·tanh(c).
   */
  lstmCell(gates: Storage, cPrev: Storage, batch: number, hidden: number, save?: boolean): { h: Storage; c: Storage; saved?: Storage };
  /**
   * Gradients of lstmCell's gates and c_prev given those of h and c. `saved` is what lstmCell returned with
   * `save` (a backend may return nothing there and recompute the activations from the gates instead).
   */
  lstmCellBackward(gates: Storage, cPrev: Storage, dh: Storage, dc: Storage, batch: number, hidden: number, saved?: Storage): { dgates: Storage; dcPrev: Storage };
  /** 2-D convolution: x [batch, inC, h, w] and w [samples·outC, inC/groups, kh, kw] → [batch, outC, outH, outW]. */
  conv2d(x: Storage, w: Storage, spec: Conv2dSpec): Storage;
  /** Gradient of conv2d with respect to x. */
  conv2dBackwardInput(dy: Storage, w: Storage, spec: Conv2dSpec): Storage;
  /** Gradient of conv2d with respect to w (each sample's from its own batch slice). */
  conv2dBackwardWeight(x: Storage, dy: Storage, spec: Conv2dSpec): Storage;
  /** Max pooling; also the winning index within each input plane (i32), for the backward. */
  maxPool2d(x: Storage, spec: Pool2dSpec): { out: Storage; argmax: Storage };
  maxPool2dBackward(dy: Storage, argmax: Storage, spec: Pool2dSpec): Storage;
  /** y = x̂·gain + bias per row; also each row's mean and 1/denominator ([rows, 2]) for the backward. */
  layerNorm(x: Storage, gain: Storage, bias: Storage, spec: LayerNormSpec): { y: Storage; stats: Storage };
  /** Gradients of x, gain and bias (gain's and bias's per sample, from their row slices). */
  layerNormBackward(dy: Storage, x: Storage, gain: Storage, stats: Storage, spec: LayerNormSpec): { dx: Storage; dgain: Storage; dbias: Storage };
  /**
   * Attention output [batch, heads, tq, dHead] and per query row two floats of saved state (its scores'
   * log-sum-exp first) that only attentionBackward reads (and may write).
   */
  attention(q: Storage, k: Storage, v: Storage, keyLengths: Storage, spec: AttentionSpec): { out: Storage; stats: Storage };
  /** Gradients of q, k and v, recomputing the probabilities from the saved log-sum-exp. */
  attentionBackward(q: Storage, k: Storage, v: Storage, out: Storage, dout: Storage, stats: Storage, keyLengths: Storage, spec: AttentionSpec): { dq: Storage; dk: Storage; dv: Storage };
  /** x viewed as [outer, axis, inner]: the block [:, start:start+length, :] as a new dense buffer, any dtype. */
  slice(x: Storage, outer: number, axis: number, inner: number, start: number, length: number): Storage;
  /** Parts viewed as [outer, lengths[i], inner] (one dtype), concatenated along the middle axis. */
  concat(parts: readonly Storage[], outer: number, lengths: readonly number[], inner: number): Storage;
  memory(): MemoryInfo;
  /** Submit queued work (no-op on CPU). */
  flush(): void;
}

/**
 * The error for indices out of [0, limit), worded alike on every backend. It names the largest index
 * ≥ limit, else the most negative one: the GPU finds those with atomics, where "the first" has no meaning.
 */
export function indexOutOfRange(op: string, idx: ArrayLike<number>, limit: number, negativesAllowed: boolean): Error | null {
  let high = -1;
  let low = 0;
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] >= limit) high = Math.max(high, idx[i]);
    else if (idx[i] < 0 && !negativesAllowed) low = Math.min(low, idx[i]);
  }
  const bad = high >= 0 ? high : low < 0 ? low : null;
  return bad === null ? null : new Error(`${op}: index ${bad} is out of range [0, ${limit})`);
}
