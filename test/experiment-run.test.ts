/** Running a recipe end to end on a tiny configuration: checkpoints, resume, corrupt files, the report. */
import { mkdtemp, truncate, writeFile } from 'node:fs/promises';
import { encodeOperands } from '../data/arithmetic.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { addmulMlp } from '../experiments/addmul.js';
import { doubleAddMlp } from '../experiments/double-add.js';
import { buildReport } from '../experiments/report.js';
import { runSeed, type RunEvent } from '../experiments/runner.js';
import { runSweep } from '../experiments/sweep.js';
import type { AnyExperiment, ArithConfig } from '../experiments/types.js';

const tiny = (def: AnyExperiment): ArithConfig => ({
  ...def.config('small'), hidden: [24, 24], baseSteps: 40, maskSteps: 12, validSize: 200, evalBatch: 100, batch: 16,
});

async function tinyReport(def: AnyExperiment, out: string, onEvent?: (e: RunEvent) => void) {
  const cfg = tiny(def);
  const result = await runSeed({ def, cfg, seed: 3, out, onEvent });
  const report = buildReport({ def, size: 'small', cfg, backend: 'cpu', device: 'cpu', seconds: 0 }, [result]);
  return { report, result };
}

describe('experiment runs (cpu, tiny configuration)', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('addmul: the report has every mask, eval set, layer and statistic', async () => {
    const { report } = await tinyReport(addmulMlp, await mkdtemp(join(tmpdir(), 'ms-run-')));
    expect(Object.keys(report.accuracy)).toEqual(['none', 'full', 'add', 'not_add', 'mul', 'not_mul']);
    for (const row of Object.values(report.accuracy)) {
      expect(Object.keys(row)).toEqual(['add', 'mul']);
      for (const v of Object.values(row)) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(report.layers.map((l) => l.name)).toEqual(['layers.0.weight', 'layers.1.weight', 'layers.2.weight']);
    expect(report.layers.map((l) => l.weights)).toEqual([42 * 24, 24 * 24, 24 * 20]);
    for (const l of report.layers) {
      expect(l.iou).toBeGreaterThan(0);
      expect(l.iou).toBeLessThanOrEqual(1);
      expect(l.kept.add).toBeLessThanOrEqual(l.weights);
    }
    expect(report.totalShared).toBeGreaterThan(0);
    expect(Object.keys(report.confusion!.none)).toEqual(['add', 'mul']);
    expect(Object.keys(report.halfMask!)).toEqual(['early', 'late']);
    expect(report.histogram!.counts.full.reduce((a, b) => a + b)).toBe(42 * 24 + 24 * 24 + 24 * 20);
    // The last snapshot of each stage is its final mask: the same kept counts and total shared as the report's.
    const settling = report.settling!;
    expect(settling.steps).toEqual([2, 4, 6, 8, 10, 12]);
    const weights = report.layers.reduce((s, l) => s + l.weights, 0);
    for (const stage of ['full', 'add', 'mul']) {
      expect(settling.kept[stage].at(-1)).toBeCloseTo(report.layers.reduce((s, l) => s + l.kept[stage], 0) / weights, 12);
    }
    expect(settling.shared.at(-1)).toBeCloseTo(report.totalShared, 12);
  });

  it('an interrupted run resumes to the same report as an uninterrupted one', async () => {
    const whole = await tinyReport(addmulMlp, await mkdtemp(join(tmpdir(), 'ms-whole-')));
    const out = await mkdtemp(join(tmpdir(), 'ms-resume-'));
    const stop = (e: RunEvent): void => {
      if (e.kind === 'step' && e.phase === 'mask-add' && e.step === 5) throw new Error('interrupted');
    };
    await expect(tinyReport(addmulMlp, out, stop)).rejects.toThrow('interrupted');
    const phases: string[] = [];
    const resumed = await tinyReport(addmulMlp, out, (e) => {
      if (e.kind === 'phase') phases.push(`${e.phase}${e.resumed ? ' (resumed)' : ''}`);
    });
    expect(phases).toEqual(['base (resumed)', 'mask-full (resumed)', 'mask-add', 'mask-mul']);
    const strip = (r: typeof whole.report) => ({ ...r, seconds: 0 });
    expect(strip(resumed.report)).toEqual(strip(whole.report));
  });

  it('a truncated checkpoint is rejected with a clear error', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ms-trunc-'));
    await tinyReport(addmulMlp, out);
    await truncate(join(out, 'seed-3', 'mask-full.safetensors'), 100);
    await expect(tinyReport(addmulMlp, out)).rejects.toThrow(/checkpoint .*mask-full: safetensors file is truncated \(100 of \d+ bytes\)/);
    await writeFile(join(out, 'seed-3', 'base.json'), '{"format": "maskscope-ch');
    await expect(tinyReport(addmulMlp, out)).rejects.toThrow(/base/);
  });

  it('double-add: pair masks, I/O-full inversions, and the copy-weights control', async () => {
    const { report } = await tinyReport(doubleAddMlp, await mkdtemp(join(tmpdir(), 'ms-dadd-')));
    expect(Object.keys(report.accuracy)).toEqual(['none', 'full', 'pair1', 'not_pair1', 'pair2', 'not_pair2', 'not_pair1_iofull', 'not_pair2_iofull']);
    expect(Object.keys(report.accuracy.none)).toEqual(['pair1', 'pair2']);
    const cfg = tiny(doubleAddMlp);
    const control = await runSeed({ def: doubleAddMlp, cfg, seed: 3, out: await mkdtemp(join(tmpdir(), 'ms-copy-')), control: 'copy-weights' });
    expect(control.iou.length).toBe(3);
  });

  it('a β sweep reuses the base network and reports one point per β', async () => {
    const out = await mkdtemp(join(tmpdir(), 'ms-sweep-'));
    const cfg = tiny(addmulMlp);
    await runSeed({ def: addmulMlp, cfg, seed: 3, out });
    const phases: string[] = [];
    const points = await runSweep({
      def: addmulMlp, cfg, seeds: [3], out, kind: 'beta', values: [1e-4, 1e-2],
      onEvent: (e) => e.kind === 'phase' && phases.push(`${e.phase}${e.resumed ? ' (resumed)' : ''}`),
    });
    expect(points.map((p) => p.value)).toEqual([1e-4, 1e-2]);
    expect(phases.filter((p) => p.startsWith('base'))).toEqual(['base (resumed)', 'base (resumed)']);
    expect(points[0].accuracy.full.add.mean).toBeGreaterThanOrEqual(0);
    expect(points[1].totalShared.std).toBe(0);
  });

  it('copy-weights makes pair 1 computed exactly like pair 2', async () => {
    const model = doubleAddMlp.model(tiny(doubleAddMlp));
    await doubleAddMlp.afterBase!(model, 'copy-weights');
    const x1 = new Float32Array(80);
    const x2 = new Float32Array(80);
    encodeOperands(x1, 0, 37, 58);
    encodeOperands(x2, 40, 37, 58);
    const y1 = await model.forward(ms.tensor(x1, [1, 80])).toArray();
    const y2 = await model.forward(ms.tensor(x2, [1, 80])).toArray();
    expect(Array.from(y1.slice(0, 20))).toEqual(Array.from(y2.slice(20, 40)));
    await expect(doubleAddMlp.afterBase!(model, 'swap')).rejects.toThrow(/unknown --control 'swap'/);
  });
});
