/**
 * Layer normalisation by the WebAssembly kernels of wasm/norm.wat, the contracts and bits of norm.ts: the
 * same f64 arithmetic in the same order, with two rows' sums running side by side (the JavaScript loops
 * spent ~6 ns per element on chains of dependent additions). Operands are copied into the module's memory
 * and results out. Without wasm, with empty rows, or past the module's memory, norm.ts runs instead.
 */
import type { LayerNormSpec } from '../../engine/backend.js';
import { layerNormBackwardCpu, layerNormCpu } from './norm.js';
import { copyOut } from './recycled.js';
import { heapFor, lazyWasmKernel, regions } from './wasm-kernel.js';
import { normWasmBase64 } from './wasm/norm.wasm.js';

interface NormExports {
  memory: WebAssembly.Memory;
  forward(x: number, gain: number, bias: number, y: number, stats: number, rows: number, cols: number, perSample: number, eps: number, paper: number): void;
  backward(dy: number, x: number, gain: number, stats: number, dx: number, dgain: number, dbias: number, rows: number, cols: number, perSample: number, eps: number, paper: number): void;
}

/** Loaded on first use (null: no wasm here). Nothing lives in its memory between calls. */
const getKernel = lazyWasmKernel<NormExports>(normWasmBase64);

const usable = (s: LayerNormSpec): boolean => s.rows > 0 && s.cols > 0 && s.samples > 0;

export function layerNormFast(x: Float32Array, gain: Float32Array, bias: Float32Array, s: LayerNormSpec): { y: Float32Array; stats: Float32Array } {
  const kern = usable(s) ? getKernel() : null;
  const n = s.rows * s.cols;
  const params = s.samples * s.cols;
  const { at, floats } = regions([n, params, params, n, 2 * s.rows]);
  const heap = kern && heapFor(kern.memory, floats);
  if (!kern || !heap) return layerNormCpu(x, gain, bias, s);
  const [xAt, gainAt, biasAt, yAt, statsAt] = at;
  heap.set(x.subarray(0, n), xAt);
  heap.set(gain.subarray(0, params), gainAt);
  heap.set(bias.subarray(0, params), biasAt);
  kern.forward(4 * xAt, 4 * gainAt, 4 * biasAt, 4 * yAt, 4 * statsAt, s.rows, s.cols, s.rows / s.samples, s.eps, s.variant === 'paper' ? 1 : 0);
  return { y: copyOut(heap, yAt, yAt + n), stats: copyOut(heap, statsAt, statsAt + 2 * s.rows) };
}

export function layerNormBackwardFast(
  dy: Float32Array, x: Float32Array, gain: Float32Array, stats: Float32Array, s: LayerNormSpec,
): { dx: Float32Array; dgain: Float32Array; dbias: Float32Array } {
  const kern = usable(s) ? getKernel() : null;
  const n = s.rows * s.cols;
  const params = s.samples * s.cols;
  const { at, floats } = regions([n, n, params, 2 * s.rows, n, params, params]);
  const heap = kern && heapFor(kern.memory, floats);
  if (!kern || !heap) return layerNormBackwardCpu(dy, x, gain, stats, s);
  const [dyAt, xAt, gainAt, statsAt, dxAt, dgainAt, dbiasAt] = at;
  heap.set(dy.subarray(0, n), dyAt);
  heap.set(x.subarray(0, n), xAt);
  heap.set(gain.subarray(0, params), gainAt);
  heap.set(stats.subarray(0, 2 * s.rows), statsAt);
  heap.fill(0, dgainAt, dbiasAt + params);
  kern.backward(4 * dyAt, 4 * xAt, 4 * gainAt, 4 * statsAt, 4 * dxAt, 4 * dgainAt, 4 * dbiasAt, s.rows, s.cols, s.rows / s.samples, s.eps, s.variant === 'paper' ? 1 : 0);
  return { dx: copyOut(heap, dxAt, dxAt + n), dgain: copyOut(heap, dgainAt, dgainAt + params), dbias: copyOut(heap, dbiasAt, dbiasAt + params) };
}
