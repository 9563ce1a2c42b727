/** Base training of an experiment's network (SPEC §2: Adam, gradient clipping, fixed steps). */
import { Adam } from '../engine/optim/adam.js';
import { clipCoefficient } from '../engine/optim/clip.js';
import { tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import type { LossPoint } from '../masking/report-types.js';
import { disposeBatch } from '../masking/train-stage.js';
import type { Module } from '../models/module.js';
import type { AnyExperiment, BaseConfig } from './types.js';

export interface StepProgress {
  step: number;
  loss?: number;
}

/** Called after every step with that step's loss, which it owns (reads when it wants, then disposes). */
export type OnStep = (step: number, loss: Tensor) => Promise<void>;

/** The training loop itself; the caller decides when to read losses back (each read is a sync). */
export async function trainBaseSteps(def: AnyExperiment, model: Module, cfg: BaseConfig, seed: number, onStep: OnStep): Promise<void> {
  const params = model.parameters();
  params.forEach((p) => p.requireGrad());
  const opt = new Adam(params, { lr: cfg.baseLr });
  for (let step = 0; step < cfg.baseSteps; step++) {
    const batch = def.batch(cfg, seed, 'base', step);
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = def.loss(model, batch, cfg);
      l.backward();
      const { coef } = clipCoefficient(params, cfg.baseClip);
      opt.step(coef);
      return l;
    });
    disposeBatch(batch);
    await onStep(step, loss);
  }
  opt.zeroGrad();
  opt.dispose();
}

/** Base training that reads the loss every `logEvery` steps; returns the loss curve. */
export async function trainBase(
  def: AnyExperiment, model: Module, cfg: BaseConfig, seed: number, onProgress: (p: StepProgress) => void, logEvery = 100,
): Promise<LossPoint[]> {
  const curve: LossPoint[] = [];
  await trainBaseSteps(def, model, cfg, seed, async (step, loss) => {
    let value: number | undefined;
    if (step % logEvery === 0 || step === cfg.baseSteps - 1) {
      value = await loss.item();
      curve.push({ step, loss: value });
    }
    loss.dispose();
    onProgress({ step, loss: value });
  });
  return curve;
}
