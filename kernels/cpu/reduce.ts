/** CPU reference for reductions over any set of axes. */
import type { ReduceOp } from '../../engine/backend.js';
import { sizeOf, stridesOf } from '../../engine/shape.js';
import { zeroedF32 } from './recycled.js';

export function reduceCpu(op: ReduceOp, x: Float32Array, fullShape: readonly number[], fullAxes: readonly number[]): Float32Array {
  // Axes of size 1 change neither the order of the values nor the result: without them, more reductions
  // fall into the two block paths (a masked layer's bias gradient is [1, N, C, H, W] summed over N, H, W).
  const long = fullShape.map((_, i) => i).filter((i) => fullShape[i] !== 1);
  const shape = long.map((i) => fullShape[i]);
  const axes = long.flatMap((i, at) => (fullAxes.includes(i) ? [at] : []));
  const contiguousBlock = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (axes.length > 0 && contiguousBlock) return reduceBlock(op, x, shape, axes[0], axes[axes.length - 1]);
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  if (kept.length > 0 && kept.every((a, i) => i === 0 || a === kept[i - 1] + 1)) {
    return reduceAround(op, x, sizeOf(shape.slice(0, kept[0])), sizeOf(shape.slice(kept[0], kept[kept.length - 1] + 1)), sizeOf(shape.slice(kept[kept.length - 1] + 1)));
  }
  return reduceGeneral(op, x, shape, axes);
}

/**
 * The kept axes forming one block between reduced ones (a bias gradient: [N, C, H, W] summed over N, H
 * and W): x viewed as [outer, kept, inner]. Each output adds its values in the general path's order —
 * outer index, then inner — in a float64 accumulator, one contiguous inner run at a time.
 */
function reduceAround(op: ReduceOp, x: Float32Array, outer: number, kept: number, inner: number): Float32Array {
  const acc = new Float64Array(kept).fill(op === 'max' ? -Infinity : 0);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < kept; k++) {
      const start = (o * kept + k) * inner;
      const end = start + inner;
      let a = acc[k];
      if (op === 'sum') for (let i = start; i < end; i++) a += x[i];
      else if (op === 'sumsq') for (let i = start; i < end; i++) a += x[i] * x[i];
      else for (let i = start; i < end; i++) if (x[i] > a || Number.isNaN(x[i])) a = x[i];
      acc[k] = a;
    }
  }
  return Float32Array.from(acc);
}

/** Any set of axes, through tables of memory offsets: the reference the block path is tested against. */
export function reduceGeneral(op: ReduceOp, x: Float32Array, shape: readonly number[], axes: readonly number[]): Float32Array {
  const strides = stridesOf(shape);
  const keptAxes = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = keptAxes.map((i) => shape[i]);
  const keptStrides = keptAxes.map((i) => strides[i]);
  const redShape = axes.map((i) => shape[i]);
  const redStrides = axes.map((i) => strides[i]);
  const outSize = sizeOf(keptShape);
  const redSize = sizeOf(redShape);
  const out = zeroedF32(outSize);
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

/**
 * The common case, reduced axes forming one block: x viewed as [outer, reduced, inner]. Rows of `inner`
 * contiguous values are combined into a float64 accumulator (like the general path's JS numbers); sums
 * take 16 columns at a time first (sumColumns16).
 */
function reduceBlock(op: ReduceOp, x: Float32Array, shape: readonly number[], first: number, last: number): Float32Array {
  const outer = sizeOf(shape.slice(0, first));
  const reduced = sizeOf(shape.slice(first, last + 1));
  const inner = sizeOf(shape.slice(last + 1));
  const out = zeroedF32(outer * inner);
  if (inner === 1) return reduceRuns(op, x, outer, reduced, out);
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const from = op === 'sum' ? sumColumns16(x, o * reduced * inner, reduced, inner, out, o * inner) : 0;
    acc.fill(op === 'max' ? -Infinity : 0);
    for (let r = 0; r < reduced; r++) {
      const base = (o * reduced + r) * inner;
      if (op === 'sum') for (let n = from; n < inner; n++) acc[n] += x[base + n];
      else if (op === 'sumsq') for (let n = from; n < inner; n++) acc[n] += x[base + n] * x[base + n];
      else for (let n = from; n < inner; n++) if (x[base + n] > acc[n] || Number.isNaN(x[base + n])) acc[n] = x[base + n];
    }
    for (let n = from; n < inner; n++) out[o * inner + n] = acc[n];
  }
  return out;
}

/**
 * Column sums of x viewed as [reduced, inner] from `base` into out[at + n], 16 columns at a time held in
 * locals: each column's float64 sum runs down the rows in order, the same additions as reduceBlock's row
 * loop, without a load and store of an accumulator array per element (2.4× on a [3136, 256] bias
 * gradient). Returns how many leading columns it did (a multiple of 16); the caller does the rest.
 */
function sumColumns16(x: Float32Array, base: number, reduced: number, inner: number, out: Float32Array, at: number): number {
  const end = base + reduced * inner;
  let n = 0;
  for (; n + 16 <= inner; n += 16) {
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0, a8 = 0, a9 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a14 = 0, a15 = 0;
    for (let b = base + n; b < end; b += inner) {
      a0 += x[b]; a1 += x[b + 1]; a2 += x[b + 2]; a3 += x[b + 3]; a4 += x[b + 4]; a5 += x[b + 5]; a6 += x[b + 6]; a7 += x[b + 7];
      a8 += x[b + 8]; a9 += x[b + 9]; a10 += x[b + 10]; a11 += x[b + 11]; a12 += x[b + 12]; a13 += x[b + 13]; a14 += x[b + 14]; a15 += x[b + 15];
    }
    const o = at + n;
    out[o] = a0; out[o + 1] = a1; out[o + 2] = a2; out[o + 3] = a3; out[o + 4] = a4; out[o + 5] = a5; out[o + 6] = a6; out[o + 7] = a7;
    out[o + 8] = a8; out[o + 9] = a9; out[o + 10] = a10; out[o + 11] = a11; out[o + 12] = a12; out[o + 13] = a13; out[o + 14] = a14; out[o + 15] = a15;
  }
  return n;
}

/**
 * reduceBlock's case inner = 1 (whole tensors, as gradient clipping's sums of squares; rows of a matrix): each
 * output is one contiguous run, summed in a local float64 — the same additions in the same order, without a
 * loop over a single accumulator per element.
 */
function reduceRuns(op: ReduceOp, x: Float32Array, outer: number, reduced: number, out: Float32Array): Float32Array {
  for (let o = 0; o < outer; o++) {
    const start = o * reduced;
    const end = start + reduced;
    let acc = op === 'max' ? -Infinity : 0;
    if (op === 'sum') for (let i = start; i < end; i++) acc += x[i];
    else if (op === 'sumsq') for (let i = start; i < end; i++) acc += x[i] * x[i];
    else for (let i = start; i < end; i++) if (x[i] > acc || Number.isNaN(x[i])) acc = x[i];
    out[o] = acc;
  }
  return out;
}

/** Flat memory offsets of every index of `shape` walked in row-major order with the given strides. */
export function offsetsOf(shape: readonly number[], strides: readonly number[], count: number): Int32Array {
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
