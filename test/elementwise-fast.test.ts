/** The compiled CPU elementwise loops agree with the reference (one shared loop over MAP_FUNCTIONS). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arityOf, type MapOp } from '../engine/backend.js';
import { broadcastShapes, broadcastStrides, sizeOf, stridesOf } from '../engine/shape.js';
import { MAP_FUNCTIONS, isContiguous, mapCpu, type CpuOperand } from '../kernels/cpu/elementwise.js';
import { mapFast } from '../kernels/cpu/elementwise.fast.js';
import { reduceCpu, reduceGeneral } from '../kernels/cpu/reduce.js';

const OPS = Object.keys(MAP_FUNCTIONS) as MapOp[];
const outShape = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });
/** An operand shape that broadcasts to `out`: a suffix of it with some dimensions set to 1. */
const operandShape = (out: number[]) =>
  fc.tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
    .map(([drop, ones]) => out.slice(drop).map((d, i) => (ones[i] ? 1 : d)));

describe('compiled elementwise loops equal the reference', () => {
  it('for every op, broadcast and constant operands, any layout', () => {
    fc.assert(
      fc.property(fc.constantFrom(...OPS), outShape.chain((o) => fc.tuple(fc.constant(o), operandShape(o), operandShape(o), operandShape(o))), fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), fc.boolean(), (op, [, s0, s1, s2], constant, transpose) => {
        const shapes = [s0, s1, s2].slice(0, arityOf(op));
        const out = shapes.reduce((acc, s) => broadcastShapes('test', acc, s), [] as number[]);
        const operands: CpuOperand[] = shapes.map((s, k) => {
          if (constant[k]) return { scalar: (k + 1) * 0.75 - 1 };
          const data = Float32Array.from({ length: sizeOf(s) }, (_, i) => Math.sin(i * 1.7 + k) * 2);
          let strides = broadcastStrides(s, out);
          // A transposed read of the last two axes exercises non-contiguous strides.
          if (transpose && out.length >= 2 && s.length === out.length) {
            const own = stridesOf([...s.slice(0, -2), s[s.length - 1], s[s.length - 2]]);
            if (s[s.length - 1] === s[s.length - 2]) strides = [...own.slice(0, -2), own[own.length - 1], own[own.length - 2]];
          }
          return { data, strides };
        });
        const expected = new Float32Array(sizeOf(out));
        mapCpu(op, operands, out, expected);
        const actual = new Float32Array(sizeOf(out));
        const contiguous = operands.every((o) => !('data' in o) || isContiguous(o.strides, out));
        expect(mapFast(op, operands, out, actual, contiguous)).toBe(true);
        expect(Array.from(actual)).toEqual(Array.from(expected));
      }),
      { numRuns: 500 },
    );
  });
});

describe('CPU reductions: the block paths (reduced axes in one block, or kept axes in one block) equal the general one', () => {
  it('bit for bit, for sum, sumsq and max over any axes (they add in the same order)', () => {
    fc.assert(
      fc.property(outShape, fc.constantFrom('sum' as const, 'sumsq' as const, 'max' as const), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (shape, op, pick) => {
        const axes = shape.map((_, i) => i).filter((i) => pick[i]);
        const x = Float32Array.from({ length: sizeOf(shape) }, (_, i) => Math.cos(i * 0.37) * 3);
        const fast = Array.from(reduceCpu(op, x, shape, axes));
        const general = Array.from(reduceGeneral(op, x, shape, axes));
        expect(fast).toEqual(general);
      }),
      { numRuns: 300 },
    );
  });

  it('bit for bit on wide rows (sums 16 columns at a time, then the rest), with NaN and ±∞ among the values', () => {
    const dims = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }));
    fc.assert(
      fc.property(dims, fc.constantFrom('sum' as const, 'sumsq' as const, 'max' as const), fc.boolean(), ([outer, rows, inner], op, special) => {
        const shape = [outer, rows, inner];
        const x = Float32Array.from({ length: sizeOf(shape) }, (_, i) => (special && i % 97 === 5 ? [NaN, Infinity, -Infinity][i % 3] : Math.cos(i * 0.37) * 3 ** (i % 7)));
        expect(Array.from(reduceCpu(op, x, shape, [1]))).toEqual(Array.from(reduceGeneral(op, x, shape, [1])));
      }),
      { numRuns: 300 },
    );
  });
});
