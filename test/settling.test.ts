/** Mask snapshots during training (masking/settling.ts) and what the report makes of them. */
import { describe, expect, it } from 'vitest';
import { totalShared } from '../masking/analysis.js';
import { meanSettling, packKept, settlingOf, snapshotSteps, type Snapshots } from '../masking/settling.js';
import { findings } from '../report/findings.js';
import type { Report, Settling } from '../report/types.js';

const flags = (n: number, keep: (i: number) => boolean) => Uint8Array.from({ length: n }, (_, i) => (keep(i) ? 1 : 0));

describe('mask snapshots', () => {
  it('are taken at six evenly spaced step counts, the last at the final step', () => {
    expect(snapshotSteps(3000)).toEqual([500, 1000, 1500, 2000, 2500, 3000]);
    expect(snapshotSteps(10)).toEqual([2, 3, 5, 7, 8, 10]);
    expect(snapshotSteps(4)).toEqual([1, 2, 3, 4]);
    expect(snapshotSteps(1)).toEqual([1]);
  });

  it('pack 32 flags per word, target after target, bit i of the run in word i / 32', () => {
    const kept = [flags(37, (i) => i % 3 === 0), flags(1, () => true), flags(64, (i) => i > 40), flags(5, () => false)];
    const packed = packKept(kept);
    expect(packed.length).toBe(Math.ceil(107 / 32));
    const all = kept.flatMap((k) => Array.from(k));
    all.forEach((v, bit) => expect((packed[bit >>> 5] >>> (bit & 31)) & 1, `bit ${bit}`).toBe(v));
    expect(packed[3] >>> 11, 'padding bits stay zero').toBe(0);
  });

  it('give each stage its kept share and the compared pair its total shared at every snapshot', () => {
    const sizes = [10, 6];
    const at = (keepA: (i: number) => boolean, keepB: (i: number) => boolean): [Uint8Array[], Uint8Array[]] =>
      [sizes.map((n) => flags(n, keepA)), sizes.map((n) => flags(n, keepB))];
    const [a1, b1] = at(() => true, (i) => i < 3);
    const [a2, b2] = at((i) => i % 2 === 0, (i) => i < 2);
    const snaps = (x: Uint8Array[], y: Uint8Array[]): Snapshots => new Map([[5, packKept(x)], [10, packKept(y)]]);
    const settling = settlingOf({ add: snaps(a1, a2), mul: snaps(b1, b2) }, 16, ['add', 'mul'])!;
    expect(settling.steps).toEqual([5, 10]);
    expect(settling.kept.add).toEqual([16 / 16, 8 / 16]);
    expect(settling.kept.mul).toEqual([6 / 16, 4 / 16]);
    expect(settling.shared).toEqual([totalShared(a1, b1), totalShared(a2, b2)]);
    expect(settling.shared[1]).toBe(2 / 8);
  });

  it('are left out when a stage has none or stages were snapshotted at different steps', () => {
    const one: Snapshots = new Map([[5, packKept([flags(4, () => true)])]]);
    const other: Snapshots = new Map([[6, packKept([flags(4, () => true)])]]);
    expect(settlingOf({ add: one, mul: new Map() }, 4, ['add', 'mul'])).toBeUndefined();
    expect(settlingOf({ add: one, mul: other }, 4, ['add', 'mul'])).toBeUndefined();
  });

  it('average over seeds only when every seed has them at the same steps', () => {
    const s = (k: number): Settling => ({ steps: [1, 2], kept: { add: [k, k / 2] }, shared: [k / 4, k / 8] });
    expect(meanSettling([s(0.4), s(0.8)])).toEqual({ steps: [1, 2], kept: { add: [0.6000000000000001, 0.30000000000000004] }, shared: [0.15000000000000002, 0.07500000000000001] });
    expect(meanSettling([s(0.4), undefined])).toBeUndefined();
    expect(meanSettling([s(0.4), { ...s(0.4), steps: [1, 3] }])).toBeUndefined();
  });
});

describe('the settling finding', () => {
  const report = (shared: number[], kept: number[]): Report => ({
    experiment: 'addmul-mlp', size: 'small', seed: 1, seeds: [1], backend: 'cpu', device: 'cpu', seconds: 1,
    config: { compared: ['add', 'mul'] }, accuracy: {}, accuracyStd: {}, layers: [], totalShared: shared.at(-1)!,
    settling: { steps: [500, 1000, 1500, 2000, 2500, 3000], kept: { add: kept, mul: kept }, shared },
  });
  const sentence = (r: Report) => findings(r, ['add', 'mul']).find((f) => f.startsWith('From mask step'));

  it('says the figures settled when nothing moved by a point over the last third', () => {
    expect(sentence(report([0.5, 0.6, 0.7, 0.8, 0.805, 0.809], [0.9, 0.5, 0.4, 0.3, 0.299, 0.295])))
      .toBe('From mask step 2,000 to 3,000, total shared (add in mul) went from 80.0\u202f% to 80.9\u202f% and no stage\'s kept share moved by more than 0.5 points: the figures have settled.');
  });

  it('says they are still moving when total shared or a kept share moved by a point or more', () => {
    expect(sentence(report([0.5, 0.6, 0.7, 0.8, 0.82, 0.84], [0.9, 0.5, 0.4, 0.3, 0.299, 0.295])))
      .toMatch(/went from 80\.0\u202f% to 84\.0\u202f%.*they are still moving, so a run with more steps per stage \(--steps\) would report other figures\.$/);
    expect(sentence(report([0.8, 0.8, 0.8, 0.8, 0.8, 0.8], [0.9, 0.5, 0.4, 0.3, 0.28, 0.26]))).toMatch(/more than 4\.0 points: they are still moving/);
  });
});
