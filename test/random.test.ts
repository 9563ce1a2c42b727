/** The counter-based generator's streams: no element is fixed across streams, and the values spread evenly. */
import { describe, expect, it } from 'vitest';
import { uniformCpu } from '../engine/random.js';

describe('counter-based random streams', () => {
  it('element i of different (seed, stream) pairs differs — no constant first element', () => {
    for (const i of [0, 1, 7]) {
      const firsts = new Set<number>();
      for (let seed = 0; seed < 20; seed++) for (let stream = 0; stream < 20; stream++) firsts.add(uniformCpu(i + 1, seed, stream)[i]);
      expect(firsts.size).toBeGreaterThan(395); // 400 draws of 2^24 values: a repeat or two at most
    }
  });

  it('the first elements over many streams are uniform (10 bins, χ² well below the 0.1 % critical value)', () => {
    const bins = new Array<number>(10).fill(0);
    for (let stream = 0; stream < 5000; stream++) bins[Math.floor(uniformCpu(1, 3, stream)[0] * 10)]++;
    const chi2 = bins.reduce((s, n) => s + (n - 500) ** 2 / 500, 0);
    expect(chi2).toBeLessThan(27.9);
  });
});
