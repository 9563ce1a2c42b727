/**
 * Scaled dot-product attention, PyTorch's semantics and layout (F.scaled_dot_product_attention):
 * q [B, H, Tq, d], k and v [B, H, Tk, d], scale 1/√d; `causal` masks keys j > i; `keyLengths` ([B] i32)
 * masks a row's padded keys. A query row whose keys are all masked gives zeros, not NaN. One fused op:
 * the backward recomputes the probabilities from the saved log-sum-exp (no T×T matrix is kept).
 */
import type { AttentionSpec } from './backend.js';
import { backendOf, expectDtype, fromStorage, record } from './ops.js';
import { checkOptions } from './options.js';
import { nextRandomStream } from './state.js';
import { fmt, sameShape } from './shape.js';
import type { Tensor } from './tensor.js';

/** Longest head the kernels hold in registers. */
export const MAX_HEAD_SIZE = 128;

export interface AttentionOptions {
  causal?: boolean;
  /** Dropout rate on the attention probabilities (counter RNG, regenerated in the backward); default 0. */
  dropout?: number;
  /** [B] i32: keys at positions ≥ keyLengths[b] are padding. */
  keyLengths?: Tensor;
}

export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const lengths = opts.keyLengths;
  const be = backendOf(op, lengths ? [q, k, v, lengths] : [q, k, v]);
  checkOptions(op, opts, { causal: 'boolean', dropout: 'number', keyLengths: 'object' });
  const rate = opts.dropout ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`${op}: dropout must be in [0, 1), got ${rate}`);
  for (const [t, what] of [[q, 'q'], [k, 'k'], [v, 'v']] as const) expectDtype(op, t, 'f32', what);
  const shapes = `q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`;
  if (q.rank !== 4 || k.rank !== 4 || !sameShape(k.shape, v.shape)) throw new Error(`${op}: needs q [B, H, Tq, d] and k, v [B, H, Tk, d], got ${shapes}`);
  const [batch, heads, tq, dHead] = q.shape;
  const [kb, kh, tk, kd] = k.shape;
  if (kb !== batch || kh !== heads) throw new Error(`${op}: batch and heads differ: ${shapes}`);
  if (kd !== dHead) throw new Error(`${op}: head sizes differ (d_head ${dHead} vs ${kd}): ${shapes}`);
  if (dHead > MAX_HEAD_SIZE) throw new Error(`${op}: d_head ${dHead} is over the supported ${MAX_HEAD_SIZE}`);
  if (lengths) {
    expectDtype(op, lengths, 'i32', 'keyLengths');
    if (!sameShape(lengths.shape, [batch])) throw new Error(`${op}: keyLengths must be [${batch}], got ${fmt(lengths.shape)}`);
  }
  const spec: AttentionSpec = {
    batch, heads, tq, tk, dHead, causal: opts.causal ?? false, hasLengths: !!lengths,
    dropout: { rate, ...(rate > 0 ? nextRandomStream() : { seed: 0, stream: 0 }) },
  };
  // Without key lengths the kernels still bind a buffer there; q's storage serves (it is never read).
  const lengthStorage = lengths ? lengths.storage : q.storage;
  const { out: outStorage, stats } = be.attention(q.storage, k.storage, v.storage, lengthStorage, spec);
  const out = fromStorage(be, outStorage, [batch, heads, tq, dHead]);
  // The row statistics live as long as the caller's tidy scope, like the LSTM's saved activations.
  const saved = fromStorage(be, stats, [stats.size]);
  if (![q, k, v].some((t) => t.requiresGrad)) {
    saved.dispose();
    return out;
  }
  return record(out, op, [q, k, v], (g) => {
    const grads = be.attentionBackward(q.storage, k.storage, v.storage, out.storage, g.storage, saved.storage, lengthStorage, spec);
    return [fromStorage(be, grads.dq, q.shape), fromStorage(be, grads.dk, k.shape), fromStorage(be, grads.dv, v.shape)];
  });
}
