/** Base training of an experiment's network (docs/experiments.md: Adam, gradient clipping, fixed steps). */
import { Adam } from '../engine/optim/adam.js';
import { clipCoefficient } from '../engine/optim/clip.js';
import { tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { disposeBatch, type Batch } from '../masking/train-stage.js';
import type { Module } from '../models/module.js';
import type { AnyExperiment, BaseConfig } from './types.js';

/** Called after every step with that step's loss, which it owns (reads when it wants, then disposes). */
export type OnStep = (step: number, loss: Tensor) => Promise<void>;

/** One base-training step at a time: Adam over every parameter, the gradient clipped by global norm. */
export class BaseTrainer {
  private readonly params: Tensor[];
  private readonly opt: Adam;

  constructor(private readonly def: AnyExperiment, private readonly model: Module, private readonly cfg: BaseConfig) {
    const decay = cfg.baseLrDecay ?? 0;
    if (!(decay >= 0 && decay < 1)) throw new Error(`base training: baseLrDecay must be in [0, 1), got ${decay}`);
    this.params = model.parameters();
    this.params.forEach((p) => p.requireGrad());
    this.opt = new Adam(this.params, { lr: cfg.baseLr });
  }

  /** Step `step` (0-based, of cfg.baseSteps) on `batch`; returns its loss (a scalar tensor the caller disposes). */
  step(batch: Batch, step: number): Tensor {
    this.opt.lr = baseLrAt(this.cfg, step);
    return tidy(() => {
      this.opt.zeroGrad();
      const l = this.def.loss(this.model, batch, this.cfg);
      l.backward();
      const { coef } = clipCoefficient(this.params, this.cfg.baseClip);
      this.opt.step(coef);
      return l;
    });
  }

  dispose(): void {
    this.opt.zeroGrad();
    this.opt.dispose();
  }
}

/** The lr of base step `step`: baseLr, falling linearly over the last baseLrDecay of the steps (types.ts). */
export function baseLrAt(cfg: BaseConfig, step: number): number {
  const decaySteps = (cfg.baseLrDecay ?? 0) * cfg.baseSteps;
  const into = step - (cfg.baseSteps - decaySteps);
  return into < 0 || decaySteps === 0 ? cfg.baseLr : cfg.baseLr * (1 - into / decaySteps);
}

/** The training loop itself; the caller decides when to read losses back (each read is a sync). */
export async function trainBaseSteps(def: AnyExperiment, model: Module, cfg: BaseConfig, seed: number, onStep: OnStep): Promise<void> {
  const trainer = new BaseTrainer(def, model, cfg);
  for (let step = 0; step < cfg.baseSteps; step++) {
    const batch = def.batch(cfg, seed, 'base', step);
    const loss = trainer.step(batch, step);
    disposeBatch(batch);
    await onStep(step, loss);
  }
  trainer.dispose();
}
