/**
 * The WebAssembly SIMD elementwise maps (kernels/cpu/map.simd.ts) against the JavaScript reference loop
 * (mapCpu): bit for bit for every op it takes, on values that include ±0, ±∞, NaN, subnormals and
 * results that round, for contiguous operands, scalars on either side, broadcast rows and runs (lengths not
 * a multiple of 4, leading axes read through strides); the layouts it must leave to JavaScript; and the
 * committed wasm being map.wat assembled.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { MapOp } from '../engine/backend.js';
import { uniformCpu } from '../engine/random.js';
import { mapCpu, type CpuOperand } from '../kernels/cpu/elementwise.js';
import { mapSimd } from '../kernels/cpu/map.simd.js';

const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, -1, 0.1, 1 / 3];

/** Values in (−4, 4) with the special values sprinkled in. */
function data(size: number, seed: number): Float32Array {
  const d = uniformCpu(size, seed, 0).map((v) => v * 8 - 4);
  for (let j = 0; j < size; j += 7) d[j] = SPECIAL[(j / 7 + seed) % SPECIAL.length];
  return d;
}

const contiguousStrides = (shape: number[]) => shape.map((_, ax) => shape.slice(ax + 1).reduce((a, b) => a * b, 1));

function expectSameBits(op: MapOp, operands: CpuOperand[], shape: number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  const got = mapSimd(op, operands, shape, size, 'f32');
  expect(got, `${op} was not taken`).not.toBeNull();
  const want = new Float32Array(size);
  mapCpu(op, operands, shape, want);
  const bad: string[] = [];
  for (let i = 0; i < size && bad.length < 5; i++) {
    if (!Object.is(got![i], want[i]) && !(Number.isNaN(got![i]) && Number.isNaN(want[i]))) bad.push(`[${i}] ${got![i]} vs ${want[i]}`);
  }
  expect(bad, `${op} on ${JSON.stringify(shape)}`).toEqual([]);
}

const UNARY: MapOp[] = ['relu', 'step', 'neg', 'abs', 'square', 'sqrt'];
const BINARY: MapOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'];

describe('elementwise maps in WebAssembly SIMD', () => {
  const shape = [3, 5, 11, 13]; // 2,145 outputs: not a multiple of 4
  const array = (seed: number): CpuOperand => ({ data: data(2145, seed), strides: contiguousStrides(shape) });

  it('unary ops equal the JavaScript loop bit for bit', () => {
    for (const op of UNARY) expectSameBits(op, [array(1)], shape);
  });

  it('binary ops equal it on arrays, and with a scalar on either side', () => {
    for (const op of BINARY) {
      expectSameBits(op, [array(1), array(2)], shape);
      // Equal operands in places, for the comparisons' ties.
      const a = array(3);
      expectSameBits(op, [a, { data: (a as { data: Float32Array }).data.map((v, i) => (i % 3 ? v : -v)), strides: contiguousStrides(shape) }], shape);
      for (const scalar of [0.5, -0, NaN, Infinity]) {
        expectSameBits(op, [array(4), { scalar }], shape);
        expectSameBits(op, [{ scalar }, array(5)], shape);
      }
    }
  });

  it('takes a vector repeated over the leading axes (a bias on [B, H]), on either side', () => {
    const rows = [200, 37];
    const bias: CpuOperand = { data: data(37, 6), strides: [0, 1] };
    const x: CpuOperand = { data: data(200 * 37, 7), strides: [37, 1] };
    for (const op of BINARY) {
      expectSameBits(op, [x, bias], rows);
      expectSameBits(op, [bias, x], rows);
    }
  });

  it('takes one value per leading index held over the trailing axes (a bias on [N, C, H, W], a transposed one)', () => {
    const nchw = [10, 6, 5, 7];
    const x: CpuOperand = { data: data(10 * 6 * 35, 8), strides: contiguousStrides(nchw) };
    const perChannel: CpuOperand = { data: data(6, 9), strides: [0, 1, 0, 0] };
    // [N, C] values stored as [C, N] and read transposed, held over H × W.
    const perImageChannel: CpuOperand = { data: data(60, 10), strides: [1, 10, 0, 0] };
    for (const op of BINARY) {
      expectSameBits(op, [x, perChannel], nchw);
      expectSameBits(op, [perImageChannel, x], nchw);
    }
  });

  it('leaves to JavaScript what it does not take', () => {
    const x = { data: data(4096, 11), strides: [64, 1] };
    const cases: [string, MapOp, CpuOperand[], number[]][] = [
      ['a transposed operand', 'relu', [{ data: data(4096, 12), strides: [1, 64] }], [64, 64]],
      ['both operands broadcast', 'add', [{ data: data(64, 13), strides: [1, 0] }, { data: data(64, 14), strides: [0, 1] }], [64, 64]],
      ['rows shorter than 16', 'add', [{ data: data(4096, 15), strides: [8, 1] }, { data: data(8, 16), strides: [0, 1] }], [512, 8]],
      ['a small map', 'add', [{ data: data(100, 17), strides: [1] }, { scalar: 1 }], [100]],
      ['an op it has no code for', 'exp', [x], [64, 64]],
      ['a scalar f32 cannot hold (JavaScript computes with its f64 value)', 'mul', [x, { scalar: 0.1 }], [64, 64]],
      ['i32 operands', 'add', [{ data: new Int32Array(4096), strides: [64, 1] }, x], [64, 64]],
    ];
    for (const [why, op, operands, shape] of cases) {
      expect(mapSimd(op, operands, shape, shape.reduce((a, b) => a * b, 1), 'f32'), why).toBeNull();
    }
    expect(mapSimd('gt', [x, x], [64, 64], 4096, 'i32'), 'an i32 result').toBeNull();
  });

  it('map.wasm.ts is map.wat assembled', () => {
    const build = fileURLToPath(new URL('../kernels/cpu/wasm/build-wasm.mjs', import.meta.url));
    const committed = readFileSync(new URL('../kernels/cpu/wasm/map.wasm.ts', import.meta.url), 'utf8');
    expect(execFileSync(process.execPath, [build, '--stdout', 'map'], { encoding: 'utf8' })).toBe(committed);
  });
});
