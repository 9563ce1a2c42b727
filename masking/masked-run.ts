/** Running a model under fixed 0/1 masks (evaluation): the masked weights substitute the parameters for one call. */
import type { Module } from '../models/module.js';
import { withParams } from '../models/param-override.js';
import { applyMasks, type BinaryMasks, type MaskTarget } from './mask-set.js';

/** Runs `fn` with the model under the masks being evaluated (synchronously: a forward pass). */
export type Masked<M> = <T>(fn: (model: M) => T) => T;

/** Runs a function of the model with 0/1 masks applied to `targets` (null: unmasked). */
export function maskedRun<M extends Module>(model: M, targets: readonly MaskTarget[], masks: BinaryMasks | null | undefined): Masked<M> {
  return (fn) => {
    if (!masks) return fn(model);
    const overrides = applyMasks(targets, masks);
    try {
      return withParams(overrides, () => fn(model));
    } finally {
      overrides.forEach((w) => w.dispose());
    }
  };
}
