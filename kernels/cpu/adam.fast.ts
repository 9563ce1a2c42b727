/**
 * adamFast: adamCpu's exact contract (adam.ts: updates param, m and v in place), computed by the
 * WebAssembly SIMD kernel of adam.wat with bit-identical results. The four arrays are copied into the
 * module's memory (each padded to an even length), updated there, and param, m and v copied back.
 * Engines without wasm SIMD, and arrays too large for the module's 1 GiB memory, fall back to adamCpu.
 */
import type { AdamHyper } from '../../engine/backend.js';
import { adamCpu } from './adam.js';
import { adamWasmBase64 } from './wasm/adam.wasm.js';
import { heapFor, lazyWasmKernel } from './wasm-kernel.js';

interface AdamExports {
  memory: WebAssembly.Memory;
  adam(p: number, g: number, m: number, v: number, count: number, gradScale: number, weightDecay: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, stepSize: number,
    sqrtBc2: number, eps: number): void;
}

/** Loaded on first use (null: no wasm SIMD here). Nothing lives in its memory between calls. */
const getKernel = lazyWasmKernel<AdamExports>(adamWasmBase64);

/** Whether adamFast runs the wasm kernel here (false: it is adamCpu). */
export function wasmAdamAvailable(): boolean {
  return getKernel() !== null;
}

export function adamFast(
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, h: AdamHyper, gradScale: number,
): void {
  const n = param.length;
  if (n === 0) return;
  const nPad = (n + 1) & ~1;
  const k = getKernel();
  const heap = k && heapFor(k.memory, 4 * nPad);
  if (!k || !heap) return adamCpu(param, grad, m, v, h, gradScale);
  // Floats: param [0, nPad), grad [nPad, 2·nPad), m [2·nPad, 3·nPad), v [3·nPad, 4·nPad).
  heap.set(param, 0);
  heap.set(grad.subarray(0, n), nPad);
  heap.set(m.subarray(0, n), 2 * nPad);
  heap.set(v.subarray(0, n), 3 * nPad);
  // The scalars exactly as adamCpu computes them.
  k.adam(0, 4 * nPad, 8 * nPad, 12 * nPad, nPad, gradScale, h.weightDecay, h.beta1, 1 - h.beta1, h.beta2, 1 - h.beta2,
    h.lr / h.biasCorrection1, Math.sqrt(h.biasCorrection2), h.eps);
  param.set(heap.subarray(0, n));
  m.set(heap.subarray(2 * nPad, 2 * nPad + n));
  v.set(heap.subarray(3 * nPad, 3 * nPad + n));
}
