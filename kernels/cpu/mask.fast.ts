/**
 * maskSampleFast / maskSampleBackwardFast: the exact contracts of maskSampleCpu / maskSampleBackwardCpu
 * (mask.ts), computed by the WebAssembly SIMD kernels of wasm/mask.wat, with bit-identical results.
 * Per call: the operands are copied into the module's memory, arrays padded to a multiple of 4 floats
 * (padding lanes compute values nobody reads); e^(−l) is computed once per weight, shared by all samples,
 * by wasm/mask.wat's port of V8's Math.exp (bit-identical to it; the rare |l| > 708 or NaN lanes it leaves
 * out are computed here with Math.exp); the kernel runs; the result is copied out.
 * When the engine's Math.exp is not the one the port reproduces (checked once, on load, against a fixed
 * set of logits), e^(−l) comes from Math.exp here instead (slower: bench/RESULTS.md, "Kernel design
 * measurements"). The port was checked against Node 20's Math.exp on all 2^32 f32 logits: identical
 * wherever it does not defer to Math.exp. Engines without wasm SIMD (the
 * module fails to compile), and problems too large for the module's 1 GiB memory, fall back to the
 * reference functions.
 */
import { maskSampleBackwardCpu, maskSampleCpu } from './mask.js';
import { maskWasmBase64 } from './wasm/mask.wasm.js';
import { heapFor, roundUp4 } from './wasm-kernel.js';
import { dropoutFactorsCpu, streamKeys } from '../../engine/random.js';
import { copyOut, takeUninitialised } from './recycled.js';
import { copyRowsInto } from './copy.js';

interface MaskExports {
  memory: WebAssembly.Memory;
  expNeg(l: number, e: number, count: number, rare: number): number;
  thresholds(e: number, tOut: number, count: number): void;
  sample(tm1: number, w: number, out: number, n: number, nPad: number, samples: number, inner: number, outer: number): void;
  sampleBackward(e: number, w: number, grad: number, out: number, n: number, nPad: number, samples: number,
    inner: number, outer: number): void;
}

interface Kernel {
  k: MaskExports;
  /** Whether k.expNeg reproduces this engine's Math.exp (else the runner calls Math.exp). */
  exactExp: boolean;
}

/** Loaded on first use (null: no wasm SIMD here). Nothing lives in its memory between calls. */
let kernel: Kernel | null | undefined;
/** For tests: pretend Math.exp differs from the port (null: as checked on load). */
let forceMathExp = false;

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** Logits for the load-time check of expNeg against Math.exp: every branch of fdlibm's exp and its edges. */
export function expCheckLogits(): Float32Array {
  const ln2 = Math.LN2;
  const edges = [0, -0, 1, -1, 2, -2, 0.5, -0.5, 0.5 * ln2, 1.5 * ln2, 2 ** -28, 2 ** -29, 2 ** -27, 1e-10, 3, 10,
    30, 87, 88.7, 89, 100, 103, 104, 500, 707.9, 708, 708.1, 709.7, 709.8, 745, 746, 1000, 3.4e38];
  const out: number[] = [];
  for (const x of edges) {
    const f = Math.fround(x);
    for (const v of [f, nextFloat(f, 1), nextFloat(f, -1)]) out.push(v, -v);
  }
  out.push(NaN, Infinity, -Infinity);
  let s = 0x2545f491;
  for (let i = 0; i < 1024; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const scale = [1, 8, 40, 200, 720][i % 5];
    out.push(((s / 4294967296) * 2 - 1) * scale);
  }
  return Float32Array.from(out);
}

/** The f32 next to f (an f32) towards ±∞. */
function nextFloat(f: number, dir: 1 | -1): number {
  const a = new Float32Array([f]);
  const bits = new Int32Array(a.buffer);
  if (f === 0) bits[0] = dir > 0 ? 1 : -2147483647;
  else bits[0] += (f > 0) === dir > 0 ? 1 : -1;
  return a[0];
}

function load(): Kernel | null {
  let k: MaskExports;
  try {
    k = new WebAssembly.Instance(new WebAssembly.Module(decode(maskWasmBase64))).exports as unknown as MaskExports;
  } catch {
    return null;
  }
  const logits = expCheckLogits();
  const n = logits.length;
  const nPad = roundUp4(n);
  if (!growTo(k, 4 * nPad * 4)) return null;
  const e = fillExpNeg(k, true, logits, n, nPad, 0, nPad, 3 * nPad);
  const f64 = new Float64Array(1);
  const bits = new BigUint64Array(f64.buffer);
  let exactExp = true;
  for (let i = 0; i < n && exactExp; i++) {
    f64[0] = Math.exp(-logits[i]);
    const want = bits[0];
    f64[0] = e[i];
    if (bits[0] !== want && !(Number.isNaN(e[i]) && Number.isNaN(f64[0]))) exactExp = false;
  }
  return { k, exactExp };
}

function getKernel(): Kernel | null {
  if (kernel === undefined) kernel = load();
  return kernel;
}

/** Whether the fast functions run the wasm kernels here (false: they are the references). */
export function wasmMaskAvailable(): boolean {
  return getKernel() !== null;
}

/** Whether e^(−l) comes from the wasm port of Math.exp here (false: from Math.exp, slower). */
export function wasmMaskExpExact(): boolean {
  const kern = getKernel();
  return kern !== null && kern.exactExp && !forceMathExp;
}

/** For tests: compute e^(−l) with Math.exp even where the port matches it. */
export function setMaskForceMathExp(force: boolean): void {
  forceMathExp = force;
}

/** Whether the module's memory holds (or could be grown to) `bytes`. */
const growTo = (k: MaskExports, bytes: number): boolean => heapFor(k.memory, Math.ceil(bytes / 4)) !== null;

/** The kernel with at least `bytes` of memory, or null (no SIMD, or the memory cannot grow that far). */
function kernelWithMemory(bytes: number): Kernel | null {
  const kern = getKernel();
  return kern !== null && growTo(kern.k, bytes) ? kern : null;
}

/**
 * e^(−logits[i]) as f64 at float offset eAt (nPad f64), bit-identical to Math.exp. Uses floats
 * [lAt, lAt + nPad) for the logits (zero-padded) and [rareAt, rareAt + nPad) for the rare list.
 */
function fillExpNeg(k: MaskExports, exact: boolean, logits: Float32Array, n: number, nPad: number,
  lAt: number, eAt: number, rareAt: number): Float64Array {
  const e = new Float64Array(k.memory.buffer, 4 * eAt, nPad);
  if (!exact) {
    for (let i = 0; i < n; i++) e[i] = Math.exp(-logits[i]);
    return e;
  }
  const heap = new Float32Array(k.memory.buffer);
  heap.set(logits, lAt);
  heap.fill(0, lAt + n, lAt + nPad);
  const rare = k.expNeg(4 * lAt, 4 * eAt, nPad, 4 * rareAt);
  const idx = new Int32Array(k.memory.buffer, 4 * rareAt, rare);
  for (let j = 0; j < rare; j++) e[idx[j]] = Math.exp(-logits[idx[j]]);
  return e;
}

/**
 * Math.exp(−logits[i]) for every i, bit for bit, through the kernels' path (the wasm port, or Math.exp
 * where the port does not match this engine). Exposed for tests; null without wasm SIMD.
 */
export function expNegFast(logits: Float32Array): Float64Array | null {
  const n = logits.length;
  const nPad = roundUp4(n);
  const kern = kernelWithMemory(4 * nPad * 4);
  if (kern === null) return null;
  return fillExpNeg(kern.k, wasmMaskExpExact(), logits, n, nPad, 0, nPad, 3 * nPad).slice(0, n);
}

/**
 * T_i − 1 for each f64 e^(−l_i): the forward keeps sample b = bits >>> 8 of weight i iff b > T_i − 1
 * (see mask.wat). Exposed for tests; null without wasm SIMD.
 */
export function maskThresholdsFast(expNeg: Float64Array): Int32Array | null {
  const n = expNeg.length;
  const nPad = roundUp4(n);
  const kern = kernelWithMemory(4 * nPad * 3);
  if (kern === null) return null;
  new Float64Array(kern.k.memory.buffer, 4 * nPad, nPad).set(expNeg);
  kern.k.thresholds(4 * nPad, 0, nPad);
  return new Int32Array(kern.k.memory.buffer, 0, n).slice();
}

export function maskSampleFast(logits: Float32Array, weight: Float32Array, samples: number, seed: number, stream: number): Float32Array {
  const n = logits.length;
  if (n === 0 || samples === 0) return new Float32Array(samples * n);
  const nPad = roundUp4(n);
  // Floats: [0, nPad) logits, then the thresholds; [nPad, 3·nPad) e^(−l) as f64; [3·nPad, 4·nPad) weight;
  // [4·nPad, (4 + samples)·nPad) the samples; then nPad for the rare list.
  const kern = kernelWithMemory(4 * nPad * (5 + samples));
  if (kern === null) return maskSampleCpu(logits, weight, samples, seed, stream);
  const { k } = kern;
  fillExpNeg(k, wasmMaskExpExact(), logits, n, nPad, 0, nPad, (4 + samples) * nPad);
  k.thresholds(4 * nPad, 0, nPad);
  const heap = new Float32Array(k.memory.buffer);
  heap.set(weight, 3 * nPad);
  const { inner, outer } = streamKeys(seed, stream);
  k.sample(0, 12 * nPad, 16 * nPad, n, nPad, samples, inner, outer);
  const out = takeUninitialised('f32', samples * n) as Float32Array;
  copyRowsInto(out, 0, heap, 4 * nPad, samples, n, nPad);
  return out;
}

export function maskSampleBackwardFast(
  grad: Float32Array, logits: Float32Array, weight: Float32Array, samples: number, seed: number, stream: number,
): Float32Array {
  const n = logits.length;
  if (n === 0 || samples === 0) return new Float32Array(n);
  const nPad = roundUp4(n);
  // Floats: [0, nPad) logits; [nPad, 3·nPad) e^(−l) as f64; [3·nPad, 4·nPad) weight; [4·nPad, 5·nPad) out;
  // [5·nPad, 6·nPad) the rare list; then the samples rows of grad.
  const kern = kernelWithMemory(4 * nPad * (6 + samples));
  if (kern === null) return maskSampleBackwardCpu(grad, logits, weight, samples, seed, stream);
  const { k } = kern;
  fillExpNeg(k, wasmMaskExpExact(), logits, n, nPad, 0, nPad, 5 * nPad);
  const heap = new Float32Array(k.memory.buffer);
  heap.set(weight, 3 * nPad);
  if (n === nPad) heap.set(grad.subarray(0, samples * n), 6 * nPad);
  else for (let s = 0; s < samples; s++) heap.set(grad.subarray(s * n, (s + 1) * n), (6 + s) * nPad);
  const { inner, outer } = streamKeys(seed, stream);
  k.sampleBackward(4 * nPad, 12 * nPad, 24 * nPad, 16 * nPad, n, nPad, samples, inner, outer);
  return copyOut(heap, 4 * nPad, 5 * nPad - (nPad - n));
}

/**
 * dropoutFactorsCpu (engine/random.ts) on the sampling kernel, bit for bit: a dropout factor is a mask
 * sample with one keep threshold and one "weight", the factor 1/(1 − rate). The reference keeps element i
 * iff u_i > rate in f64, u_i = (b_i + 0.5)/2^24 with b_i = bits >>> 8: b_i > rate·2^24 − 0.5, exact in f64
 * (a power-of-2 scaling and a subtraction of 0.5 that loses nothing where the result is ≥ 0, and any
 * negative result keeps every b). So the kept b are those ≥ T = ⌊rate·2^24 − 0.5⌋ + 1, one integer for the
 * whole tensor. Rates outside [0, 1) (and NaN) go to the reference.
 */
export function dropoutFactorsFast(size: number, rate: number, seed: number, stream: number): Float32Array {
  if (!(rate >= 0 && rate < 1) || size === 0) return dropoutFactorsCpu(size, rate, seed, stream);
  const nPad = roundUp4(size);
  // Floats: [0, nPad) the threshold T − 1 (i32), [nPad, 2·nPad) the factor, [2·nPad, 3·nPad) the result.
  const kern = kernelWithMemory(4 * nPad * 3);
  if (kern === null) return dropoutFactorsCpu(size, rate, seed, stream);
  const { k } = kern;
  const threshold = Math.min(2 ** 24, Math.floor(rate * 2 ** 24 - 0.5) + 1);
  new Int32Array(k.memory.buffer, 0, nPad).fill(threshold - 1);
  const heap = new Float32Array(k.memory.buffer);
  heap.fill(1 / (1 - rate), nPad, 2 * nPad);
  const { inner, outer } = streamKeys(seed, stream);
  k.sample(0, 4 * nPad, 8 * nPad, size, nPad, 1, inner, outer);
  return copyOut(heap, 2 * nPad, 2 * nPad + size);
}
