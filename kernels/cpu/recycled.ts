/**
 * Recycled result arrays for the CPU backend. A fresh large typed array costs more than the kernels that
 * fill it: the allocator hands out new pages and the first write to each one faults (about half a
 * millisecond for 800 KB on the machines we measure, as long as a layer's whole forward pass). Training
 * steps free and allocate the same sizes over and over, so the backend gives the arrays of released
 * tensors back here and the kernels take their outputs from here.
 *
 * Only arrays that span their whole buffer, are large enough to matter and that no live tensor still
 * shares (the backend counts tensors per buffer) come back; the pool keeps at most MAX_BYTES, dropping the
 * sizes used longest ago first.
 */
import { allocTyped, dtypeOfArray, type AnyTypedArray, type DType } from '../../engine/dtype.js';

/** Below this many elements the engine's heap serves allocations quickly; they are not kept. */
const MIN_LENGTH = 4096;
const MAX_BYTES = 256 * 2 ** 20;

/** Free arrays by dtype and length; Map order is least recently used first. */
const free = new Map<string, AnyTypedArray[]>();
let freeBytes = 0;

const keyOf = (dtype: DType, length: number): string => `${dtype}${length}`;

/** An array of `length` elements, not zeroed when it is recycled: for results that overwrite every element. */
export function takeUninitialised(dtype: DType, length: number): AnyTypedArray {
  if (length < MIN_LENGTH) return allocTyped(dtype, length);
  const key = keyOf(dtype, length);
  const list = free.get(key);
  const reused = list?.pop();
  if (!reused) return allocTyped(dtype, length);
  freeBytes -= reused.byteLength;
  // Most recently used last.
  free.delete(key);
  if (list!.length > 0) free.set(key, list!);
  return reused;
}

/** A zeroed array, as `new Float32Array(length)` etc. gives. */
export function takeZeroed(dtype: DType, length: number): AnyTypedArray {
  const a = takeUninitialised(dtype, length);
  if (length >= MIN_LENGTH) a.fill(0);
  return a;
}

export const zeroedF32 = (length: number): Float32Array => takeZeroed('f32', length) as Float32Array;

/** heap[from, to) as an array of its own (what heap.slice gives, on a recycled array). */
export function copyOut(heap: Float32Array, from: number, to: number): Float32Array {
  const out = takeUninitialised('f32', to - from) as Float32Array;
  out.set(heap.subarray(from, to));
  return out;
}

/** Shared memory (worker threads' views) is never kept; pages without cross-origin isolation have no SharedArrayBuffer. */
const isShared = (buffer: ArrayBufferLike): boolean => typeof SharedArrayBuffer !== 'undefined' && buffer instanceof SharedArrayBuffer;

/** Gives an array back; the caller guarantees nothing reads or writes it any more. */
export function recycle(a: AnyTypedArray): void {
  if (a.length < MIN_LENGTH || a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || isShared(a.buffer)) return;
  if (a.byteLength > MAX_BYTES) return;
  const key = keyOf(dtypeOfArray(a), a.length);
  const list = free.get(key) ?? [];
  free.delete(key);
  list.push(a);
  free.set(key, list);
  freeBytes += a.byteLength;
  for (const [oldKey, oldList] of free) {
    if (freeBytes <= MAX_BYTES) break;
    while (oldList.length > 0 && freeBytes > MAX_BYTES) freeBytes -= oldList.shift()!.byteLength;
    if (oldList.length === 0) free.delete(oldKey);
  }
}

/** Bytes held for reuse. */
export const recycledBytes = (): number => freeBytes;

/** Arrays held for reuse. */
export const recycledArrays = (): number => [...free.values()].reduce((n, list) => n + list.length, 0);

/** Drops every kept array (tests). */
export function dropRecycled(): void {
  free.clear();
  freeBytes = 0;
}
