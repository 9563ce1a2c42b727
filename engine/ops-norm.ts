/**
 * Layer normalisation over the last axis, fused forward and backward: 'torch' is nn.LayerNorm's
 * (x − mean)/√(var + eps); 'paper' the authors' (x − mean)/(std_unbiased + eps). A gain and bias with a
 * leading sample axis [K, d] are K mask samples: slice k of the batch (the first axis) uses sample k.
 */
import type { LayerNormSpec } from './backend.js';
import { backendOf, expectDtype, fromStorage, record } from './ops.js';
import { checkOptions } from './options.js';
import { fmt } from './shape.js';
import type { Tensor } from './tensor.js';

export interface LayerNormOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Default 'torch'. */
  variant?: 'torch' | 'paper';
}

export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, opts: LayerNormOptions = {}): Tensor {
  const be = backendOf('layerNorm', [x, weight, bias]);
  checkOptions('layerNorm', opts, { eps: 'number', variant: ['torch', 'paper'] });
  for (const [t, what] of [[x, 'input'], [weight, 'weight'], [bias, 'bias']] as const) expectDtype('layerNorm', t, 'f32', what);
  const cols = x.shape[x.rank - 1];
  const samples = weight.rank === 2 ? weight.shape[0] : 1;
  const paramShape = samples > 1 || weight.rank === 2 ? [samples, cols] : [cols];
  const fits = (t: Tensor) => t.rank === paramShape.length && t.shape.every((d, i) => d === paramShape[i]);
  if (x.rank < 1 || weight.rank > 2 || !fits(weight) || !fits(bias)) {
    throw new Error(`layerNorm: input ${fmt(x.shape)} needs weight and bias of shape [${cols}] or [K, ${cols}], got ${fmt(weight.shape)} and ${fmt(bias.shape)}`);
  }
  if (x.shape[0] % samples !== 0 || (samples > 1 && x.rank < 2)) {
    throw new Error(`layerNorm: input ${fmt(x.shape)} does not split into ${samples} mask-sample slices along its first axis`);
  }
  const spec: LayerNormSpec = { rows: x.size / cols, cols, eps: opts.eps ?? 1e-5, variant: opts.variant ?? 'torch', samples };
  const { y, stats } = be.layerNorm(x.storage, weight.storage, bias.storage, spec);
  // The row statistics live as long as the caller's tidy scope, like the LSTM's saved activations.
  const saved = fromStorage(be, stats, [spec.rows, 2]);
  const out = fromStorage(be, y, x.shape);
  if (![x, weight, bias].some((t) => t.requiresGrad)) {
    saved.dispose();
    return out;
  }
  return record(out, 'layerNorm', [x, weight, bias], (g) => {
    const grads = be.layerNormBackward(g.storage, x.storage, weight.storage, saved.storage, spec);
    return [fromStorage(be, grads.dx, x.shape), fromStorage(be, grads.dgain, weight.shape), fromStorage(be, grads.dbias, bias.shape)];
  });
}
