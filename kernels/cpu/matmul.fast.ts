/**
 * matmulFast: matmulCpu's exact contract, computed by the WebAssembly SIMD GEMM in gemm.wat.
 * Per batch entry, op(A) and op(B) are copied into wasm memory (a memcpy) and packed into the kernel's
 * panels (transposes happen there, in SIMD); broadcast operands (batch stride 0) only once. Then the
 * blocked kernel fills a padded C for every entry, and the m × n corners are copied out.
 * Optionally (setMatmulThreads), in Node on several cores, products above THREAD_MIN_FLOPS are shared
 * with worker threads over a shared memory (gemm-threads.ts). Engines without wasm SIMD (the module fails
 * to compile) and products too large for the 1 GiB memory fall back to matmulCpu.
 */
import type { MatmulSpec } from '../../engine/backend.js';
import { GemmThreads, nodeThreadSupport, type GemmJob, type GemmKernel } from './gemm-threads.js';
import { gemmSharedWasmBase64, gemmWasmBase64 } from './wasm/gemm.wasm.js';
import { matmulCpu } from './matmul.js';
import { heapFor, regions, roundUp } from './wasm-kernel.js';
import { takeUninitialised, zeroedF32 } from './recycled.js';
import { copyRowsInto } from './copy.js';

/** Micro-tile shape baked into gemm.wat: A panels of 4 rows, B panels of 8 columns. */
const MR = 4;
const NR = 8;
/** The memory's maximum in gemm.wat (16384 pages). */
const MAX_BYTES = 1 << 30;
/** Smaller products (2·batch·m·n·k) stay on one thread: waking workers costs tens of µs. */
const THREAD_MIN_FLOPS = 4e6;

/** gemm.wat's exports; the last three move im2col blocks for conv.fast.ts. */
export interface GemmExports extends GemmKernel {
  pack(src: number, dst: number, nw: number, np: number, sw: number, sp: number, width: number): void;
  gather(frame: number, rowOff: number, rows: number, runs: number, nRuns: number, dst: number, ldd: number): void;
  scatter_add(frame: number, rowOff: number, rows: number, runs: number, nRuns: number, src: number, lds: number): void;
  copy_planes(src: number, dst: number, planes: number, rows: number, len: number, srcRow: number, dstRow: number, srcPlane: number, dstPlane: number): void;
}

export interface Kernel {
  gk: GemmExports;
  memory: WebAssembly.Memory;
  threads: GemmThreads | null;
}

/** Each loaded on first use (null: not available here). Nothing lives in their memory between calls. */
let plain: Kernel | null | undefined;
let shared: Kernel | null | undefined;
let threadsEnabled = false;

const decode = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** The module with its own memory; null without WebAssembly SIMD. Synchronous: the module is ~1 KiB. */
function loadPlain(): Kernel | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(decode(gemmWasmBase64)));
    const gk = instance.exports as unknown as GemmExports;
    return { gk, memory: instance.exports.memory as WebAssembly.Memory, threads: null };
  } catch {
    return null;
  }
}

/** The module on a shared memory, with worker threads: null outside Node, on one core, or without SIMD. */
function loadShared(): Kernel | null {
  const support = nodeThreadSupport();
  if (!support) return null;
  try {
    const module = new WebAssembly.Module(decode(gemmSharedWasmBase64));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_BYTES / 65536, shared: true });
    const gk = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GemmExports;
    return { gk, memory, threads: new GemmThreads(module, memory, support) };
  } catch {
    return null;
  }
}

function getKernel(): Kernel | null {
  if (threadsEnabled) {
    if (shared === undefined) shared = loadShared();
    if (shared) return shared;
  }
  if (plain === undefined) plain = loadPlain();
  return plain;
}

/** The loaded GEMM module and its memory (null without WebAssembly SIMD), for other kernels built on it. */
export const gemmKernel = getKernel;

/**
 * Runs a batched product on operands already packed in the kernel's memory: shared with the worker
 * threads when they are enabled and the product is large enough, else on this thread. Either way each
 * element of C is the same sum in the same order, so the result does not depend on the threads.
 */
export function runGemm(kern: Kernel, job: GemmJob): void {
  const flops = 2 * job.batch * job.mPanels * MR * job.nPanels * NR * job.k;
  const threads = flops >= THREAD_MIN_FLOPS ? kern.threads : null;
  if (threads?.usable()) {
    if (threads.run(kern.gk, job)) return;
    // A chunk failed part way (the threads are now off): an overwriting product can simply be computed
    // again here, an accumulating one has already been added to in part.
    if (job.accumulate && !threads.usable()) throw new Error('matmul: a GEMM worker thread failed during an accumulating product');
  }
  for (let bi = 0; bi < job.batch; bi++) {
    kern.gk.gemm(job.pa + bi * job.paStride, job.pb + bi * job.pbStride, job.pc + bi * job.pcStride,
      job.mPanels, job.nPanels, job.k, job.ldc, job.accumulate);
  }
}

/** The threads large products run on now: 1, or 1 + the workers where threads are enabled and available. */
export function matmulThreadCount(): number {
  return 1 + ((threadsEnabled && getKernel()?.threads?.helpers) || 0);
}

/** Whether matmulFast runs the wasm kernel here (false: it is matmulCpu). */
export function wasmGemmAvailable(): boolean {
  return getKernel() !== null;
}

/**
 * Let large products use worker threads, where there are any (Node ≥ 20.16 on several cores). Off by
 * default: on an idle machine it makes them faster, but where other processes compete for the cores a
 * worker can be descheduled holding a chunk, and the product waits for it (bench/RESULTS.md).
 * Workers start with the first large product after enabling, and never keep the process alive.
 */
export function setMatmulThreads(enabled: boolean): void {
  threadsEnabled = enabled;
}

export function matmulFast(a: Float32Array, b: Float32Array, spec: MatmulSpec): Float32Array {
  const { batch, m, n, k, transA, transB, batchStrideA, batchStrideB } = spec;
  // Every element is written below, except for an empty inner axis (all zeros).
  if (batch * m * n === 0 || k === 0) return zeroedF32(batch * m * n);
  const out = takeUninitialised('f32', batch * m * n) as Float32Array;
  const kern = getKernel();
  const mPad = roundUp(m, MR);
  const nPad = roundUp(n, NR);
  const packsA = batchStrideA === 0 ? 1 : batch;
  const packsB = batchStrideB === 0 ? 1 : batch;
  // Float offsets of the regions, each 16-byte aligned so that every panel is: one entry's raw A and B,
  // then all packed A, all packed B, all padded C.
  const { at, floats } = regions([m * k, k * n, packsA * mPad * k, packsB * nPad * k, batch * mPad * nPad]);
  const [aRaw, bRaw, aPacked, bPacked, c] = at;
  // Past the module's 1 GiB, or where the engine will not grow the memory that far: the reference loops.
  const heap = kern && heapFor(kern.memory, floats);
  if (!kern || !heap) return matmulCpu(a, b, spec);
  const { gk } = kern;
  for (let bi = 0; bi < packsA; bi++) {
    heap.set(a.subarray(bi * batchStrideA, bi * batchStrideA + m * k), aRaw);
    // Element (row, p) of op(A) lives at row·k + p, or at p·m + row when A is stored transposed.
    gk.pack(4 * aRaw, 4 * (aPacked + bi * mPad * k), m, k, transA ? 4 : 4 * k, transA ? 4 * m : 4, MR);
  }
  for (let bi = 0; bi < packsB; bi++) {
    heap.set(b.subarray(bi * batchStrideB, bi * batchStrideB + k * n), bRaw);
    // Element (col, p) of op(B) lives at p·n + col, or at col·k + p when B is stored transposed.
    gk.pack(4 * bRaw, 4 * (bPacked + bi * nPad * k), n, k, transB ? 4 * k : 4, transB ? 4 : 4 * n, NR);
  }

  runGemm(kern, {
    batch, mPanels: mPad / MR, nPanels: nPad / NR, k, ldc: 4 * nPad,
    pa: 4 * aPacked, paStride: packsA === 1 ? 0 : 4 * mPad * k,
    pb: 4 * bPacked, pbStride: packsB === 1 ? 0 : 4 * nPad * k,
    pc: 4 * c, pcStride: 4 * mPad * nPad, accumulate: 0,
  });

  for (let bi = 0; bi < batch; bi++) copyRowsInto(out, bi * m * n, heap, c + bi * mPad * nPad, m, n, nPad);
  return out;
}
