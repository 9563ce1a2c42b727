/** Creating tensors: from host data, constants and seeded random numbers, on the active backend. */
import type { DType, AnyTypedArray } from './dtype.js';
import { dtypeOfArray } from './dtype.js';
import { checkShape, fmt, sizeOf } from './shape.js';
import { activeBackend, nextRandomStream } from './state.js';
import { fill, fromStorage } from './ops.js';
import type { Tensor } from './tensor.js';

export type NestedNumbers = number | readonly NestedNumbers[];

/**
 * A tensor from a number, nested arrays or a typed array. `shape` defaults to the nesting of `data`
 * (a flat typed array gives a 1-D tensor); `dtype` defaults to the typed array's, else f32.
 */
export function tensor(data: NestedNumbers | AnyTypedArray, shape?: readonly number[], dtype?: DType): Tensor {
  const flat = ArrayBuffer.isView(data) ? (data as AnyTypedArray) : null;
  const inferred = flat ? [flat.length] : nestedShape(data as NestedNumbers);
  const target = shape ?? inferred;
  checkShape('tensor', target);
  const type = dtype ?? (flat ? dtypeOfArray(flat) : 'f32');
  const values = flat ?? (data as NestedNumbers as unknown as number[] | number);
  const n = sizeOf(target);
  const count = flat ? flat.length : sizeOf(inferred);
  if (count !== n) throw new Error(`tensor: ${count} values do not fill shape ${fmt(target)} (${n} elements)`);
  const array = type === 'f32' ? new Float32Array(n) : type === 'i32' ? new Int32Array(n) : new Uint32Array(n);
  if (flat) array.set(flat as ArrayLike<number>);
  else array.set(typeof values === 'number' ? [values] : (values as unknown as NestedNumbers[]).flat(Infinity as 1) as number[]);
  const backend = activeBackend();
  return fromStorage(backend, backend.upload(array), target);
}

function nestedShape(data: NestedNumbers): number[] {
  if (typeof data === 'number') return [];
  if (!Array.isArray(data)) throw new Error('tensor: data must be a number, nested arrays of numbers, or a typed array');
  if (data.length === 0) return [0];
  const inner = nestedShape(data[0]);
  for (const row of data) {
    const s = nestedShape(row);
    if (s.length !== inner.length || s.some((d, i) => d !== inner[i])) throw new Error('tensor: nested arrays are ragged');
  }
  return [data.length, ...inner];
}

export function full(shape: readonly number[], value: number, dtype: DType = 'f32'): Tensor {
  checkShape('full', shape);
  return fill(activeBackend(), shape, value, dtype);
}
export const zeros = (shape: readonly number[], dtype: DType = 'f32'): Tensor => full(shape, 0, dtype);
export const ones = (shape: readonly number[], dtype: DType = 'f32'): Tensor => full(shape, 1, dtype);

/** Uniform in (0, 1) from the seeded counter-based generator (see manualSeed). */
export function rand(shape: readonly number[]): Tensor {
  return random('uniform', shape);
}

/** Standard normal from the seeded counter-based generator (see manualSeed). */
export function randn(shape: readonly number[]): Tensor {
  return random('normal', shape);
}

function random(kind: 'uniform' | 'normal', shape: readonly number[]): Tensor {
  checkShape(kind === 'uniform' ? 'rand' : 'randn', shape);
  const { seed, stream } = nextRandomStream();
  const backend = activeBackend();
  return fromStorage(backend, backend.random(kind, sizeOf(shape), seed, stream), shape);
}
