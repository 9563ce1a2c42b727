/**
 * The fused LSTM cell by the WebAssembly SIMD kernels of wasm/lstm.wat, the contracts of lstm.ts, 4 hidden
 * units at a time with a 4-lane exp (JavaScript's Math.exp and Math.tanh, five per element, were most of
 * a SCAN step's cell time: bench/RESULTS.md). The operands are copied into the module's memory and the
 * results out. Where wasm SIMD is missing, H is not a multiple of 4, or the operands exceed the module's
 * memory, the reference loops of lstm.ts run instead.
 */
import { lstmCellBackwardCpu, lstmCellBackwardFromActs, lstmCellCpu } from './lstm.js';
import { heapFor, lazyWasmKernel, regions } from './wasm-kernel.js';
import { lstmWasmBase64 } from './wasm/lstm.wasm.js';
import { copyOut, zeroedF32 } from './recycled.js';

interface LstmExports {
  memory: WebAssembly.Memory;
  forward(gates: number, cPrev: number, h: number, c: number, acts: number, batch: number, hidden: number, save: number): void;
  backward(acts: number, cPrev: number, dh: number, dc: number, dgates: number, dcPrev: number, batch: number, hidden: number): void;
}

/** Loaded on first use (null: no wasm SIMD here). Nothing lives in its memory between calls. */
const getKernel = lazyWasmKernel<LstmExports>(lstmWasmBase64);

/** The kernel, when it can take a [batch, hidden] cell here. */
function kernelFor(hidden: number): LstmExports | null {
  return hidden % 4 === 0 ? getKernel() : null;
}

/** Whether lstmCellFast runs the wasm kernel for cells of width `hidden` (false: the reference loops). */
export function wasmLstmAvailable(hidden: number): boolean {
  return kernelFor(hidden) !== null;
}

/** lstmCellCpu's contract: h and c, and the activations into `acts` ([B, 5H]) when given. */
export function lstmCellFast(
  gates: Float32Array, cPrev: Float32Array, batch: number, hidden: number, acts?: Float32Array,
): { h: Float32Array; c: Float32Array } {
  const kern = kernelFor(hidden);
  const n = batch * hidden;
  const { at, floats } = regions([4 * n, n, n, n, acts ? 5 * n : 0]);
  const heap = kern && heapFor(kern.memory, floats);
  if (!kern || !heap) return lstmCellCpu(gates, cPrev, batch, hidden, acts);
  const [gatesAt, cPrevAt, hAt, cAt, actsAt] = at;
  heap.set(gates, gatesAt);
  heap.set(cPrev, cPrevAt);
  kern.forward(4 * gatesAt, 4 * cPrevAt, 4 * hAt, 4 * cAt, 4 * actsAt, batch, hidden, acts ? 1 : 0);
  acts?.set(heap.subarray(actsAt, actsAt + 5 * n));
  return { h: copyOut(heap, hAt, hAt + n), c: copyOut(heap, cAt, cAt + n) };
}

/** lstmCellBackwardFromActs's contract, or lstmCellBackwardCpu's when the forward kept no activations. */
export function lstmCellBackwardFast(
  gates: Float32Array, cPrev: Float32Array, dh: Float32Array, dc: Float32Array, batch: number, hidden: number, acts?: Float32Array,
): { dgates: Float32Array; dcPrev: Float32Array } {
  const kern = kernelFor(hidden);
  if (!kern) return acts ? lstmCellBackwardFromActs(acts, cPrev, dh, dc, batch, hidden) : lstmCellBackwardCpu(gates, cPrev, dh, dc, batch, hidden);
  const n = batch * hidden;
  const saved = acts ?? zeroedF32(5 * n);
  if (!acts) lstmCellFast(gates, cPrev, batch, hidden, saved);
  const { at, floats } = regions([5 * n, n, n, n, 4 * n, n]);
  const heap = heapFor(kern.memory, floats);
  if (!heap) return lstmCellBackwardFromActs(saved, cPrev, dh, dc, batch, hidden);
  const [actsAt, cPrevAt, dhAt, dcAt, dgatesAt, dcPrevAt] = at;
  heap.set(saved, actsAt);
  heap.set(cPrev, cPrevAt);
  heap.set(dh, dhAt);
  heap.set(dc, dcAt);
  kern.backward(4 * actsAt, 4 * cPrevAt, 4 * dhAt, 4 * dcAt, 4 * dgatesAt, 4 * dcPrevAt, batch, hidden);
  return { dgates: copyOut(heap, dgatesAt, dgatesAt + 4 * n), dcPrev: copyOut(heap, dcPrevAt, dcPrevAt + n) };
}
