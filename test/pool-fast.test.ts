/**
 * maxPool2d in WebAssembly SIMD (kernels/cpu/pool.fast.ts) against the reference loops (conv.ts): the same
 * maxima and winning indices bit for bit, with ties (first wins) and NaN (wins only as a window's first
 * element), for strides of 1, 2 (the shuffled loads) and 3 (lane by lane), rows that are not a multiple of 4
 * outputs; and the committed wasm being pool.wat assembled.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Pool2dSpec } from '../engine/backend.js';
import { uniformCpu } from '../engine/random.js';
import { maxPool2dCpu } from '../kernels/cpu/conv.js';
import { maxPool2dFast } from '../kernels/cpu/pool.fast.js';

function spec(batch: number, channels: number, h: number, w: number, kh: number, kw: number, strideH: number, strideW: number): Pool2dSpec {
  return { batch, channels, h, w, kh, kw, strideH, strideW, outH: Math.floor((h - kh) / strideH) + 1, outW: Math.floor((w - kw) / strideW) + 1 };
}

/** Few distinct values, so windows tie often, with NaN and ±0 among them. */
function input(size: number, seed: number): Float32Array {
  const x = uniformCpu(size, seed, 0).map((v) => Math.floor(v * 5) - 2);
  for (let i = 0; i < size; i += 13) x[i] = [NaN, -0, 0, -Infinity][(i / 13) % 4];
  return x;
}

const cases: [string, Pool2dSpec][] = [
  ['2×2 stride 2 (the CNN\'s)', spec(3, 4, 28, 28, 2, 2, 2, 2)],
  ['2×2 stride 2 on an odd side', spec(2, 3, 7, 7, 2, 2, 2, 2)],
  ['3×3 stride 1', spec(2, 2, 9, 11, 3, 3, 1, 1)],
  ['rectangular kernel, strides [2, 3]', spec(1, 5, 10, 17, 2, 3, 2, 3)],
  ['one output per plane', spec(4, 3, 3, 3, 3, 3, 1, 1)],
];

describe('maxPool2d in WebAssembly SIMD', () => {
  for (const [name, s] of cases) {
    it(`${name}: the reference's maxima and indices`, () => {
      const x = input(s.batch * s.channels * s.h * s.w, s.h + s.w);
      const fast = maxPool2dFast(x, s);
      const ref = maxPool2dCpu(x, s);
      expect(Array.from(fast.argmax)).toEqual(Array.from(ref.argmax));
      expect(Array.from(fast.out)).toEqual(Array.from(ref.out));
    });
  }

  it('pool.wasm.ts is pool.wat assembled', () => {
    const build = fileURLToPath(new URL('../kernels/cpu/wasm/build-wasm.mjs', import.meta.url));
    const committed = readFileSync(new URL('../kernels/cpu/wasm/pool.wasm.ts', import.meta.url), 'utf8');
    expect(execFileSync(process.execPath, [build, '--stdout', 'pool'], { encoding: 'utf8' })).toBe(committed);
  });
});
