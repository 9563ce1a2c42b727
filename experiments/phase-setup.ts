/**
 * The set-up every mask stage shares, the phase driver's (experiments/phases.ts) and the step benchmarks'
 * (bench/lib/steps.ts): the base network frozen, the weights a stage masks, and the stage's trainer with
 * the experiment's settings — built here only, so a benchmarked step is the step a run trains.
 */
import { maskTargets, type MaskSet, type MaskTarget } from '../masking/mask-set.js';
import { MaskStageTrainer, type MaskStageConfig } from '../masking/train-stage.js';
import type { Module } from '../models/module.js';
import type { AnyExperiment, BaseConfig } from './types.js';

/** Masks train over a fixed network: no weight gradients, and in evaluation mode (dropout off). */
export function freezeForMasks(model: Module): void {
  model.parameters().forEach((p) => p.requireGrad(false));
  model.eval();
}

/** What the stages mask: every weight tensor; biases only where the experiment says (docs/method.md#what-is-masked). */
export const stageTargets = (def: AnyExperiment, model: Module): MaskTarget[] => maskTargets(model, { biases: def.maskBiases ?? false });

/** A mask stage's settings, read from the experiment's config. */
export const maskStageConfig = (cfg: BaseConfig): MaskStageConfig => ({
  steps: cfg.maskSteps, samples: cfg.samples, beta: cfg.beta, lr: cfg.maskLr, clip: cfg.maskClip,
  ...(cfg.authorsClip ? { authorsClip: true } : {}),
});

/**
 * One stage's trainer: a fresh Adam over `set`'s logits, less those `frozen` (copied from an earlier
 * stage); the regulariser's B is the experiment's rows per batch.
 */
export const stageTrainer = (def: AnyExperiment, cfg: BaseConfig, set: MaskSet, frozen: readonly boolean[] = []): MaskStageTrainer =>
  new MaskStageTrainer(set, maskStageConfig(cfg), frozen, def.regRows(cfg));
