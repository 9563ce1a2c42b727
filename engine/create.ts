/** Creating tensors: from host data, constants and seeded random numbers, on the active backend. */
import type { DType, AnyTypedArray } from './dtype.js';
import { dtypeOfArray } from './dtype.js';
import { checkDtype } from './options.js';
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
  if (ArrayBuffer.isView(data) && !(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint32Array)) {
    throw new Error(`tensor: typed arrays must be Float32Array, Int32Array or Uint32Array, got ${(data as ArrayBufferView).constructor.name}`);
  }
  const flat = ArrayBuffer.isView(data) ? (data as AnyTypedArray) : null;
  const inferred = flat ? [flat.length] : nestedShape(data as NestedNumbers);
  if (shape !== undefined && !Array.isArray(shape)) {
    throw new Error(`tensor: the second argument is the shape (an array of sizes), got ${shape === null ? 'null' : typeof shape === 'object' ? 'an object' : typeof shape}`);
  }
  const target = shape ?? inferred;
  checkShape('tensor', target);
  const type = dtype === undefined ? (flat ? dtypeOfArray(flat) : 'f32') : checkDtype('tensor', dtype);
  const values: ArrayLike<number> = flat ?? (typeof data === 'number' ? [data] : (data as NestedNumbers[]).flat(Infinity as 1) as number[]);
  const n = sizeOf(target);
  if (values.length !== n) throw new Error(`tensor: ${values.length} values do not fill shape ${fmt(target)} (${n} elements)`);
  if (!flat || type !== dtypeOfArray(flat)) checkValues(values, type);
  const array = type === 'f32' ? new Float32Array(n) : type === 'i32' ? new Int32Array(n) : new Uint32Array(n);
  array.set(values);
  const backend = activeBackend();
  return fromStorage(backend, backend.upload(array), target);
}

const INT_RANGE = { i32: [-(2 ** 31), 2 ** 31 - 1], u32: [0, 2 ** 32 - 1] } as const;

/** For an integer dtype, integers in its range: nothing is truncated or wrapped silently. */
function checkValues(values: ArrayLike<number>, dtype: DType): void {
  if (dtype === 'f32') return;
  const [lo, hi] = INT_RANGE[dtype];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`tensor: value ${i} (${v}) is not an integer in the range of ${dtype}`);
  }
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
  return fill(activeBackend(), shape, value, checkDtype('full', dtype));
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

/**
 * Inverted-dropout factors of `shape` in one kernel: 1/(1 − rate) where a fresh uniform exceeds rate, else 0 —
 * the values (and the random stream) of rand(shape).gt(rate).mul(1/(1 − rate)), without its two extra passes.
 */
export function dropoutFactors(shape: readonly number[], rate: number): Tensor {
  checkShape('dropout', shape);
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  const { seed, stream } = nextRandomStream();
  const backend = activeBackend();
  return fromStorage(backend, backend.dropoutFactors(sizeOf(shape), rate, seed, stream), shape);
}

function random(kind: 'uniform' | 'normal', shape: readonly number[]): Tensor {
  checkShape(kind === 'uniform' ? 'rand' : 'randn', shape);
  const { seed, stream } = nextRandomStream();
  const backend = activeBackend();
  return fromStorage(backend, backend.random(kind, sizeOf(shape), seed, stream), shape);
}
