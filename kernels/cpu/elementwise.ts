/** CPU reference for elementwise maps over strided / broadcast operands (see engine/backend.ts MapOp). */
import type { MapOp } from '../../engine/backend.js';
import type { AnyTypedArray } from '../../engine/dtype.js';

type Fn = (a: number, b: number, c: number) => number;

/**
 * Every elementwise op, once, as a JavaScript function of its operands a, b, c: the reference loop below
 * calls it, and elementwise.fast.ts compiles its source into specialised loops. So each function must be
 * a single arrow that uses nothing but its parameters and Math (its source text is copied).
 */
export const MAP_FUNCTIONS: Record<MapOp, Fn> = {
  identity: (a) => a,
  neg: (a) => -a,
  exp: (a) => Math.exp(a),
  log: (a) => Math.log(a),
  relu: (a) => (a > 0 ? a : 0),
  sigmoid: (a) => (a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a))),
  tanh: (a) => Math.tanh(a),
  softplus: (a) => Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))),
  abs: (a) => Math.abs(a),
  sqrt: (a) => Math.sqrt(a),
  square: (a) => a * a,
  step: (a) => (a > 0 ? 1 : 0),
  toF32: (a) => a,
  toI32: (a) => Math.trunc(a),
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => Math.pow(a, b),
  maximum: (a, b) => (a > b ? a : b),
  minimum: (a, b) => (a < b ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  where: (c, a, b) => (c !== 0 ? a : b),
};

/** An operand as the CPU sees it: data read through per-output-dimension strides, or a constant. */
export type CpuOperand = { data: AnyTypedArray; strides: readonly number[] } | { scalar: number };

export function mapCpu(op: MapOp, operands: readonly CpuOperand[], outShape: readonly number[], out: AnyTypedArray): void {
  const fn = MAP_FUNCTIONS[op];
  const size = out.length;
  if (size === 0) return;
  const rank = outShape.length;
  const datas = operands.map((o) => ('data' in o ? o.data : null));
  const consts = operands.map((o) => ('scalar' in o ? o.scalar : 0));
  const strides = operands.map((o) => ('data' in o ? o.strides : new Array<number>(rank).fill(0)));
  const contiguous = operands.every((o) => !('data' in o) || isContiguous(o.strides, outShape));
  const [d0, d1, d2] = [datas[0], datas[1] ?? null, datas[2] ?? null];
  const [c0, c1, c2] = [consts[0], consts[1] ?? 0, consts[2] ?? 0];
  if (contiguous) {
    for (let i = 0; i < size; i++) {
      out[i] = fn(d0 ? d0[i] : c0, d1 ? d1[i] : c1, d2 ? d2[i] : c2);
    }
    return;
  }
  // Odometer over the output index, advancing each operand's offset by its strides.
  const index = new Array<number>(rank).fill(0);
  const offsets = [0, 0, 0];
  for (let i = 0; i < size; i++) {
    out[i] = fn(d0 ? d0[offsets[0]] : c0, d1 ? d1[offsets[1]] : c1, d2 ? d2[offsets[2]] : c2);
    for (let ax = rank - 1; ax >= 0; ax--) {
      index[ax]++;
      for (let k = 0; k < strides.length; k++) offsets[k] += strides[k][ax];
      if (index[ax] < outShape[ax]) break;
      for (let k = 0; k < strides.length; k++) offsets[k] -= strides[k][ax] * outShape[ax];
      index[ax] = 0;
    }
  }
}

export function isContiguous(strides: readonly number[], shape: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expected) return false;
    expected *= shape[i];
  }
  return true;
}
