/** Class removal's report figures: relative drops per class, the findings they give, and the plots. */
import { describe, expect, it } from 'vitest';
import { classRemovalDrops, specificClasses } from '../report/class-removal.js';
import { classConfusionSpec, classDropSpec } from '../report/class-removal-specs.js';
import { findings } from '../report/findings.js';
import { reportPlots } from '../report/specs.js';
import type { Report } from '../report/types.js';

const CLASSES = ['class-0', 'class-1', 'class-2'];

/** Full mask: 0.9 / 0.8 / 0.5 per class; stage class-c changes class c to `own[c]` and the others by `others`. */
function accuracy(own: number[], others: number[][]): Record<string, Record<string, number>> {
  const full = { 'class-0': 0.9, 'class-1': 0.8, 'class-2': 0.5 };
  const table: Record<string, Record<string, number>> = { none: { ...full }, full };
  CLASSES.forEach((removed, c) => {
    table[removed] = Object.fromEntries(CLASSES.map((k, j) => [k, j === c ? own[c] : others[c][j]]));
  });
  return table;
}

describe('class removal drops', () => {
  it('are (ref − new) / ref against the full mask, with the worst other class named', () => {
    const drops = classRemovalDrops(accuracy([0.09, 0.4, 0.5], [[0, 0.72, 0.48], [0.9, 0, 0.55], [0.45, 0.8, 0]]));
    expect(drops['class-0'].removedDrop).toBeCloseTo(0.9, 12);
    expect(drops['class-0'].worstOtherClass).toBe('class-1');
    expect(drops['class-0'].worstOtherDrop).toBeCloseTo(0.1, 12); // 0.72 vs 0.8; class-2 lost less (0.48 vs 0.5)
    expect(drops['class-1'].removedDrop).toBeCloseTo(0.5, 12);
    expect(drops['class-1'].worstOtherDrop).toBeCloseTo(0, 12); // class-0 unchanged, class-2 improved (−0.1)
    expect(drops['class-2'].removedDrop).toBe(0);
    expect(drops['class-2'].worstOtherClass).toBe('class-0');
    expect(drops['class-2'].worstOtherDrop).toBeCloseTo(0.5, 12);
    expect(specificClasses(drops)).toEqual(['class-0', 'class-1']);
  });

  it('a class the full mask never recognises has no drop instead of NaN', () => {
    const table = accuracy([0, 0, 0], [[0, 0.8, 0.5], [0.9, 0, 0.5], [0.9, 0.8, 0]]);
    table.full['class-2'] = 0;
    const drops = classRemovalDrops(table);
    expect(drops['class-2'].removedDrop).toBe(0);
    expect(Object.values(drops).every((d) => Number.isFinite(d.worstOtherDrop))).toBe(true);
  });
});

function report(acc: Record<string, Record<string, number>>): Report {
  const confusionOf = (row: Record<string, number>) =>
    Object.fromEntries(CLASSES.map((t) => [t, Object.fromEntries(CLASSES.map((p) => [p, p === t ? row[t] : (1 - row[t]) / 2]))]));
  return {
    experiment: 'cnn-class-removal', size: 'small', seed: 1, seeds: [1], backend: 'cpu', device: 'cpu', seconds: 1,
    config: { dataset: 'fashion-mnist', compared: ['full', 'class-0'] }, accuracy: acc, accuracyStd: {}, layers: [], totalShared: 0,
    confusion: Object.fromEntries(Object.entries(acc).map(([m, row]) => [m, confusionOf(row)])),
    classRemoval: classRemovalDrops(acc),
  };
}

describe('class removal report', () => {
  it('says how many classes have weights of their own, by name, and which do not', () => {
    const r = report(accuracy([0.09, 0.4, 0.45], [[0, 0.78, 0.5], [0.9, 0, 0.5], [0.45, 0.8, 0]]));
    const text = findings(r, ['full', 'class-0']).join(' ');
    expect(text).toContain('For 2 of 3 classes');
    expect(text).toContain('(T-shirt/top, Trouser)');
    expect(text).toContain('most classes have weights of their own');
    expect(text).toContain('Not so for Pullover (own 10.0');
    expect(text).toContain('on T-shirt/top (unmasked 90.0');
  });

  it('says so when no class shows weights of its own', () => {
    const r = report(accuracy([0.85, 0.75, 0.45], [[0, 0.78, 0.5], [0.9, 0, 0.5], [0.9, 0.8, 0]]));
    expect(findings(r, ['full', 'class-0']).join(' ')).toContain('For 0 of 3 classes the removed class drops by at least 25 %');
  });

  it('a report without confusion rows (permuted transfer) has no confusion plot', () => {
    const r = { ...report(accuracy([0.09, 0.4, 0.45], [[0, 0.78, 0.5], [0.9, 0, 0.5], [0.45, 0.8, 0]])), confusion: {}, classRemoval: undefined };
    expect(reportPlots(r).map((p) => p.id)).not.toContain('confusion');
  });

  it('draws the drops and the confusion heat maps (full, then each stage minus full) instead of the pair plots', () => {
    const r = report(accuracy([0.09, 0.4, 0.45], [[0, 0.78, 0.5], [0.9, 0, 0.5], [0.45, 0.8, 0]]));
    const ids = reportPlots(r).map((p) => p.id);
    expect(ids).toContain('class-drop');
    expect(ids).toContain('class-confusion');
    expect(ids).not.toContain('iou');
    expect(ids).not.toContain('confusion');
    const drops = (classDropSpec(r)!.data as { values: { cls: string; which: string; drop: number }[] }).values;
    expect(drops.find((d) => d.cls === 'T-shirt/top' && d.which === 'removed class')!.drop).toBeCloseTo(0.9, 12);
    const spec = classConfusionSpec(r) as unknown as { vconcat: { data: { values: { panel: string; truth: string; predicted: string; value: number }[] } }[] };
    const diff = spec.vconcat[1].data.values.find((v) => v.panel === 'without T-shirt/top' && v.truth === 'T-shirt/top' && v.predicted === 'T-shirt/top');
    expect(diff!.value).toBeCloseTo(0.09 - 0.9, 12);
  });
});
