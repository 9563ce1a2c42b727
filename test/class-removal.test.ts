/**
 * cnn-class-removal end to end on a tiny image set the test writes in IDX form (8×8 images, 10 classes):
 * what it masks (biases too), the output layer's mask copied from the full stage and kept frozen, and the
 * report's accuracy[mask][class], confusion rows and class drops.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { cnnClassRemoval, type ClassRemovalConfig } from '../experiments/class-removal.js';
import { buildReport } from '../experiments/report.js';
import { runSeed } from '../experiments/runner.js';
import { writeImageSet } from './image-files.js';

let dir: string;
beforeAll(async () => {
  await ms.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'ms-images-'));
  await writeImageSet(dir, 8, { train: 100, test: 40 });
});

const tiny = (): ClassRemovalConfig => ({
  ...cnnClassRemoval.config('small'), dataDir: dir, channels: [2, 3, 4, 5], batch: 8, baseSteps: 4, maskSteps: 2, evalLimit: 4,
});

describe('cnn-class-removal', () => {
  it('masks weights and biases; each class stage keeps the full stage’s output mask, frozen', async () => {
    const cfg = tiny();
    const out = await mkdtemp(join(tmpdir(), 'ms-class-removal-'));
    const result = await runSeed({ def: cnnClassRemoval, cfg, seed: 1, out });
    expect(result.layerNames).toContain('features.0.bias');
    expect(result.layerNames).toContain('out_layer.weight');
    const report = buildReport({ def: cnnClassRemoval, size: 'small', cfg, backend: 'cpu', device: 'cpu', seconds: 0 }, [result]);
    expect(Object.keys(report.accuracy)).toEqual(['none', 'full', ...Array.from({ length: 10 }, (_, c) => `class-${c}`)]);
    expect(Object.keys(report.accuracy.full)).toEqual(Array.from({ length: 10 }, (_, c) => `class-${c}`));
    // Confusion rows are the row-normalised confusion matrix: each sums to 1 (0 for a class the tiny
    // hold-out has no rows of) and its diagonal is the accuracy.
    for (const mask of ['full', 'class-3']) {
      const sums = Object.values(report.confusion![mask]).map((row) => Object.values(row).reduce((a, b) => a + b, 0));
      expect(sums.filter((s) => Math.abs(s - 1) < 1e-12).length).toBeGreaterThan(5);
      expect(sums.every((s) => Math.abs(s - 1) < 1e-12 || s === 0)).toBe(true);
      for (const [truth, row] of Object.entries(report.confusion![mask])) expect(row[truth]).toBeCloseTo(report.accuracy[mask][truth], 12);
    }
    expect(Object.keys(report.classRemoval!)).toEqual(Array.from({ length: 10 }, (_, c) => `class-${c}`));
    // The checkpoints hold each stage's logits: the output layer's are the full stage's, bit for bit;
    // a convolution's were trained anew (other data, other noise) and differ.
    const logits = async (stage: string) => ms.decodeSafetensors(await readFile(join(out, 'seed-1', `mask-${stage}.safetensors`))).tensors;
    const full = await logits('full');
    for (const stage of ['class-0', 'class-7']) {
      const own = await logits(stage);
      expect(Array.from(own['out_layer.weight'].data)).toEqual(Array.from(full['out_layer.weight'].data));
      expect(Array.from(own['out_layer.bias'].data)).toEqual(Array.from(full['out_layer.bias'].data));
      expect(Array.from(own['features.3.weight'].data)).not.toEqual(Array.from(full['features.3.weight'].data));
    }
  }, 120_000);
});
