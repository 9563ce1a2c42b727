/**
 * Block copies behind slicing and concatenation along one axis: a tensor is viewed as [outer, axis, inner],
 * so a slice or a concatenation part is `outer` contiguous runs of (length · inner) elements.
 */
import { allocTyped, dtypeOfArray, type AnyTypedArray } from '../../engine/dtype.js';

/** x[:, start:start+length, :] of x viewed as [outer, axis, inner], as a new dense array. */
export function sliceCpu(x: AnyTypedArray, outer: number, axis: number, inner: number, start: number, length: number): AnyTypedArray {
  const run = length * inner;
  const out = allocTyped(dtypeOfArray(x), outer * run);
  for (let r = 0; r < outer; r++) {
    const from = (r * axis + start) * inner;
    out.set(x.subarray(from, from + run), r * run);
  }
  return out;
}

/** Parts viewed as [outer, lengths[i], inner], concatenated along the middle axis. */
export function concatCpu(parts: readonly AnyTypedArray[], outer: number, lengths: readonly number[], inner: number): AnyTypedArray {
  const total = lengths.reduce((s, l) => s + l, 0);
  const out = allocTyped(dtypeOfArray(parts[0]), outer * total * inner);
  let offset = 0;
  parts.forEach((part, i) => {
    const run = lengths[i] * inner;
    for (let r = 0; r < outer; r++) out.set(part.subarray(r * run, (r + 1) * run), (r * total + offset) * inner);
    offset += lengths[i];
  });
  return out;
}
