/**
 * The CPU backend's copies and recycled arrays: strided copies (permutations, slices, broadcasts) equal
 * the reference map, padded rows pack as written, short-run slices and concatenations equal long-run ones, and arrays of released
 * tensors come back zeroed where a kernel expects zeros and are never handed out while a tensor holds them.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { sizeOf, stridesOf } from '../engine/shape.js';
import * as ms from '../index.js';
import { CpuBackend } from '../kernels/cpu/backend.js';
import { concatCpu, copyRowsInto, copyStrided, sliceCpu } from '../kernels/cpu/copy.js';
import { mapCpu } from '../kernels/cpu/elementwise.js';
import { dropRecycled, recycle, recycledBytes, takeUninitialised, takeZeroed } from '../kernels/cpu/recycled.js';

afterEach(() => dropRecycled());

describe('copyRowsInto', () => {
  it('packs the first n of every stride elements after `at`, short rows and long, leaving the rest alone', () => {
    const dims = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(dims, ([rows, n, pad, from, at]) => {
        const stride = n + pad;
        const src = Float32Array.from({ length: from + rows * stride }, (_, i) => i + 0.5);
        const dst = new Float32Array(at + rows * n + 2).fill(-1);
        copyRowsInto(dst, at, src, from, rows, n, stride);
        const expected = Array.from(dst, () => -1);
        for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) expected[at + r * n + j] = src[from + r * stride + j];
        expect(Array.from(dst)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('copyStrided', () => {
  it('equals the reference map for any permutation, with broadcast and size-1 axes', () => {
    const shape = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 0, maxLength: 5 });
    fc.assert(
      fc.property(shape, fc.func(fc.integer()), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), fc.boolean(), (src, order, broadcast, ints) => {
        const perm = src.map((_, i) => i).sort((a, b) => order(a) - order(b) || a - b);
        const own = stridesOf(src);
        const strides = perm.map((p) => (broadcast[p] ? 0 : own[p]));
        const out = perm.map((p) => src[p]);
        const data = ints ? Int32Array.from({ length: sizeOf(src) }, (_, i) => i * 7 - 3) : Float32Array.from({ length: sizeOf(src) }, (_, i) => Math.cos(i));
        const expected = ints ? new Int32Array(sizeOf(out)) : new Float32Array(sizeOf(out));
        mapCpu('identity', [{ data, strides }], out, expected);
        const actual = copyStrided(data, out, strides);
        expect(actual.constructor).toBe(data.constructor);
        expect(Array.from(actual)).toEqual(Array.from(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('copies a [B, T, H, d] → [B, H, T, d] permutation large enough to use recycled arrays', () => {
    const [b, t, h, d] = [3, 37, 4, 16];
    const x = Float32Array.from({ length: b * t * h * d }, (_, i) => i);
    const own = stridesOf([b, t, h, d]);
    const out = copyStrided(x, [b, h, t, d], [own[0], own[2], own[1], own[3]]);
    for (const [bi, hi, ti, di] of [[0, 0, 0, 0], [2, 3, 36, 15], [1, 2, 5, 7]]) {
      expect(out[((bi * h + hi) * t + ti) * d + di]).toBe(x[((bi * t + ti) * h + hi) * d + di]);
    }
  });
});

describe('slice and concat runs', () => {
  it('give the same arrays for short runs (loops) and long ones (set)', () => {
    for (const inner of [1, 3, 16, 200]) {
      const [outer, axis] = [5, 7];
      const x = Float32Array.from({ length: outer * axis * inner }, (_, i) => i);
      const parts = [sliceCpu(x, outer, axis, inner, 0, 2), sliceCpu(x, outer, axis, inner, 2, 5)];
      expect(parts[1][0]).toBe(2 * inner);
      expect(parts[1][5 * inner]).toBe(axis * inner + 2 * inner);
      expect(Array.from(concatCpu(parts, outer, [2, 5], inner))).toEqual(Array.from(x));
    }
  });
});

describe('recycled arrays', () => {
  it('come back zeroed from takeZeroed and as they were from takeUninitialised', () => {
    const a = takeUninitialised('f32', 5000);
    a.fill(3);
    recycle(a);
    expect(recycledBytes()).toBe(20_000);
    const b = takeZeroed('f32', 5000);
    expect(b).toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(recycledBytes()).toBe(0);
    // Another dtype or length is not served by it.
    recycle(b);
    expect(takeZeroed('i32', 5000)).not.toBe(b);
    expect(takeZeroed('f32', 5001)).not.toBe(b);
  });

  it('keep small arrays, views into larger buffers and shared memory out', () => {
    recycle(new Float32Array(100));
    recycle(new Float32Array(10_000).subarray(0, 5000));
    recycle(new Float32Array(new SharedArrayBuffer(4 * 5000)));
    expect(recycledBytes()).toBe(0);
  });

  it('hold at most 256 MiB, dropping the sizes used longest ago', () => {
    for (let i = 0; i < 20; i++) recycle(new Float32Array(4 * 2 ** 20 + i)); // 16 MiB each
    expect(recycledBytes()).toBeLessThanOrEqual(256 * 2 ** 20);
    expect(takeUninitialised('f32', 4 * 2 ** 20)).toHaveLength(4 * 2 ** 20);
    expect(recycledBytes()).toBeGreaterThan(200 * 2 ** 20);
  });

  it('come from released tensors only once, and results computed on them are right', async () => {
    const be = new CpuBackend();
    const data = Float32Array.from({ length: 6000 }, (_, i) => i);
    const s = be.upload(data);
    be.release(s);
    be.release(s); // a second release of the same storage must not give its array out twice
    expect(recycledBytes()).toBe(24_000);
    expect(be.memory()).toMatchObject({ liveBuffers: 0, pooledBuffers: 1, pooledBytes: 24_000 });
    // The next result of that size reuses it: a fill of zeros must still read as zeros.
    const zeros = be.fill('f32', 6000, 0);
    expect(recycledBytes()).toBe(0);
    expect((await be.read(zeros)).every((v) => v === 0)).toBe(true);
    be.release(zeros);
    // And through the engine: a sum over reused arrays is the same as on fresh ones.
    await ms.setBackend('cpu');
    const x = ms.tensor(data, [60, 100]);
    for (let round = 0; round < 3; round++) {
      const total = ms.tidy(() => x.mul(2).add(1).sum(1));
      expect(Array.from(await total.toArray()).slice(0, 2)).toEqual([2 * 4950 + 100, 2 * (4950 + 100 * 100) + 100]);
      total.dispose();
    }
    x.dispose();
  });
});
