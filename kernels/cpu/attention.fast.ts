/**
 * Scaled dot-product attention by the fused WebAssembly SIMD kernels of wasm/attention.wat, the contracts
 * of attention.ts: one (batch·head, query row) at a time, its scores in a scratch row, so no [Tq, Tk]
 * matrix is formed and nothing is packed per product. (An earlier path formed the score matrices with
 * 1,024 small GEMM products at SCAN's shape and spent most of its time packing them: bench/RESULTS.md.)
 * The operands are copied into the module's memory with each row padded to a multiple of 4 channels, the
 * results copied out. Where wasm SIMD is missing or the operands exceed its 1 GiB memory, the reference
 * loops of attention.ts run instead.
 */
import type { AttentionSpec } from '../../engine/backend.js';
import { attentionBackwardCpu, attentionCpu, dropFactors, keyEnd } from './attention.js';
import { attentionWasmBase64 } from './wasm/attention.wasm.js';
import { heapFor, lazyWasmKernel, regions, roundUp4 } from './wasm-kernel.js';

interface AttentionExports {
  memory: WebAssembly.Memory;
  forward(q: number, k: number, v: number, out: number, maxes: number, sums: number, ends: number, factors: number, dropout: number,
    bh: number, tq: number, tk: number, dp: number, scale: number, scratch: number): void;
  backward(q: number, k: number, v: number, out: number, dout: number, lse: number, ends: number, factors: number, dropout: number,
    dq: number, dk: number, dv: number, bh: number, tq: number, tk: number, dp: number, scale: number, scratch: number): void;
}

/** Loaded on first use (null: no wasm SIMD here). Nothing lives in its memory between calls. */
const getKernel = lazyWasmKernel<AttentionExports>(attentionWasmBase64);

/** Whether attentionFast runs the wasm kernels here (false: the reference loops). */
export function wasmAttentionAvailable(): boolean {
  return getKernel() !== null;
}

/** The kernels read keys (and dropout factors) 4 at a time, up to 3 past a row's last: room for those reads. */
const PAD_ROWS = 3;

/** Copies rows of d floats into rows of dp floats at `at`, the padding channels zero. Plain loops: a
 * subarray per row of 25 floats cost more than the copy (a profile had these copies at 16 % of a step). */
function putRows(heap: Float32Array, src: Float32Array, at: number, d: number, dp: number): void {
  if (d === dp) return heap.set(src, at);
  for (let from = 0, to = at; from < src.length; to += dp) {
    for (let c = 0; c < d; c++) heap[to + c] = src[from++];
    for (let c = d; c < dp; c++) heap[to + c] = 0;
  }
}

function takeRows(heap: Float32Array, at: number, rows: number, d: number, dp: number): Float32Array {
  if (d === dp) return heap.slice(at, at + rows * d);
  const out = new Float32Array(rows * d);
  for (let o = 0, from = at; o < out.length; from += dp) for (let c = 0; c < d; c++) out[o++] = heap[from + c];
  return out;
}

/** Each query row's key end (keyEnd), as the kernels read them. */
function keyEnds(s: AttentionSpec, lengths: Int32Array): Int32Array {
  const ends = new Int32Array(s.batch * s.heads * s.tq);
  for (let row = 0; row < ends.length; row++) ends[row] = keyEnd(s, lengths, Math.floor(row / (s.heads * s.tq)), row % s.tq);
  return ends;
}

/** What both passes read: q, k, v (rows padded to dp), each query row's key end, the dropout factors. */
function putInputs(
  kern: AttentionExports, heap: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, factors: Float32Array | null,
  s: AttentionSpec, at: { q: number; k: number; v: number; ends: number; factors: number },
): void {
  const dp = roundUp4(s.dHead);
  putRows(heap, q, at.q, s.dHead, dp);
  putRows(heap, k, at.k, s.dHead, dp);
  putRows(heap, v, at.v, s.dHead, dp);
  new Int32Array(kern.memory.buffer, 4 * at.ends, s.batch * s.heads * s.tq).set(keyEnds(s, lengths));
  if (factors) heap.set(factors, at.factors);
}

/** Sizes shared by both passes: batch·heads, padded channels, query and key rows, the score scale. */
function sizes(s: AttentionSpec) {
  const bh = s.batch * s.heads;
  return { bh, dp: roundUp4(s.dHead), rows: bh * s.tq, keys: bh * s.tk, scale: 1 / Math.sqrt(s.dHead) };
}

export function attentionFast(q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, s: AttentionSpec): { out: Float32Array; stats: Float32Array } {
  const kern = getKernel();
  if (!kern) return attentionCpu(q, k, v, lengths, s);
  const { bh, dp, rows, keys, scale } = sizes(s);
  const factors = dropFactors(s);
  const { at, floats } = regions([rows * dp, (keys + PAD_ROWS) * dp, (keys + PAD_ROWS) * dp, rows * dp, rows, rows, rows,
    (factors?.length ?? 0) + PAD_ROWS, roundUp4(s.tk)]);
  const [qAt, kAt, vAt, outAt, maxAt, sumAt, endsAt, factorsAt, scratchAt] = at;
  const heap = heapFor(kern.memory, floats);
  if (!heap) return attentionCpu(q, k, v, lengths, s);
  putInputs(kern, heap, q, k, v, lengths, factors, s, { q: qAt, k: kAt, v: vAt, ends: endsAt, factors: factorsAt });
  heap.fill(0, outAt, outAt + rows * dp); // out accumulates
  kern.forward(4 * qAt, 4 * kAt, 4 * vAt, 4 * outAt, 4 * maxAt, 4 * sumAt, 4 * endsAt, 4 * factorsAt, factors ? 1 : 0,
    bh, s.tq, s.tk, dp, scale, 4 * scratchAt);
  // wasm has no log: the kernel returns each row's max and Σ e^(s − max).
  const stats = new Float32Array(2 * rows);
  for (let row = 0; row < rows; row++) {
    const sum = heap[sumAt + row];
    stats[2 * row] = sum > 0 ? heap[maxAt + row] + Math.log(sum) : -Infinity;
  }
  return { out: takeRows(heap, outAt, rows, s.dHead, dp), stats };
}

export function attentionBackwardFast(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, dout: Float32Array, stats: Float32Array, lengths: Int32Array, s: AttentionSpec,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const kern = getKernel();
  if (!kern) return attentionBackwardCpu(q, k, v, out, dout, stats, lengths, s);
  const { bh, dp, rows, keys, scale } = sizes(s);
  const factors = dropFactors(s);
  const { at, floats } = regions([rows * dp, (keys + PAD_ROWS) * dp, (keys + PAD_ROWS) * dp, rows * dp, rows * dp, rows, rows,
    (factors?.length ?? 0) + PAD_ROWS, rows * dp, keys * dp, keys * dp, 3 * roundUp4(s.tk)]);
  const [qAt, kAt, vAt, outAt, doutAt, lseAt, endsAt, factorsAt, dqAt, dkAt, dvAt, scratchAt] = at;
  const heap = heapFor(kern.memory, floats);
  if (!heap) return attentionBackwardCpu(q, k, v, out, dout, stats, lengths, s);
  putInputs(kern, heap, q, k, v, lengths, factors, s, { q: qAt, k: kAt, v: vAt, ends: endsAt, factors: factorsAt });
  putRows(heap, out, outAt, s.dHead, dp);
  putRows(heap, dout, doutAt, s.dHead, dp);
  for (let row = 0; row < rows; row++) heap[lseAt + row] = stats[2 * row];
  heap.fill(0, dqAt, scratchAt); // dq, dk, dv accumulate
  kern.backward(4 * qAt, 4 * kAt, 4 * vAt, 4 * outAt, 4 * doutAt, 4 * lseAt, 4 * endsAt, 4 * factorsAt, factors ? 1 : 0,
    4 * dqAt, 4 * dkAt, 4 * dvAt, bh, s.tq, s.tk, dp, scale, 4 * scratchAt);
  return { dq: takeRows(heap, dqAt, rows, s.dHead, dp), dk: takeRows(heap, dkAt, keys, s.dHead, dp), dv: takeRows(heap, dvAt, keys, s.dHead, dp) };
}
