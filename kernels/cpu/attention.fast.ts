/**
 * Scaled dot-product attention by the WebAssembly SIMD kernels of wasm/attention.wat, the contracts of
 * attention.ts: one (batch·head) at a time, its products on the GEMM micro-kernel with the softmax between
 * them, all inside the module (bench/RESULTS.md has the history: a JavaScript-driven GEMM path that packed
 * 1,024 small products from outside, then a per-query-row kernel of dot products, both slower).
 * The operands are copied into the module's memory as they are, the results copied out. Where wasm SIMD
 * is missing or the operands exceed its 1 GiB memory, the reference loops of attention.ts run instead.
 */
import type { AttentionSpec } from '../../engine/backend.js';
import { attentionBackwardCpu, attentionCpu, dropFactors, keyEnd } from './attention.js';
import { attentionWasmBase64 } from './wasm/attention.wasm.js';
import { heapFor, lazyWasmKernel, regions, roundUp, roundUp4 } from './wasm-kernel.js';
import { copyOut, zeroedF32 } from './recycled.js';
import { dropoutFactorsFast } from './mask.fast.js';

interface AttentionExports {
  memory: WebAssembly.Memory;
  forward(q: number, k: number, v: number, out: number, maxes: number, sums: number, ends: number, factors: number, dropout: number,
    bh: number, tq: number, tk: number, d: number, scale: number, packA: number, packB: number, s: number, c: number): void;
  backward(q: number, k: number, v: number, out: number, dout: number, lse: number, ends: number, factors: number, dropout: number,
    dq: number, dk: number, dv: number, bh: number, tq: number, tk: number, d: number, scale: number,
    packA: number, packB: number, s: number, dp2: number, c: number): void;
}

/** Loaded on first use (null: no wasm SIMD here). Nothing lives in its memory between calls. */
const getKernel = lazyWasmKernel<AttentionExports>(attentionWasmBase64);

/** Whether attentionFast runs the wasm kernels here (false: the reference loops). */
export function wasmAttentionAvailable(): boolean {
  return getKernel() !== null;
}

/** Each query row's key end (keyEnd), as the kernels read them. */
function keyEnds(s: AttentionSpec, lengths: Int32Array): Int32Array {
  const ends = new Int32Array(s.batch * s.heads * s.tq);
  for (let row = 0; row < ends.length; row++) ends[row] = keyEnd(s, lengths, Math.floor(row / (s.heads * s.tq)), row % s.tq);
  return ends;
}

/** What both passes read: q, k, v, each query row's key end, the dropout factors. */
function putInputs(
  kern: AttentionExports, heap: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, factors: Float32Array | null,
  s: AttentionSpec, at: { q: number; k: number; v: number; ends: number; factors: number },
): void {
  heap.set(q, at.q);
  heap.set(k, at.k);
  heap.set(v, at.v);
  new Int32Array(kern.memory.buffer, 4 * at.ends, s.batch * s.heads * s.tq).set(keyEnds(s, lengths));
  if (factors) heap.set(factors, at.factors);
}

/** Sizes shared by both passes: batch·heads, channels per head, query and key rows, the score scale. */
function sizes(s: AttentionSpec) {
  const bh = s.batch * s.heads;
  return { bh, d: s.dHead, rows: bh * s.tq, keys: bh * s.tk, scale: 1 / Math.sqrt(s.dHead) };
}

/** Floats of the work buffers attention.wat's header describes: packed panels, a head's scores, a product. */
function workSizes(s: AttentionSpec) {
  const d = s.dHead;
  const [tq4, tk4, tk8, d8] = [roundUp4(s.tq), roundUp4(s.tk), roundUp(s.tk, 8), roundUp(d, 8)];
  return {
    packA: Math.max(tq4 * d, tq4 * s.tk, tk4 * s.tq),
    packB: Math.max(tk8 * d, d8 * Math.max(s.tk, s.tq)),
    scores: tq4 * tk8,
    product: Math.max(tq4, tk4) * d8,
  };
}

/** The row loops read dropout factors 4 at a time, up to 3 past a row's last. */
const FACTOR_SLACK = 3;

export function attentionFast(q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, s: AttentionSpec): { out: Float32Array; stats: Float32Array } {
  const kern = getKernel();
  if (!kern) return attentionCpu(q, k, v, lengths, s);
  const { bh, d, rows, keys, scale } = sizes(s);
  const factors = dropFactors(s, dropoutFactorsFast);
  const work = workSizes(s);
  const { at, floats } = regions([rows * d, keys * d, keys * d, rows * d, rows, rows, rows, (factors?.length ?? 0) + FACTOR_SLACK,
    work.packA, work.packB, work.scores, work.product]);
  const [qAt, kAt, vAt, outAt, maxAt, sumAt, endsAt, factorsAt, packAAt, packBAt, sAt, cAt] = at;
  const heap = heapFor(kern.memory, floats);
  if (!heap) return attentionCpu(q, k, v, lengths, s);
  putInputs(kern, heap, q, k, v, lengths, factors, s, { q: qAt, k: kAt, v: vAt, ends: endsAt, factors: factorsAt });
  heap.fill(0, outAt, outAt + rows * d); // heads whose keys are all masked are skipped
  kern.forward(4 * qAt, 4 * kAt, 4 * vAt, 4 * outAt, 4 * maxAt, 4 * sumAt, 4 * endsAt, 4 * factorsAt, factors ? 1 : 0,
    bh, s.tq, s.tk, d, scale, 4 * packAAt, 4 * packBAt, 4 * sAt, 4 * cAt);
  // wasm has no log: the kernel returns each row's max and Σ e^(s − max).
  const stats = zeroedF32(2 * rows);
  for (let row = 0; row < rows; row++) {
    const sum = heap[sumAt + row];
    stats[2 * row] = sum > 0 ? heap[maxAt + row] + Math.log(sum) : -Infinity;
  }
  return { out: copyOut(heap, outAt, outAt + rows * d), stats };
}

export function attentionBackwardFast(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, dout: Float32Array, stats: Float32Array, lengths: Int32Array, s: AttentionSpec,
): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const kern = getKernel();
  if (!kern) return attentionBackwardCpu(q, k, v, out, dout, stats, lengths, s);
  const { bh, d, rows, keys, scale } = sizes(s);
  const factors = dropFactors(s, dropoutFactorsFast);
  const work = workSizes(s);
  const { at, floats } = regions([rows * d, keys * d, keys * d, rows * d, rows * d, rows, rows, (factors?.length ?? 0) + FACTOR_SLACK,
    rows * d, keys * d, keys * d, work.packA, work.packB, work.scores, work.scores, work.product]);
  const [qAt, kAt, vAt, outAt, doutAt, lseAt, endsAt, factorsAt, dqAt, dkAt, dvAt, packAAt, packBAt, sAt, dsAt, cAt] = at;
  const heap = heapFor(kern.memory, floats);
  if (!heap) return attentionBackwardCpu(q, k, v, out, dout, stats, lengths, s);
  putInputs(kern, heap, q, k, v, lengths, factors, s, { q: qAt, k: kAt, v: vAt, ends: endsAt, factors: factorsAt });
  heap.set(out, outAt);
  heap.set(dout, doutAt);
  for (let row = 0; row < rows; row++) heap[lseAt + row] = stats[2 * row];
  heap.fill(0, dqAt, packAAt); // dq, dk, dv: rows a head does not reach stay zero
  kern.backward(4 * qAt, 4 * kAt, 4 * vAt, 4 * outAt, 4 * doutAt, 4 * lseAt, 4 * endsAt, 4 * factorsAt, factors ? 1 : 0,
    4 * dqAt, 4 * dkAt, 4 * dvAt, bh, s.tq, s.tk, d, scale, 4 * packAAt, 4 * packBAt, 4 * sAt, 4 * dsAt, 4 * cAt);
  return { dq: copyOut(heap, dqAt, dqAt + rows * d), dk: copyOut(heap, dkAt, dkAt + keys * d), dv: copyOut(heap, dvAt, dvAt + keys * d) };
}
