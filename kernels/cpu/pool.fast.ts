/**
 * maxPool2d on the CPU in WebAssembly SIMD (wasm/pool.wat): the exact contract of maxPool2dCpu (conv.ts),
 * the same maxima and the same winning indices, without its branches, which mispredict on every other
 * window of a trained network's activations. Falls back to the reference without wasm SIMD or past the
 * module's 1 GiB memory.
 */
import type { Pool2dSpec } from '../../engine/backend.js';
import { maxPool2dCpu } from './conv.js';
import { poolWasmBase64 } from './wasm/pool.wasm.js';
import { heapFor, lazyWasmKernel, regions } from './wasm-kernel.js';
import { copyOut } from './recycled.js';

interface PoolExports {
  memory: WebAssembly.Memory;
  max_pool(x: number, out: number, arg: number, planes: number, h: number, w: number, outH: number, outW: number,
    kh: number, kw: number, sh: number, sw: number): void;
}

const kernel = lazyWasmKernel<PoolExports>(poolWasmBase64);

export function maxPool2dFast(x: Float32Array, s: Pool2dSpec): { out: Float32Array; argmax: Int32Array } {
  const k = kernel();
  const n = s.batch * s.channels * s.outH * s.outW;
  // Slack for the lanes a row's last group computes past its end (pool.wat says why).
  const { at, floats } = regions([x.length + 4 * s.strideW + 8, n + 4, n + 4]);
  const heap = k && heapFor(k.memory, floats);
  if (!k || !heap) return maxPool2dCpu(x, s);
  const [xAt, outAt, argAt] = at;
  heap.set(x, xAt);
  k.max_pool(4 * xAt, 4 * outAt, 4 * argAt, s.batch * s.channels, s.h, s.w, s.outH, s.outW, s.kh, s.kw, s.strideH, s.strideW);
  return { out: copyOut(heap, outAt, outAt + n), argmax: new Int32Array(heap.buffer, 4 * argAt, n).slice() };
}
