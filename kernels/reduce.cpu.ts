/** CPU reference for reductions over any set of axes. */
import type { ReduceOp } from '../engine/backend.js';
import { sizeOf, stridesOf } from '../engine/shape.js';

export function reduceCpu(op: ReduceOp, x: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const strides = stridesOf(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = keptAxes.map((i) => shape[i]);
  const keptStrides = keptAxes.map((i) => strides[i]);
  const redShape = axes.map((i) => shape[i]);
  const redStrides = axes.map((i) => strides[i]);
  const outSize = sizeOf(keptShape);
  const redSize = sizeOf(redShape);
  const out = new Float32Array(outSize);
  const redOffsets = offsetsOf(redShape, redStrides, redSize);
  const keptOffsets = offsetsOf(keptShape, keptStrides, outSize);
  for (let o = 0; o < outSize; o++) {
    const base = keptOffsets[o];
    let acc = op === 'max' ? -Infinity : 0;
    for (let r = 0; r < redSize; r++) {
      const v = x[base + redOffsets[r]];
      if (op === 'sum') acc += v;
      else if (op === 'sumsq') acc += v * v;
      else if (v > acc || Number.isNaN(v)) acc = v;
    }
    out[o] = acc;
  }
  return out;
}

/** Flat memory offsets of every index of `shape` walked in row-major order with the given strides. */
function offsetsOf(shape: readonly number[], strides: readonly number[], count: number): Int32Array {
  const out = new Int32Array(count);
  const inner = stridesOf(shape);
  for (let i = 0; i < count; i++) {
    let off = 0;
    let rest = i;
    for (let ax = 0; ax < shape.length; ax++) {
      const idx = Math.floor(rest / inner[ax]);
      rest -= idx * inner[ax];
      off += idx * strides[ax];
    }
    out[i] = off;
  }
  return out;
}
