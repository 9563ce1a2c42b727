/** Training that diverges stops at the first non-finite loss, naming the phase and the step, and keeps the phases before it. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { listCheckpoints } from '../engine/io/checkpoint.js';
import { addmulMlp } from '../experiments/addmul.js';
import { runSeed } from '../experiments/runner.js';
import type { ArithConfig } from '../experiments/types.js';
import { NonFiniteLossError } from '../masking/train-stage.js';
import { tempDir } from './cli-run.js';

const tiny: ArithConfig = { ...addmulMlp.config('small'), hidden: [16, 16], baseSteps: 30, maskSteps: 10, validSize: 200, evalBatch: 100, batch: 16 };

describe('a loss that turns NaN or infinite', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('stops base training at that step, before any checkpoint', async () => {
    const out = await tempDir('ms-nan-base-');
    const run = runSeed({ def: addmulMlp, cfg: { ...tiny, baseLr: 1e30 }, seed: 1, out });
    const error = await run.then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const { phase, step, value } = error as NonFiniteLossError;
    expect(phase).toBe('base');
    expect(Number.isFinite(value)).toBe(false);
    expect((error as Error).message).toBe(`base: the loss is ${value} at step ${step}: training diverged`);
    expect(step).toBeGreaterThan(0); // the first step starts from finite weights
    expect(step).toBeLessThan(tiny.baseSteps);
    expect(await listCheckpoints(join(out, 'seed-1'))).toEqual([]);
    expect(await readdir(out)).toEqual([]);
  });

  it('names the first non-finite step even between two read-backs (steps 1–99 are read with step 100)', async () => {
    const out = await tempDir('ms-nan-window-');
    const seen: number[] = [];
    const error = await runSeed({
      def: addmulMlp, cfg: { ...tiny, baseSteps: 150, baseLr: 1e30 }, seed: 1, out,
      onEvent: (e) => e.kind === 'step' && e.loss !== undefined && seen.push(e.step),
    }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NonFiniteLossError);
    // Only step 0's loss was read back before the failure, yet the step named is the first bad one, not 100.
    expect(seen).toEqual([0]);
    expect((error as NonFiniteLossError).step).toBeLessThan(100);
  });

  it('MaskStageTrainer.run stops on a non-finite loss it reads', async () => {
    const mlp = new ms.nn.MLP([3, 4, 2]);
    const set = new ms.MaskSet(ms.maskTargets(mlp, { biases: false }));
    const trainer = new ms.MaskStageTrainer(set, { steps: 3, samples: 1, beta: 1, lr: 0.01, clip: 1 });
    const batch = () => ({ x: ms.tensor([[1, 2, 3]]), y: ms.tensor([0], [1], 'i32') });
    await expect(trainer.run(batch, (b) => ms.crossEntropy(mlp.forward(b.x), b.y).mul(NaN))).rejects.toThrow(/the loss is NaN at step 0: training diverged/);
    trainer.dispose();
  });
});
