/**
 * Running a model with substitute parameters, without the model knowing about masks: inside
 * `withParams(map, fn)`, layers read each parameter through `param(p)` and get map.get(p) when present.
 * A substitute may carry a leading sample axis ([K, ...p.shape]): then slice k of the batch uses sample k
 * (docs/method.md#samples-per-step). `fn` must be synchronous (a forward pass is).
 */
import type { Tensor } from '../engine/tensor.js';

let active: ReadonlyMap<Tensor, Tensor> | null = null;

export function withParams<T>(overrides: ReadonlyMap<Tensor, Tensor>, fn: () => T): T {
  const before = active;
  active = overrides;
  try {
    return fn();
  } finally {
    active = before;
  }
}

/** The tensor to use for parameter p in the current forward pass. */
export const param = (p: Tensor): Tensor => active?.get(p) ?? p;
