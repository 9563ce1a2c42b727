/** Base training's lr schedule (baseLrDecay): constant, then falling linearly over the last fraction of the steps. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { addmulMlp } from '../experiments/addmul.js';
import { BaseTrainer, baseLrAt } from '../experiments/train-base.js';
import type { ArithConfig } from '../experiments/types.js';
import { disposeBatch } from '../masking/train-stage.js';

const tiny: ArithConfig = { ...addmulMlp.config('small'), hidden: [8], baseSteps: 8, validSize: 50, evalBatch: 50, batch: 4, baseLr: 0.1 };

describe('baseLrDecay', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('keeps baseLr without it, and falls linearly over the last fraction of the steps with it', () => {
    expect([0, 4, 7].map((s) => baseLrAt(tiny, s))).toEqual([0.1, 0.1, 0.1]);
    const decayed = { ...tiny, baseLrDecay: 0.5 }; // the last 4 of 8 steps
    [0.1, 0.1, 0.1, 0.075, 0.05, 0.025].forEach((lr, i) => expect(baseLrAt(decayed, [0, 3, 4, 5, 6, 7][i])).toBeCloseTo(lr, 12));
  });

  it('is what the trainer’s Adam steps with, and a value outside [0, 1) is refused', () => {
    const cfg = { ...tiny, baseLrDecay: 0.5 };
    const model = addmulMlp.model(cfg);
    const trainer = new BaseTrainer(addmulMlp, model, cfg);
    const seen: number[] = [];
    for (let step = 0; step < cfg.baseSteps; step++) {
      const batch = addmulMlp.batch(cfg, 1, 'base', step);
      trainer.step(batch, step).dispose();
      disposeBatch(batch);
      seen.push((trainer as unknown as { opt: { lr: number } }).opt.lr);
    }
    trainer.dispose();
    expect(seen).toEqual(Array.from({ length: 8 }, (_, s) => baseLrAt(cfg, s)));
    for (const bad of [1, -0.1]) expect(() => new BaseTrainer(addmulMlp, model, { ...tiny, baseLrDecay: bad })).toThrow(/baseLrDecay must be in \[0, 1\), got/);
  });
});
