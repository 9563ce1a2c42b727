/**
 * permuted-transfer: training weights and a mask together (gradients, frozen weights), and the experiment
 * end to end on a tiny 28×28 image set the test writes: what each task keeps and redraws, the reuse
 * figures recomputed from the checkpoints, and a resumed run giving the same report.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { permutedTransfer, type PermutedConfig } from '../experiments/permuted-transfer.js';
import { buildReport } from '../experiments/report.js';
import { runSeed } from '../experiments/runner.js';
import { writeImageSet } from './image-files.js';

let dir: string;
beforeAll(async () => {
  await ms.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'ms-permuted-'));
  await writeImageSet(dir, 28, { train: 60, test: 30 });
});

describe('weights trained with their mask', () => {
  it('sampleTrainable draws the same samples as sample, and gives the weights the gradient Σₖ gₖ ⊙ mₖ', async () => {
    const layer = new ms.Linear(5, 3);
    const targets = ms.maskTargets(layer, { biases: false });
    // Weight 3's logit is so low that every sample drops it.
    const start = Float32Array.from({ length: 15 }, (_, i) => (i === 3 ? -40 : Math.sin(i)));
    const set = new ms.MaskSet(targets, [ms.tensor(start, [3, 5])]);
    const x = ms.rand([4, 5]);
    const lossOf = (samples: Map<ms.Tensor, ms.Tensor>) => ms.withParams(samples, () => layer.forward(x).square().sum());
    ms.manualSeed(7);
    const fused = lossOf(set.sample(2));
    fused.backward();
    const logitGrad = await set.logits[0].grad!.toArray();
    set.logits[0].grad = null;
    ms.manualSeed(7);
    const samples = set.sampleTrainable(2);
    const drawn = await samples.get(layer.weight)!.toArray();
    const loss = lossOf(samples);
    expect(await loss.item()).toBeCloseTo(await fused.item(), 5);
    loss.backward();
    expect(Array.from(await set.logits[0].grad!.toArray())).toEqual(Array.from(logitGrad).map((v) => expect.closeTo(v, 5)));
    // Finite differences on one weight, the masks held fixed by the seed.
    const w = await layer.weight.toArray();
    const at = 7;
    const shifted = (d: number) => {
      const moved = Float32Array.from(w);
      moved[at] += d;
      layer.weight.assign(ms.tensor(moved, [3, 5]));
      ms.manualSeed(7);
      return ms.noGrad(() => lossOf(set.sampleTrainable(2))).item();
    };
    const grad = (await layer.weight.grad!.toArray())[at];
    const numeric = ((await shifted(1e-2)) - (await shifted(-1e-2))) / 2e-2;
    expect(grad).toBeCloseTo(numeric, 2);
    // A weight that both samples dropped gets no gradient.
    expect([drawn[3], drawn[15 + 3]]).toEqual([0, 0]);
    expect((await layer.weight.grad!.toArray())[3]).toBe(0);
  });

  it('frozen weights stay bit for bit; the others and the logits move', async () => {
    const layer = new ms.Linear(6, 4);
    const targets = ms.maskTargets(layer, { biases: true });
    const set = new ms.MaskSet(targets);
    const frozen = [ms.tensor(Float32Array.from({ length: 24 }, (_, i) => i % 2), [4, 6]), ms.ones([4])];
    const before = await Promise.all(targets.map((t) => t.param.toArray()));
    const trainer = new ms.MaskStageTrainer(set, { steps: 3, samples: 2, beta: 1e-3, lr: 0.05, clip: 1 }, [], 4, { frozen });
    const batch = () => ({ x: ms.rand([4, 6]), y: ms.tensor(Int32Array.from([0, 1, 2, 3]), [4]) });
    await trainer.runSteps(batch, (b) => ms.crossEntropy(layer.forward(b.x), b.y), async (_, l) => l.dispose());
    const weight = await layer.weight.toArray();
    for (let i = 0; i < 24; i++) {
      if (i % 2 === 1) expect(weight[i]).toBe(before[0][i]);
    }
    expect([...weight.keys()].filter((i) => i % 2 === 0 && weight[i] !== before[0][i]).length).toBeGreaterThan(6);
    expect(Array.from(await layer.bias!.toArray())).toEqual(Array.from(before[1]));
    expect(Array.from(await set.logits[0].toArray()).some((v) => v !== 2)).toBe(true);
    trainer.dispose();
  });
});

const tiny = (): PermutedConfig => ({
  ...permutedTransfer.config('small'), dataDir: dir, hidden: [6, 5, 4], tasks: 3, batch: 16, maskSteps: 12, beta: 0.05, maskLr: 0.2, evalLimit: 20,
});

/** The 1[l > 0] masks and the parameters a task's checkpoint holds. */
async function checkpoint(out: string, task: number) {
  const file = ms.decodeSafetensors(await readFile(join(out, 'seed-1', `task-${task}.safetensors`))).tensors;
  const of = (name: string) => Array.from(file[name].data as Float32Array);
  return { weight: of, kept: (name: string): number[] => of(`mask.${name}`).map((v) => (v > 0 ? 1 : 0)) };
}

describe('permuted-transfer', () => {
  it('keeps U frozen (but the first layer), redraws the rest, reports reuse as the checkpoints give it, and resumes', async () => {
    const cfg = tiny();
    const out = await mkdtemp(join(tmpdir(), 'ms-permuted-run-'));
    const result = await runSeed({ def: permutedTransfer, cfg, seed: 1, out });
    const report = buildReport({ def: permutedTransfer, size: 'small', cfg, backend: 'cpu', device: 'cpu', seconds: 0 }, [result]);
    expect(Object.keys(report.accuracy)).toEqual(['task-0', 'task-1', 'task-2']);
    const [t0, t1, t2] = await Promise.all([0, 1, 2].map((t) => checkpoint(out, t)));

    // Task 1 starts from task 0's weights inside mask 0 (first layer aside) and never moves them.
    const name = 'layers.1.weight';
    const u = t0.kept(name);
    expect(u.some((k) => k === 1) && u.some((k) => k === 0)).toBe(true);
    const w0 = t0.weight(name);
    const w1 = t1.weight(name);
    u.forEach((k, i) => (k ? expect(w1[i]).toBe(w0[i]) : expect(w1[i]).not.toBe(w0[i])));
    const first0 = t0.weight('layers.0.weight');
    const first1 = t1.weight('layers.0.weight');
    expect(first1.filter((v, i) => v !== first0[i]).length).toBe(first1.length);

    // reuse[layer][task 2] = |M2 ∩ (M0 ∪ M1)| / |M2|, recomputed here from the logits.
    for (const layer of ['layers.0.weight', 'layers.2.weight', 'layers.3.bias']) {
      const union = t0.kept(layer).map((k, i) => k | t1.kept(layer)[i]);
      const m2 = t2.kept(layer);
      const kept = m2.reduce((a, b) => a + b, 0);
      const inside = m2.reduce((a, k, i) => a + (k & union[i]), 0);
      expect(report.reuse![layer]['task-2']).toBeCloseTo(kept ? inside / kept : 0, 12);
      expect(report.reuseChance![layer]['task-2']).toBeCloseTo(union.reduce((a, b) => a + b, 0) / union.length, 12);
    }
    expect(Object.keys(report.reuse!['layers.1.weight'])).toEqual(['task-1', 'task-2']);

    // The last task again from the checkpoints before it: the same figures.
    await rm(join(out, 'seed-1', 'task-2.safetensors'));
    await rm(join(out, 'seed-1', 'task-2.json'));
    const again = await runSeed({ def: permutedTransfer, cfg, seed: 1, out });
    expect(again.accuracy).toEqual(result.accuracy);
    expect(again.reuse).toEqual(result.reuse);
  }, 120_000);
});
