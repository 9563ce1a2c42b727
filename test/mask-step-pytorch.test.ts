/**
 * One whole mask-training step against PyTorch with the same noise (test/fixtures/make_mask_fixture.py):
 * sampled masks, K-slice forward, loss with the logit regulariser, straight-through gradients, clipping
 * and the Adam update of the logits.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { MaskSet, maskTargets } from '../masking/mask-set.js';
import { MaskStageTrainer } from '../masking/train-stage.js';
import { expectClose } from './checks/kernel-checks.js';
import { gpuBackend } from './gpu.js';

interface Fixture {
  sizes: number[]; batch: number; K: number; beta: number; lr: number; clip: number; seed: number;
  weights: number[][]; biases: number[][]; logits: number[][]; x: number[]; y: number[];
  loss: number; logitGrads: number[][]; gradNorm: number; logitsAfterStep: number[][];
}

const fx = JSON.parse(readFileSync(new URL('./fixtures/mask-step.json', import.meta.url), 'utf8')) as Fixture;

describe.each(['cpu', 'webgpu'] as const)('a mask-training step matches PyTorch on %s', (name) => {
  beforeAll(async () => {
    await ms.setBackend(name === 'webgpu' ? await gpuBackend() : 'cpu');
  });

  it('loss, logit gradients and the clipped Adam update', async () => {
    const mlp = new ms.nn.MLP(fx.sizes);
    mlp.layers.forEach((layer, i) => {
      layer.weight.assign(ms.tensor(fx.weights[i], layer.weight.shape));
      layer.bias!.assign(ms.tensor(fx.biases[i], layer.bias!.shape));
    });
    mlp.parameters().forEach((p) => p.requireGrad(false));
    const targets = maskTargets(mlp, { biases: false });
    const set = new MaskSet(targets, targets.map((t, i) => ms.tensor(fx.logits[i], t.param.shape)));
    const trainer = new MaskStageTrainer(set, { steps: 1, samples: fx.K, beta: fx.beta, lr: fx.lr, clip: fx.clip });
    const batch = { x: ms.tensor(fx.x, [fx.batch, fx.sizes[0]]), y: ms.tensor(fx.y, [fx.batch], 'i32') };
    // Layer j's masks use stream j of the seed, as in the fixture.
    ms.manualSeed(fx.seed);
    const loss = trainer.step(batch, (b) => ms.crossEntropy(mlp.forward(b.x), b.y));
    expect(await loss.item()).toBeCloseTo(fx.loss, 5);
    for (let i = 0; i < set.logits.length; i++) {
      expectClose(await set.logits[i].grad!.toArray(), fx.logitGrads[i], 1e-4, `logit gradient ${i}`);
      expectClose(await set.logits[i].toArray(), fx.logitsAfterStep[i], 1e-5, `logits after the step ${i}`);
    }
  });
});
