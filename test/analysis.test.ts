/** Mask statistics on hand-made masks. */
import { describe, expect, it } from 'vitest';
import { iominPerLayer, iouPerLayer, keptCounts, meanStd, probabilityHistogram, sharedFractions, totalShared } from '../masking/analysis.js';

const m = (bits: string): Uint8Array => Uint8Array.from(bits, (c) => Number(c));

describe('mask statistics', () => {
  const add = [m('1100'), m('111000')];
  const mul = [m('0110'), m('000000')];

  it('kept counts, IoU and IoMin per layer', () => {
    expect(keptCounts(add)).toEqual([2, 3]);
    expect(iouPerLayer(add, mul)).toEqual([1 / 3, 0]);
    expect(iominPerLayer(add, mul)).toEqual([1 / 2, 0]);
    expect(iouPerLayer([m('0000')], [m('0000')])).toEqual([0]);
  });

  it('total shared sums over layers: Σ|A∩B| / Σ|A|', () => {
    expect(totalShared(add, mul)).toBeCloseTo(1 / 5);
    expect(totalShared(mul, add)).toBeCloseTo(1 / 2);
    expect(totalShared(add, add)).toBe(1);
  });

  it('shared fraction of each mask against the union of the others', () => {
    const third = [m('0001'), m('001000')];
    const shared = sharedFractions({ add, mul, third });
    expect(shared.add).toBeCloseTo(2 / 5); // weight 1 (shared with mul) and layer-2 weight 2 (with third)
    expect(shared.mul).toBeCloseTo(1 / 2);
    expect(shared.third).toBeCloseTo(1 / 2);
  });

  it('probability histogram and mean ± std', () => {
    const h = probabilityHistogram([[-10, 10, 0], [10]], 4);
    expect(h.edges).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(h.counts).toEqual([1, 0, 1, 2]);
    expect(meanStd([1, 3])).toEqual({ mean: 2, std: 1 });
  });
});
