/** The mask sampler and the K-slice masked forward (docs/method.md). */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { maskedWeights } from '../engine/ops.js';
import { linear } from '../models/linear.js';
import { withParams } from '../models/param-override.js';
import { MaskSet, maskTargets } from '../masking/mask-set.js';
import { MaskStageTrainer } from '../masking/train-stage.js';
import { expectClose } from './checks/kernel-checks.js';
import { gpuBackend } from './gpu.js';

describe.each(['cpu', 'webgpu'] as const)('mask sampling on %s', (name) => {
  beforeAll(async () => {
    await ms.setBackend(name === 'webgpu' ? await gpuBackend() : 'cpu');
  });

  it('keeps each weight with probability σ(logit)', async () => {
    const levels = [-3, -1, -0.25, 0, 0.5, 2, 4];
    const perLevel = 50;
    const samples = 200;
    const logits = ms.tensor(levels.flatMap((l) => new Array(perLevel).fill(l)), [levels.length, perLevel]);
    const kept = await maskedWeights(logits, ms.ones(logits.shape), samples).toArray();
    const n = levels.length * perLevel;
    levels.forEach((l, li) => {
      let count = 0;
      for (let k = 0; k < samples; k++) for (let j = 0; j < perLevel; j++) count += kept[k * n + li * perLevel + j];
      const trials = samples * perLevel;
      const p = 1 / (1 + Math.exp(-l));
      const sd = Math.sqrt((p * (1 - p)) / trials);
      expect(Math.abs(count / trials - p), `logit ${l}: kept ${count / trials}, σ = ${p}`).toBeLessThan(4 * sd + 1e-9);
    });
  });

  it('different steps draw different masks, a seed repeats them', async () => {
    ms.manualSeed(11);
    const l = ms.zeros([64]);
    const a = await maskedWeights(l, ms.ones([64]), 1).toArray();
    const b = await maskedWeights(l, ms.ones([64]), 1).toArray();
    ms.manualSeed(11);
    const again = await maskedWeights(l, ms.ones([64]), 1).toArray();
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(Array.from(again)).toEqual(Array.from(a));
  });

  it('the K-slice masked forward equals K separate forwards with W ⊙ m_k', async () => {
    ms.manualSeed(3);
    const K = 4;
    const x = ms.rand([12, 5]);
    const w = ms.rand([7, 5]).sub(0.5);
    const b = ms.rand([7]);
    const logits = ms.rand([7, 5]).mul(4).sub(2);
    const sampled = maskedWeights(logits, w, K);
    const y = await linear(x, sampled, b).toArray();
    const xs = await x.toArray();
    const masked = await sampled.toArray();
    for (let k = 0; k < K; k++) {
      const xk = ms.tensor(xs.slice(k * 15, (k + 1) * 15), [3, 5]);
      const wk = ms.tensor(masked.slice(k * 35, (k + 1) * 35), [7, 5]);
      const yk = await xk.matmul(wk, { transB: true }).add(b).toArray();
      expectClose(y.slice(k * 21, (k + 1) * 21), yk, 1e-5, `slice ${k}`);
    }
  });

  it('a model runs with sampled masks through withParams, and only the logits get gradients', async () => {
    ms.manualSeed(5);
    const mlp = new ms.nn.MLP([6, 8, 3]);
    mlp.parameters().forEach((p) => p.requireGrad(false));
    const set = new MaskSet(maskTargets(mlp, { biases: false }));
    expect(set.targets.map((t) => t.name)).toEqual(['layers.0.weight', 'layers.1.weight']);
    const x = ms.rand([8, 6]);
    const loss = ms.crossEntropy(withParams(set.sample(4), () => mlp.forward(x)), ms.tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], 'i32'));
    loss.backward();
    expect(set.logits.every((l) => l.grad !== null)).toBe(true);
    expect(mlp.parameters().every((p) => p.grad === null)).toBe(true);
    expect(() => withParams(set.sample(3), () => mlp.forward(x))).toThrow(/cannot be cut into 3 mask-sample slices/);
    set.dispose();
  });
});

describe('copying and freezing one layer of a mask from another stage', () => {
  it('keeps the copied layer fixed while the others train', async () => {
    await ms.setBackend('cpu');
    ms.manualSeed(8);
    const mlp = new ms.nn.MLP([6, 8, 3]);
    mlp.parameters().forEach((p) => p.requireGrad(false));
    const targets = maskTargets(mlp, { biases: true });
    const full = new MaskSet(targets, targets.map((t) => ms.rand(t.param.shape).mul(3).keep()));
    const stage = new MaskSet(targets);
    const frozen = stage.copyFrom(full, ['layers.1.weight']);
    expect(frozen).toEqual([false, false, true, false]);
    const trainer = new MaskStageTrainer(stage, { steps: 5, samples: 2, beta: 1e-2, lr: 0.1, clip: 1 }, frozen);
    const batch = () => ({ x: ms.rand([8, 6]), y: ms.tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], 'i32') });
    await trainer.run(batch, (b) => ms.crossEntropy(mlp.forward(b.x), b.y));
    expect(Array.from(await stage.logits[2].toArray())).toEqual(Array.from(await full.logits[2].toArray()));
    expect(Array.from(await stage.logits[0].toArray()).some((v) => v !== 2)).toBe(true);
    expect(() => stage.copyFrom(full, ['nope'])).toThrow(/no masked parameter named 'nope'/);
  });
});

describe("the authors' clipping (authorsClip)", () => {
  /** A tiny masked MLP trained for `steps` with the given clip; returns the final logits and the trainer's weights. */
  async function train(
    clip: number, authorsClip: boolean, onStep?: (set: MaskSet, weights: ms.Tensor[]) => Promise<void>, beforeStep?: (weights: ms.Tensor[]) => void,
  ) {
    await ms.setBackend('cpu');
    ms.manualSeed(11);
    const mlp = new ms.nn.MLP([6, 8, 3]);
    mlp.parameters().forEach((p) => p.requireGrad(false));
    const targets = maskTargets(mlp, { biases: false });
    const weights = targets.map((t) => t.param);
    const before = await Promise.all(weights.map((w) => w.toArray()));
    const set = new MaskSet(targets);
    const trainer = new MaskStageTrainer(set, { steps: 6, samples: 2, beta: 1e-2, lr: 0.1, clip, authorsClip }, []);
    const x = ms.rand([8, 6]).keep();
    const y = ms.tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], 'i32').keep();
    for (let step = 0; step < 6; step++) {
      beforeStep?.(weights);
      trainer.step({ x, y }, (b) => ms.crossEntropy(mlp.forward(b.x), b.y)).dispose();
      await onStep?.(set, weights);
    }
    trainer.dispose();
    for (const [i, w] of weights.entries()) expect(await w.toArray(), 'frozen weights never move').toEqual(before[i]);
    return { logits: await Promise.all(set.logits.map((l) => l.toArray())), weights };
  }
  const norm = async (ts: (ms.Tensor | null)[]) => Math.sqrt((await Promise.all(ts.map((t) => (t ? t.toArray() : [])))).flatMap((a) => Array.from(a)).reduce((s, v) => s + v * v, 0));

  it('without clipping at work it trains as the plain trainer (to float rounding: the logit gradient goes through W·m instead of m(W))', async () => {
    const [withIt, without] = [(await train(1e9, true)).logits, (await train(1e9, false)).logits];
    withIt.forEach((l, i) => l.forEach((v, j) => expect(v).toBeCloseTo(without[i][j], 5)));
  });

  it('counts the accumulated weight gradients in the clip and scales them in place; cleans up after itself', async () => {
    const norms: number[] = [];
    const { logits, weights } = await train(0.05, true, async (set, w) => {
      norms.push(await norm([...set.logits.map((l) => l.grad), ...w.map((p) => p.grad)]));
      expect(w.every((p) => p.grad !== null), 'the weights carry a gradient between steps').toBe(true);
    });
    for (const n of norms) expect(n).toBeLessThanOrEqual(0.05 * (1 + 1e-5));
    // Far beyond the 1e-7 rounding difference of the two gradient paths: the weights' sum changed the clip.
    const plain = (await train(0.05, false)).logits;
    expect(Math.max(...logits.flatMap((l, i) => Array.from(l, (v, j) => Math.abs(v - plain[i][j]))))).toBeGreaterThan(1e-3);
    expect(weights.every((p) => p.grad === null && !p.requiresGrad)).toBe(true);
  });

  it("adds each step's weight gradient to the sum of the earlier ones", async () => {
    const read = (w: ms.Tensor[]) => Promise.all(w.map(async (p) => Array.from(await p.grad!.toArray())));
    const sums: number[][][] = [];
    const own: number[][][] = [];
    // No clipping at work (1e9): the logits move alike in both runs, so run two's per-step gradients are run one's increments.
    await train(1e9, true, async (_, w) => void sums.push(await read(w)));
    await train(1e9, true, async (_, w) => void own.push(await read(w)), (w) => w.forEach((p) => {
      p.grad?.dispose();
      p.grad = null;
    }));
    for (let step = 1; step < sums.length; step++) {
      sums[step].forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(sums[step - 1][i][j] + own[step][i][j], 5)));
    }
    expect(own[2].flat().some((v) => v !== 0)).toBe(true);
  });

  it('cannot be combined with weight training', async () => {
    await ms.setBackend('cpu');
    const mlp = new ms.nn.MLP([2, 2]);
    const set = new MaskSet(maskTargets(mlp, { biases: false }));
    expect(() => new MaskStageTrainer(set, { steps: 1, samples: 1, beta: 0, lr: 0.1, clip: 1, authorsClip: true }, [], undefined, { frozen: [ms.zeros([2, 2])] }))
      .toThrow(/authorsClip clips frozen weights, it cannot be combined with weight training/);
  });
});
