/** The CPU's WebAssembly layer norm (kernels/cpu/norm.fast.ts, wasm/norm.wat) against the JavaScript reference (norm.ts), bit for bit. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LayerNormSpec } from '../engine/backend.js';
import { uniformCpu } from '../engine/random.js';
import { layerNormBackwardCpu, layerNormCpu } from '../kernels/cpu/norm.js';
import { layerNormBackwardFast, layerNormFast } from '../kernels/cpu/norm.fast.js';

const values = (n: number, seed: number, scale: number, shift = 0): Float32Array => uniformCpu(n, seed, 0).map((u) => scale * (2 * u - 1) + shift);
const bits = (a: Float32Array): number[] => Array.from(new Int32Array(a.buffer, a.byteOffset, a.length));

function expectSame(spec: LayerNormSpec, x: Float32Array, seed: number): void {
  const params = spec.samples * spec.cols;
  const gain = values(params, seed + 1, 1, 1);
  const bias = values(params, seed + 2, 0.5);
  const dy = values(spec.rows * spec.cols, seed + 3, 2);
  const ref = layerNormCpu(x, gain, bias, spec);
  const fast = layerNormFast(x, gain, bias, spec);
  expect(bits(fast.y), 'y').toEqual(bits(ref.y));
  expect(bits(fast.stats), 'stats').toEqual(bits(ref.stats));
  const gRef = layerNormBackwardCpu(dy, x, gain, ref.stats, spec);
  const gFast = layerNormBackwardFast(dy, x, gain, ref.stats, spec);
  expect(bits(gFast.dx), 'dx').toEqual(bits(gRef.dx));
  expect(bits(gFast.dgain), 'dgain').toEqual(bits(gRef.dgain));
  expect(bits(gFast.dbias), 'dbias').toEqual(bits(gRef.dbias));
}

describe('layer norm in WebAssembly', () => {
  it('is norm.wat assembled (the committed module)', () => {
    const committed = readFileSync(fileURLToPath(new URL('../kernels/cpu/wasm/norm.wasm.ts', import.meta.url)), 'utf8');
    const script = fileURLToPath(new URL('../kernels/cpu/wasm/build-wasm.mjs', import.meta.url));
    expect(committed, 'norm.wasm.ts is stale: run `node kernels/cpu/wasm/build-wasm.mjs`').toBe(
      execFileSync(process.execPath, [script, '--stdout', 'norm'], { encoding: 'utf8' }));
  });

  it('gives the reference bits for both variants, odd shapes, several gain samples, an odd last row', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 70 }),
        fc.constantFrom<'torch' | 'paper'>('torch', 'paper'), fc.constantFrom(1e-5, 1e-3, 0.1), fc.integer({ min: 1, max: 1000 }),
        (samples, perSample, cols, variant, eps, seed) => {
          const spec = { rows: samples * perSample, cols, samples, eps, variant };
          // Rows far from zero mean make the f64 sums' rounding matter.
          expectSame(spec, values(spec.rows * cols, seed, 3, seed % 2 ? 1000 : 0), seed);
        }),
      { numRuns: 150 },
    );
  });

  it('gives the reference bits on constant rows (zero spread) and single columns', () => {
    for (const variant of ['torch', 'paper'] as const) {
      const spec = { rows: 3, cols: 5, samples: 1, eps: 1e-5, variant };
      expectSame(spec, Float32Array.from({ length: 15 }, (_, i) => (i < 10 ? 2.5 : i)), 7);
      expectSame({ ...spec, cols: 1 }, Float32Array.of(1, -2, 3), 8);
    }
  });

  it('gives the transformer-sized case the reference bits too', () => {
    expectSame({ rows: 64 * 41, cols: 64, samples: 4, eps: 1e-5, variant: 'paper' }, values(64 * 41 * 64, 3, 4), 3);
  });
});
