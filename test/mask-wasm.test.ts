/**
 * The WebAssembly SIMD mask kernels (kernels/cpu/mask.fast.ts) and Adam step (kernels/cpu/adam.fast.ts)
 * against their plain-JS references: bit-identical forward and backward on odd sizes, all sample counts,
 * logits across the whole useful range and at the exact keep/drop boundary; the port of Math.exp they use;
 * the per-weight keep thresholds; the fallbacks; and the committed wasm being the assembled .wat files.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AdamHyper } from '../engine/backend.js';
import { adamCpu } from '../kernels/cpu/adam.js';
import { adamFast, wasmAdamAvailable } from '../kernels/cpu/adam.fast.js';
import { maskSampleBackwardCpu, maskSampleCpu } from '../kernels/cpu/mask.js';
import {
  dropoutFactorsFast, expCheckLogits, expNegFast, maskSampleBackwardFast, maskSampleFast, maskThresholdsFast, setMaskForceMathExp,
  wasmMaskAvailable, wasmMaskExpExact,
} from '../kernels/cpu/mask.fast.js';
import { dropoutFactorsCpu, randomBits, streamKeys } from '../engine/random.js';
import { uniformCpu } from '../engine/random.js';

/** Deterministic values in (-1, 1) from the engine's counter-based generator. */
const randomData = (size: number, seed: number): Float32Array => uniformCpu(size, seed, 0).map((v) => v * 2 - 1);

/** Logits spanning −30..30, with ±0 and ±1 among them. */
function logitsFor(n: number, seed: number): Float32Array {
  const l = randomData(n, seed).map((x) => x * 30);
  const special = [0, -0, 1, -1, 30, -30];
  for (let j = 0; j < special.length && j < n; j++) l[(j * 7919) % n] = special[j];
  return l;
}

/** Indices where a and b differ bit for bit (NaN counts as equal to NaN), at most 5. */
function bitDiffs(a: Float32Array | Float64Array, b: Float32Array | Float64Array): string[] {
  if (a.length !== b.length) return [`length ${a.length} vs ${b.length}`];
  const bad: string[] = [];
  for (let i = 0; i < a.length && bad.length < 5; i++) {
    if (!Object.is(a[i], b[i]) && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) bad.push(`[${i}] ${a[i]} vs ${b[i]}`);
  }
  return bad;
}

const SIZES = [1, 3, 4, 5, 17, 1000, 65537];

function committed(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../kernels/cpu/wasm/${name}.wasm.ts`, import.meta.url)), 'utf8');
}

function assembled(name: string): string {
  const script = fileURLToPath(new URL('../kernels/cpu/wasm/build-wasm.mjs', import.meta.url));
  return execFileSync(process.execPath, [script, '--stdout', name], { encoding: 'utf8' });
}

afterEach(() => setMaskForceMathExp(false));

describe('maskSampleFast / maskSampleBackwardFast', () => {
  it('run WebAssembly SIMD in Node 20, with the exact port of Math.exp (not the fallbacks)', () => {
    expect(wasmMaskAvailable()).toBe(true);
    expect(wasmMaskExpExact()).toBe(true);
  });

  it('the committed kernels/cpu/wasm/mask.wasm.ts is kernels/cpu/wasm/mask.wat assembled', () => {
    expect(committed('mask'), 'mask.wasm.ts is stale: run `node kernels/cpu/wasm/build-wasm.mjs`').toBe(assembled('mask'));
  });

  for (const n of SIZES) {
    it(`forward and backward are bit-identical to the reference for n = ${n}, samples 1..5`, () => {
      const logits = logitsFor(n, n);
      const weight = randomData(n, n + 1).map((x) => x * 2);
      for (let samples = 1; samples <= 5; samples++) {
        const seed = 1000 + n + samples;
        const stream = samples * 3;
        const fwd = maskSampleFast(logits, weight, samples, seed, stream);
        expect(bitDiffs(fwd, maskSampleCpu(logits, weight, samples, seed, stream)), `samples ${samples}`).toEqual([]);
        const grad = randomData(samples * n, seed + 7);
        const bwd = maskSampleBackwardFast(grad, logits, weight, samples, seed, stream);
        expect(bitDiffs(bwd, maskSampleBackwardCpu(grad, logits, weight, samples, seed, stream)), `samples ${samples}`)
          .toEqual([]);
      }
    });
  }

  it('is bit-identical for extreme logits: large, rare for the exp port (|l| > 708), ±∞, NaN', () => {
    const extreme = [88, -88, 89, -89, 100, -100, 103.5, -103.5, 200, -200, 707.5, 708.5, -708.5, 709, -709.9,
      745.2, -745.2, 1000, -1000, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 1e-30, -1e-30, 2 ** -28, -(2 ** -29)];
    for (const n of [extreme.length, 41]) {
      const logits = Float32Array.from({ length: n }, (_, i) => extreme[i % extreme.length]);
      const weight = randomData(n, 5);
      const grad = randomData(3 * n, 6);
      expect(bitDiffs(maskSampleFast(logits, weight, 3, 9, 2), maskSampleCpu(logits, weight, 3, 9, 2))).toEqual([]);
      expect(bitDiffs(maskSampleBackwardFast(grad, logits, weight, 3, 9, 2),
        maskSampleBackwardCpu(grad, logits, weight, 3, 9, 2))).toEqual([]);
    }
  });

  it('keeps exactly the reference samples when e^(−l) sits at the keep boundary of sample 0', () => {
    // Weight i's sample 0 uses counter i: b = bits >>> 8, kept iff (2b + 1) > (2^25 − 2b − 1)·f32(e^(−l)).
    // Pick each logit so that f32(e^(−l)) lands within a few ulps of (2b + 1)/(2^25 − 2b − 1), either side.
    const n = 4003;
    const seed = 77;
    const stream = 5;
    const keys = streamKeys(seed, stream);
    const logits = new Float32Array(n);
    const f = new Float32Array(1);
    const bits = new Int32Array(f.buffer);
    for (let i = 0; i < n; i++) {
      const b = randomBits(keys, i) >>> 8;
      f[0] = -Math.log((2 * b + 1) / (2 ** 25 - 2 * b - 1));
      bits[0] += (i % 5) - 2; // −2..2 ulps of the logit
      logits[i] = f[0];
    }
    const weight = randomData(n, 3).map((x) => x + 2); // never 0: dropped and kept differ
    for (const samples of [1, 4]) {
      const ref = maskSampleCpu(logits, weight, samples, seed, stream);
      expect(bitDiffs(maskSampleFast(logits, weight, samples, seed, stream), ref)).toEqual([]);
      // The construction does reach the boundary: both outcomes occur for sample 0.
      const kept = ref.subarray(0, n).filter((x) => x !== 0).length;
      expect(kept).toBeGreaterThan(n / 5);
      expect(kept).toBeLessThan((4 * n) / 5);
    }
  });

  it('thresholds: b > T − 1 is exactly the reference keep test u > (1 − u)·f32(e), at and around the boundary', () => {
    const keep = (b: number, e: number) => {
      const u = (b + 0.5) / 16777216;
      return u > (1 - u) * e;
    };
    const es: number[] = [0, 1e-45, 1e-40, 1e-20, 1, 0.5, 2, 1e20, 3.4e38, Infinity, NaN];
    const special = [0, 1, 2, 3, 2 ** 22, 2 ** 23 - 1, 2 ** 23, 2 ** 24 - 3, 2 ** 24 - 2, 2 ** 24 - 1];
    const rnd = randomData(3000, 11);
    const bs = [...special, ...Array.from(rnd, (x) => Math.floor((x * 0.5 + 0.5) * 2 ** 24))];
    const f = new Float32Array(1);
    const fbits = new Int32Array(f.buffer);
    for (const b of bs) {
      f[0] = (2 * b + 1) / (2 ** 25 - 2 * b - 1);
      for (let d = -3; d <= 3; d++) {
        const g = new Float32Array(f);
        new Int32Array(g.buffer)[0] = fbits[0] + d;
        es.push(g[0]);
        es.push(g[0] * (1 + 2 ** -40)); // an f64 just above: the kernel rounds it to f32 first
      }
    }
    const tm1 = maskThresholdsFast(Float64Array.from(es));
    expect(tm1).not.toBeNull();
    const bad: string[] = [];
    es.forEach((e, i) => {
      const ef = Math.fround(e);
      const t = tm1![i] + 1;
      const ok = t >= 0 && t <= 2 ** 24 && (t === 0 || !keep(t - 1, ef)) && (t === 2 ** 24 || keep(t, ef));
      if (!ok && bad.length < 5) bad.push(`e = ${e}: T = ${t}`);
    });
    expect(bad).toEqual([]);
  });

  it('the wasm exp is Math.exp bit for bit, over a sweep of all f32 logits', () => {
    const stride = 4093; // ~1M of the 2^32 bit patterns, every exponent
    const n = Math.ceil(2 ** 32 / stride);
    const logits = new Float32Array(n);
    const u = new Uint32Array(logits.buffer);
    for (let i = 0; i < n; i++) u[i] = i * stride;
    const e = expNegFast(logits)!;
    expect(bitDiffs(e, Float64Array.from(logits, (l) => Math.exp(-l)))).toEqual([]);
    expect(bitDiffs(expNegFast(expCheckLogits())!, Float64Array.from(expCheckLogits(), (l) => Math.exp(-l)))).toEqual([]);
  });

  it('gives the same bits with e^(−l) from Math.exp (the path for engines whose Math.exp differs)', () => {
    setMaskForceMathExp(true);
    expect(wasmMaskExpExact()).toBe(false);
    const n = 1001;
    const logits = logitsFor(n, 4);
    const weight = randomData(n, 5);
    const grad = randomData(4 * n, 6);
    expect(bitDiffs(maskSampleFast(logits, weight, 4, 1, 2), maskSampleCpu(logits, weight, 4, 1, 2))).toEqual([]);
    expect(bitDiffs(maskSampleBackwardFast(grad, logits, weight, 4, 1, 2), maskSampleBackwardCpu(grad, logits, weight, 4, 1, 2)))
      .toEqual([]);
  });

  it('handles empty inputs, leaves its inputs untouched and reuses its memory across sizes', () => {
    expect(maskSampleFast(new Float32Array(0), new Float32Array(0), 4, 1, 2)).toEqual(new Float32Array(0));
    expect(maskSampleFast(new Float32Array(3), new Float32Array(3), 0, 1, 2)).toEqual(new Float32Array(0));
    expect(maskSampleBackwardFast(new Float32Array(0), new Float32Array(3), new Float32Array(3), 0, 1, 2))
      .toEqual(new Float32Array(3));
    const big = 70001;
    const logits = logitsFor(big, 8);
    const weight = randomData(big, 9);
    const grad = randomData(3 * big, 10);
    const copies = [logits.slice(), weight.slice(), grad.slice()];
    const first = maskSampleFast(logits, weight, 3, 4, 4);
    const firstBack = maskSampleBackwardFast(grad, logits, weight, 3, 4, 4);
    [logits, weight, grad].forEach((a, j) => expect(bitDiffs(a, copies[j])).toEqual([]));
    const small = logitsFor(6, 1);
    expect(bitDiffs(maskSampleFast(small, small, 2, 1, 1), maskSampleCpu(small, small, 2, 1, 1))).toEqual([]);
    expect(bitDiffs(maskSampleFast(logits, weight, 3, 4, 4), first)).toEqual([]);
    expect(bitDiffs(maskSampleBackwardFast(grad, logits, weight, 3, 4, 4), firstBack)).toEqual([]);
  });

  it('falls back to the references where WebAssembly SIMD is missing', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', {
      ...WebAssembly,
      Module: function Module() {
        throw new WebAssembly.CompileError('no SIMD here');
      },
    });
    try {
      const mask = await import('../kernels/cpu/mask.fast.js');
      const adam = await import('../kernels/cpu/adam.fast.js');
      expect(mask.wasmMaskAvailable()).toBe(false);
      expect(mask.wasmMaskExpExact()).toBe(false);
      expect(adam.wasmAdamAvailable()).toBe(false);
      const n = 37;
      const logits = logitsFor(n, 2);
      const weight = randomData(n, 3);
      const grad = randomData(2 * n, 4);
      expect(bitDiffs(mask.maskSampleFast(logits, weight, 2, 5, 6), maskSampleCpu(logits, weight, 2, 5, 6))).toEqual([]);
      expect(bitDiffs(mask.maskSampleBackwardFast(grad, logits, weight, 2, 5, 6),
        maskSampleBackwardCpu(grad, logits, weight, 2, 5, 6))).toEqual([]);
      expect(mask.expNegFast(logits)).toBeNull();
      const [p1, m1, v1] = [weight.slice(), new Float32Array(n), new Float32Array(n)];
      const [p2, m2, v2] = [weight.slice(), new Float32Array(n), new Float32Array(n)];
      adam.adamFast(p1, grad, m1, v1, HYPER, 1);
      adamCpu(p2, grad, m2, v2, HYPER, 1);
      expect([p1, m1, v1]).toEqual([p2, m2, v2]);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});

describe('dropoutFactorsFast (the sampling kernel with one threshold)', () => {
  it('equals dropoutFactorsCpu bit for bit, at rates on and between the 2^-24 grid and the edges', () => {
    const grid = 2 ** -24;
    const rates = [0, 0.1, 0.5, 1 / 3, 0.999, grid, 0.5 * grid, 1.5 * grid, 1234567 * grid, 1234567.5 * grid, 1 - grid, 1e-300];
    for (const rate of rates) {
      for (const size of [1, 7, 4096]) {
        const got = dropoutFactorsFast(size, rate, 11, 3);
        const want = dropoutFactorsCpu(size, rate, 11, 3);
        expect(bitDiffs(got, want), `rate ${rate}, size ${size}`).toEqual([]);
      }
    }
  });

  it('keeps at rate 0, drops everything from rate 1 on (the reference, through its fallback)', () => {
    expect(Array.from(dropoutFactorsFast(9, 0, 1, 1))).toEqual(new Array(9).fill(1));
    expect(Array.from(dropoutFactorsFast(9, 1, 1, 1))).toEqual(Array.from(dropoutFactorsCpu(9, 1, 1, 1)));
  });

  it('crosses the threshold where the reference does: rates on and around one element\'s own uniform', () => {
    // Element 37's 24 random bits b decide it: it is kept iff (b + 0.5)/2^24 > rate.
    const b = randomBits(streamKeys(5, 9), 37) >>> 8;
    const grid = 2 ** -24;
    for (const rate of [b * grid, (b + 0.5) * grid, (b + 0.5) * grid - 1e-15, (b + 0.5) * grid + 1e-15, (b + 1) * grid]) {
      const got = dropoutFactorsFast(64, rate, 5, 9);
      expect(bitDiffs(got, dropoutFactorsCpu(64, rate, 5, 9)), `rate ${rate}`).toEqual([]);
      expect(got[37] !== 0, `rate ${rate}`).toBe((b + 0.5) * grid > rate);
    }
  });
});

const HYPER: AdamHyper = {
  lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4,
  biasCorrection1: 1 - 0.9 ** 3, biasCorrection2: 1 - 0.999 ** 3,
};

describe('adamFast', () => {
  it('runs WebAssembly SIMD in Node 20, and the committed kernels/cpu/wasm/adam.wasm.ts is kernels/cpu/wasm/adam.wat assembled', () => {
    expect(wasmAdamAvailable()).toBe(true);
    expect(committed('adam'), 'adam.wasm.ts is stale: run `node kernels/cpu/wasm/build-wasm.mjs`').toBe(assembled('adam'));
  });

  it('updates param, m and v bit-identically to adamCpu over several steps', () => {
    for (const n of SIZES) {
      const grad = randomData(n + 3, n).map((x) => x * 5); // longer than param: only the first n count
      const fast = [randomData(n, n + 1), new Float32Array(n), new Float32Array(n)];
      const ref = fast.map((a) => a.slice());
      for (let t = 1; t <= 4; t++) {
        const h: AdamHyper = { ...HYPER, weightDecay: t % 2 ? 1e-4 : 0, biasCorrection1: 1 - 0.9 ** t, biasCorrection2: 1 - 0.999 ** t };
        const scale = t === 3 ? 0.37 : 1;
        adamFast(fast[0], grad, fast[1], fast[2], h, scale);
        adamCpu(ref[0], grad, ref[1], ref[2], h, scale);
        for (let j = 0; j < 3; j++) expect(bitDiffs(fast[j], ref[j]), `n ${n}, step ${t}, array ${j}`).toEqual([]);
      }
    }
  });

  it('does nothing on empty arrays', () => {
    const empty = new Float32Array(0);
    expect(() => adamFast(empty, empty, empty, empty, HYPER, 1)).not.toThrow();
  });
});
