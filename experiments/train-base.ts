/** Base training of an experiment's network (SPEC §2: Adam, gradient clipping, fixed steps). */
import { Adam } from '../engine/optim/adam.js';
import { clipCoefficient } from '../engine/optim/clip.js';
import { tidy } from '../engine/state.js';
import type { LossPoint } from '../masking/report-types.js';
import type { MLP } from '../models/mlp.js';
import type { ArithConfig, ExperimentDef } from './types.js';

export interface StepProgress {
  step: number;
  loss?: number;
}

export async function trainBase(
  def: ExperimentDef, model: MLP, cfg: ArithConfig, seed: number, onProgress: (p: StepProgress) => void, logEvery = 100,
): Promise<LossPoint[]> {
  const params = model.parameters();
  params.forEach((p) => p.requireGrad());
  const opt = new Adam(params, { lr: cfg.baseLr });
  const curve: LossPoint[] = [];
  for (let step = 0; step < cfg.baseSteps; step++) {
    const batch = def.batch(cfg, seed, 'base', step);
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = def.loss((x) => model.forward(x), batch);
      l.backward();
      const { coef } = clipCoefficient(params, cfg.baseClip);
      opt.step(coef);
      return l;
    });
    batch.x.dispose();
    batch.y.dispose();
    let value: number | undefined;
    if (step % logEvery === 0 || step === cfg.baseSteps - 1) {
      value = await loss.item();
      curve.push({ step, loss: value });
    }
    loss.dispose();
    onProgress({ step, loss: value });
  }
  opt.zeroGrad();
  opt.dispose();
  return curve;
}
