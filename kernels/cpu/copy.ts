/**
 * Block copies behind slicing and concatenation along one axis — a tensor is viewed as [outer, axis, inner],
 * so a slice or a concatenation part is `outer` contiguous runs of (length · inner) elements — and behind
 * transposes (strided reads written densely).
 */
import { dtypeOfArray, type AnyTypedArray } from '../../engine/dtype.js';
import { takeUninitialised } from './recycled.js';

/** Runs shorter than this copy in a loop: a subarray and a set cost about as much as copying ~20 elements one by one. */
const SHORT_RUN = 32;

/** dst[at, at + length) = src[from, from + length). */
function copyRun(dst: AnyTypedArray, at: number, src: AnyTypedArray, from: number, length: number): void {
  if (length >= SHORT_RUN) dst.set(src.subarray(from, from + length), at);
  else for (let j = 0; j < length; j++) dst[at + j] = src[from + j];
}

/**
 * dst[at + r·n, at + r·n + n) = src[from + r·stride, … + n) for r < rows: the first n of every `stride`
 * elements, packed together (results read out of a wasm kernel's padded rows).
 */
export function copyRowsInto(dst: AnyTypedArray, at: number, src: AnyTypedArray, from: number, rows: number, n: number, stride: number): void {
  if (n === stride) dst.set(src.subarray(from, from + rows * n), at);
  else for (let r = 0; r < rows; r++) copyRun(dst, at + r * n, src, from + r * stride, n);
}

/** x[:, start:start+length, :] of x viewed as [outer, axis, inner], as a new dense array. */
export function sliceCpu(x: AnyTypedArray, outer: number, axis: number, inner: number, start: number, length: number): AnyTypedArray {
  const run = length * inner;
  const out = takeUninitialised(dtypeOfArray(x), outer * run);
  for (let r = 0; r < outer; r++) {
    copyRun(out, r * run, x, (r * axis + start) * inner, run);
  }
  return out;
}

/** Parts viewed as [outer, lengths[i], inner], concatenated along the middle axis. */
export function concatCpu(parts: readonly AnyTypedArray[], outer: number, lengths: readonly number[], inner: number): AnyTypedArray {
  const total = lengths.reduce((s, l) => s + l, 0);
  const out = takeUninitialised(dtypeOfArray(parts[0]), outer * total * inner);
  let offset = 0;
  parts.forEach((part, i) => {
    const run = lengths[i] * inner;
    for (let r = 0; r < outer; r++) copyRun(out, (r * total + offset) * inner, part, r * run, run);
    offset += lengths[i];
  });
  return out;
}

/**
 * x read through per-output-axis `strides` (a transposed or sliced view), written densely into a new array.
 * Axes that stay adjacent in x are merged first, so a [B, T, H, d] → [B, H, T, d] permutation copies runs
 * of d with one index update per run.
 */
export function copyStrided(x: AnyTypedArray, shape: readonly number[], strides: readonly number[]): AnyTypedArray {
  const n: number[] = [];
  const s: number[] = [];
  shape.forEach((length, ax) => {
    if (length === 1) return;
    const last = n.length - 1;
    if (last >= 0 && s[last] === strides[ax] * length) {
      n[last] *= length;
      s[last] = strides[ax];
    } else {
      n.push(length);
      s.push(strides[ax]);
    }
  });
  const size = n.reduce((p, l) => p * l, 1);
  const out = takeUninitialised(dtypeOfArray(x), size);
  if (n.length === 0) {
    out[0] = x[0]; // every axis has length 1
    return out;
  }
  const rank = n.length;
  const inner = n[rank - 1];
  const step = s[rank - 1];
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let i = 0; i < size; ) {
    if (step === 1) {
      copyRun(out, i, x, from, inner);
      i += inner;
    } else for (let j = 0; j < inner; j++) out[i++] = x[from + j * step];
    for (let ax = rank - 2; ax >= 0; ax--) {
      from += s[ax];
      if (++index[ax] < n[ax]) break;
      from -= s[ax] * n[ax];
      index[ax] = 0;
    }
  }
  return out;
}
