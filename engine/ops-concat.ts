/**
 * Concatenation along an axis and its inverse, split (one op with one output per piece, see
 * multi-output.ts), plus stack/unstack on top. The engine has no strided or offset views, so slices are
 * copies (backend.slice / backend.concat: a tensor viewed as [outer, axis, inner]).
 * How sequence models move between [B, T, F] tensors and per-step [B, F] tensors.
 */
import { recordMulti } from './multi-output.js';
import { backendOf, fromStorage, record } from './ops.js';
import { fmt, sizeOf } from './shape.js';
import type { Tensor } from './tensor.js';

function normalizeAxis(op: string, rank: number, axis: number): number {
  const ax = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(ax) || ax < 0 || ax >= rank) throw new Error(`${op}: axis ${axis} is out of range for rank ${rank}`);
  return ax;
}

/** The sizes before and after `axis`: the [outer, axis, inner] view of backend.slice / concat. */
const around = (shape: readonly number[], axis: number) => ({ outer: sizeOf(shape.slice(0, axis)), inner: sizeOf(shape.slice(axis + 1)) });

/** Tensors of one dtype and rank, equal in every dimension but `axis`, joined along it. */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('concat: needs at least one tensor');
  const be = backendOf('concat', tensors);
  const first = tensors[0];
  const ax = normalizeAxis('concat', first.rank, axis);
  for (const t of tensors) {
    const fits = t.rank === first.rank && t.dtype === first.dtype && t.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!fits) throw new Error(`concat: ${t} does not match ${first} outside axis ${ax}`);
  }
  const lengths = tensors.map((t) => t.shape[ax]);
  const total = lengths.reduce((s, l) => s + l, 0);
  const { outer, inner } = around(first.shape, ax);
  const shape = first.shape.map((d, i) => (i === ax ? total : d));
  const out = fromStorage(be, be.concat(tensors.map((t) => t.storage), outer, lengths, inner), shape);
  return record(out, 'concat', [...tensors], (g, needs) => {
    let start = 0;
    return tensors.map((t, i) => {
      const from = start;
      start += lengths[i];
      return needs[i] ? fromStorage(be, be.slice(g.storage, outer, total, inner, from, lengths[i]), t.shape) : null;
    });
  });
}

/** x cut along `axis` into pieces of the given sizes (they must add up to the axis length). */
export function split(x: Tensor, sizes: readonly number[], axis = 0): Tensor[] {
  const be = backendOf('split', [x]);
  const ax = normalizeAxis('split', x.rank, axis);
  const total = x.shape[ax];
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((s, l) => s + l, 0) !== total) {
    throw new Error(`split: sizes [${sizes.join(',')}] do not add up to dimension ${ax} of ${fmt(x.shape)}`);
  }
  const { outer, inner } = around(x.shape, ax);
  let start = 0;
  const pieces = sizes.map((len) => {
    const piece = fromStorage(be, be.slice(x.storage, outer, total, inner, start, len), x.shape.map((d, i) => (i === ax ? len : d)));
    start += len;
    return piece;
  });
  recordMulti('split', pieces, [x], (grads) => {
    // A piece nobody used contributes zeros.
    const zeros = grads.map((g, i) => (g ? null : be.fill('f32', pieces[i].size, 0)));
    const parts = grads.map((g, i) => g?.storage ?? zeros[i]!);
    const gx = fromStorage(be, be.concat(parts, outer, sizes, inner), x.shape);
    zeros.forEach((z) => z && be.release(z));
    return [gx];
  });
  return pieces;
}

/** Joins equal-shaped tensors along a new axis. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (tensors.length === 0) throw new Error('stack: needs at least one tensor');
  const ax = normalizeAxis('stack', tensors[0].rank + 1, axis);
  return concat(tensors.map((t) => t.reshape([...t.shape.slice(0, ax), 1, ...t.shape.slice(ax)])), ax);
}

/** The slices of x along `axis`, that axis removed: the inverse of stack. */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  const ax = normalizeAxis('unstack', x.rank, axis);
  const shape = x.shape.filter((_, i) => i !== ax);
  return split(x, new Array<number>(x.shape[ax]).fill(1), ax).map((piece) => piece.reshape(shape));
}
