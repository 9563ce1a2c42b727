/** The counter-based generator's streams: no element is fixed across streams, and the values spread evenly. */
import { describe, expect, it } from 'vitest';
import { dropoutFactors, rand } from '../engine/create.js';
import { uniformCpu } from '../engine/random.js';
import { manualSeed, setBackend } from '../index.js';

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

describe('dropout factors', () => {
  it('equal rand(shape).gt(rate).mul(1/(1 − rate)) from the same seed, bit for bit, and draw the same stream', async () => {
    await setBackend('cpu');
    for (const rate of [0.1, 0.25, 0.5, 0.9]) {
      manualSeed(7);
      const fused = dropoutFactors([301, 7], rate);
      const after = rand([5]);
      manualSeed(7);
      const composed = rand([301, 7]).gt(rate).mul(1 / (1 - rate));
      const afterComposed = rand([5]);
      expect(Array.from(await fused.toArray())).toEqual(Array.from(await composed.toArray()));
      expect(Array.from(await after.toArray())).toEqual(Array.from(await afterComposed.toArray()));
      const kept = Array.from(await fused.toArray()).filter((f) => f > 0).length / (301 * 7);
      expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.05);
    }
  });

  it('a rate outside [0, 1) is an error that names the op', () => {
    expect(() => dropoutFactors([3], 1)).toThrow(/^dropout: rate must be in \[0, 1\), got 1/);
    expect(() => dropoutFactors([3], -0.1)).toThrow(/^dropout: rate must be in/);
  });
});
