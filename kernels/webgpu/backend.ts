/** The webgpu backend: each op picks a WGSL kernel (kernels/*.wgsl.ts), packs its uniforms and records it. */
import type { AdamHyper, Backend, MapInput, MapOp, MatmulSpec, MemoryInfo, ReduceOp, Storage } from '../../engine/backend.js';
import type { AnyTypedArray, DType } from '../../engine/dtype.js';
import { allocTyped, dtypeOfArray } from '../../engine/dtype.js';
import { sizeOf, stridesOf } from '../../engine/shape.js';
import { GpuRuntime, type RuntimeOptions } from './runtime.js';
import { MAP_UNIFORM_WORDS, MAX_RANK, mapKernel } from './elementwise.wgsl.js';
import { REDUCE_UNIFORM_WORDS, SHORT_REDUCTION, reduceKernel } from './reduce.wgsl.js';
import { matmulKernel } from './matmul.wgsl.js';
import { ARGMAX, CROSS_ENTROPY_BACKWARD, CROSS_ENTROPY_FORWARD, softmaxKernel } from './softmax.wgsl.js';
import { GATHER, SCATTER_ADD } from './gather.wgsl.js';
import { randomKernel } from './random.wgsl.js';
import { streamKeys } from '../../engine/random.js';
import { ADAM } from './adam.wgsl.js';
import { FILL } from './fill.wgsl.js';
import { MASK_SAMPLE, MASK_SAMPLE_BACKWARD } from './mask.wgsl.js';
import { LSTM_CELL, LSTM_CELL_BACKWARD } from './lstm.wgsl.js';
import { COPY_BLOCK } from './copy.wgsl.js';

export class GpuStorage implements Storage {
  readonly backend = 'webgpu' as const;
  constructor(readonly buffer: GPUBuffer, readonly dtype: DType, readonly size: number) {}
}

const f32Bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0];
const i32Bits = (x: number): number => x >>> 0;

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly runtime: GpuRuntime;
  private one: GpuStorage;

  constructor(device: GPUDevice, readonly description: string, opts: RuntimeOptions = {}) {
    this.runtime = new GpuRuntime(device, opts);
    this.one = this.fill('f32', 1, 1) as GpuStorage;
  }

  private alloc(dtype: DType, size: number): GpuStorage {
    return new GpuStorage(this.runtime.storage.acquire(Math.max(4, size * 4)), dtype, size);
  }

  private buf(s: Storage): GPUBuffer {
    return (s as GpuStorage).buffer;
  }

  upload(data: AnyTypedArray): Storage {
    return new GpuStorage(this.runtime.upload(data), dtypeOfArray(data), data.length);
  }

  fill(dtype: DType, size: number, value: number): Storage {
    const out = this.alloc(dtype, size);
    const g = this.runtime.grid1d(size, 256);
    const bits = dtype === 'f32' ? f32Bits(value) : i32Bits(value);
    this.runtime.dispatch(FILL, [out.buffer], new Uint32Array([size, g.rowStride, bits, 0]), g.workgroups);
    return out;
  }

  async read(s: Storage): Promise<AnyTypedArray> {
    const bytes = await this.runtime.read(this.buf(s), s.size * 4);
    const out = allocTyped(s.dtype, s.size);
    new Uint8Array(out.buffer).set(new Uint8Array(bytes));
    return out;
  }

  release(s: Storage): void {
    this.runtime.storage.release(this.buf(s));
  }

  map(op: MapOp, inputs: readonly MapInput[], outShape: readonly number[], outDtype: DType): Storage {
    const size = sizeOf(outShape);
    const out = this.alloc(outDtype, size);
    if (size === 0) return out;
    if (outShape.length > MAX_RANK) throw new Error(`${op}: tensors of rank ${outShape.length} exceed the webgpu limit of ${MAX_RANK}`);
    const contiguousStrides = stridesOf(outShape);
    const contiguous = inputs.every((x) => 'scalar' in x || sameStrides(x.strides, contiguousStrides, outShape));
    const g = this.runtime.grid1d(size, 256);
    const words = new Uint32Array(MAP_UNIFORM_WORDS);
    words.set([size, g.rowStride, outShape.length]);
    words.set(outShape, 8);
    const buffers: GPUBuffer[] = [];
    inputs.forEach((x, k) => {
      if ('scalar' in x) words[4 + k] = f32Bits(x.scalar);
      else {
        buffers.push(this.buf(x.storage));
        words.set(x.strides, 16 + 8 * k);
      }
    });
    const kinds = inputs.map((x) => ({ dtype: 'scalar' in x ? null : x.storage.dtype }));
    this.runtime.dispatch(mapKernel(op, kinds, outDtype, contiguous), [...buffers, out.buffer], words, g.workgroups);
    return out;
  }

  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage {
    const strides = stridesOf(shape);
    const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const outSize = sizeOf(kept.map((i) => shape[i]));
    const out = this.alloc('f32', outSize);
    if (outSize === 0) return out;
    const words = new Uint32Array(REDUCE_UNIFORM_WORDS);
    const redSize = sizeOf(axes.map((i) => shape[i]));
    // Short reductions: one thread per output; long ones: a workgroup per output.
    const perThread = redSize <= SHORT_REDUCTION;
    const g = this.runtime.grid1d(outSize, perThread ? 256 : 1);
    words.set([outSize, redSize, kept.length, axes.length, perThread ? g.rowStride : g.workgroups[0]]);
    words.set(kept.map((i) => shape[i]), 8);
    words.set(kept.map((i) => strides[i]), 16);
    words.set(axes.map((i) => shape[i]), 24);
    words.set(axes.map((i) => strides[i]), 32);
    this.runtime.dispatch(reduceKernel(op, perThread), [this.buf(x), out.buffer], words, g.workgroups);
    return out;
  }

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage {
    if (spec.k === 0) return this.fill('f32', spec.batch * spec.m * spec.n, 0);
    const out = this.alloc('f32', spec.batch * spec.m * spec.n);
    if (out.size === 0) return out;
    const words = new Uint32Array([spec.m, spec.n, spec.k, spec.batchStrideA, spec.batchStrideB, 0, 0, 0]);
    const groups = [Math.ceil(spec.n / 64), Math.ceil(spec.m / 64), spec.batch];
    this.runtime.dispatch(matmulKernel(spec.transA, spec.transB), [this.buf(a), this.buf(b), out.buffer], words, groups);
    return out;
  }

  private rowParams(rows: number, cols: number): { words: Uint32Array; groups: [number, number, number] } {
    const g = this.runtime.grid1d(rows, 64);
    return { words: new Uint32Array([rows, cols, g.rowStride, 0]), groups: g.workgroups };
  }

  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    const out = this.alloc('f32', rows * cols);
    const { words, groups } = this.rowParams(rows, cols);
    this.runtime.dispatch(softmaxKernel(log), [this.buf(x), out.buffer], words, groups);
    return out;
  }

  argmax(x: Storage, rows: number, cols: number): Storage {
    const out = this.alloc('i32', rows);
    const { words, groups } = this.rowParams(rows, cols);
    this.runtime.dispatch(ARGMAX, [this.buf(x), out.buffer], words, groups);
    return out;
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, cols: number): Storage {
    const out = this.alloc('f32', rows);
    const { words, groups } = this.rowParams(rows, cols);
    this.runtime.dispatch(CROSS_ENTROPY_FORWARD, [this.buf(logits), this.buf(targets), out.buffer], words, groups);
    return out;
  }

  crossEntropyBackward(logits: Storage, targets: Storage, scale: Storage, rows: number, cols: number): Storage {
    const out = this.alloc('f32', rows * cols);
    const { words, groups } = this.rowParams(rows, cols);
    const buffers = [this.buf(logits), this.buf(targets), this.buf(scale), out.buffer];
    this.runtime.dispatch(CROSS_ENTROPY_BACKWARD, buffers, words, groups);
    return out;
  }

  gather(table: Storage, idx: Storage, rows: number, cols: number, n: number): Storage {
    const out = this.alloc('f32', n * cols);
    const g = this.runtime.grid1d(n * cols, 256);
    this.runtime.dispatch(GATHER, [this.buf(table), this.buf(idx), out.buffer], new Uint32Array([rows, cols, n, g.rowStride]), g.workgroups);
    return out;
  }

  scatterAdd(grad: Storage, idx: Storage, rows: number, cols: number, n: number): Storage {
    const out = this.alloc('f32', rows * cols);
    const g = this.runtime.grid1d(rows * cols, 256);
    this.runtime.dispatch(SCATTER_ADD, [this.buf(grad), this.buf(idx), out.buffer], new Uint32Array([rows, cols, n, g.rowStride]), g.workgroups);
    return out;
  }

  random(kind: 'uniform' | 'normal', size: number, seed: number, stream: number): Storage {
    const out = this.alloc('f32', size);
    const keys = streamKeys(seed, stream);
    const g = this.runtime.grid1d(size, 256);
    this.runtime.dispatch(randomKernel(kind), [out.buffer], new Uint32Array([size, keys.inner, keys.outer, g.rowStride]), g.workgroups);
    return out;
  }

  adam(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper, gradScale: Storage | null): void {
    const size = param.size;
    const g = this.runtime.grid1d(size, 256);
    const floats = new Float32Array([h.beta1, h.beta2, h.eps, h.weightDecay, h.lr / h.biasCorrection1, Math.sqrt(h.biasCorrection2), 0, 0]);
    const words = new Uint32Array(12);
    words.set([size, g.rowStride]);
    words.set(new Uint32Array(floats.buffer), 4);
    const buffers = [param, grad, m, v, gradScale ?? this.one].map((s) => this.buf(s));
    this.runtime.dispatch(ADAM, buffers, words, g.workgroups);
  }

  private maskParams(n: number, samples: number, seed: number, stream: number, threads: number) {
    const keys = streamKeys(seed, stream);
    const g = this.runtime.grid1d(threads, 256);
    return { words: new Uint32Array([n, samples, keys.inner, keys.outer, g.rowStride, 0, 0, 0]), groups: g.workgroups };
  }

  maskSample(logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    const n = logits.size;
    const out = this.alloc('f32', samples * n);
    const { words, groups } = this.maskParams(n, samples, seed, stream, samples * n);
    this.runtime.dispatch(MASK_SAMPLE, [this.buf(logits), this.buf(weight), out.buffer], words, groups);
    return out;
  }

  maskSampleBackward(grad: Storage, logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    const n = logits.size;
    const out = this.alloc('f32', n);
    const { words, groups } = this.maskParams(n, samples, seed, stream, n);
    this.runtime.dispatch(MASK_SAMPLE_BACKWARD, [this.buf(grad), this.buf(logits), this.buf(weight), out.buffer], words, groups);
    return out;
  }

  private lstmParams(batch: number, hidden: number) {
    const g = this.runtime.grid1d(batch * hidden, 256);
    return { words: new Uint32Array([batch, hidden, g.rowStride, 0]), groups: g.workgroups };
  }

  lstmCell(gates: Storage, cPrev: Storage, batch: number, hidden: number): { h: Storage; c: Storage } {
    const h = this.alloc('f32', batch * hidden);
    const c = this.alloc('f32', batch * hidden);
    const { words, groups } = this.lstmParams(batch, hidden);
    this.runtime.dispatch(LSTM_CELL, [this.buf(gates), this.buf(cPrev), h.buffer, c.buffer], words, groups);
    return { h, c };
  }

  lstmCellBackward(gates: Storage, cPrev: Storage, dh: Storage, dc: Storage, batch: number, hidden: number): { dgates: Storage; dcPrev: Storage } {
    const dgates = this.alloc('f32', batch * 4 * hidden);
    const dcPrev = this.alloc('f32', batch * hidden);
    const { words, groups } = this.lstmParams(batch, hidden);
    const buffers = [gates, cPrev, dh, dc].map((s) => this.buf(s));
    this.runtime.dispatch(LSTM_CELL_BACKWARD, [...buffers, dgates.buffer, dcPrev.buffer], words, groups);
    return { dgates, dcPrev };
  }

  /** One strided block copy of a [rows, cols] block (kernels/copy.wgsl.ts). */
  private copyBlock(src: Storage, dst: GpuStorage, rows: number, cols: number, srcOffset: number, srcStride: number, dstOffset: number, dstStride: number): void {
    if (rows * cols === 0) return;
    const g = this.runtime.grid1d(rows * cols, 256);
    const words = new Uint32Array([rows, cols, srcOffset, srcStride, dstOffset, dstStride, g.rowStride, 0]);
    this.runtime.dispatch(COPY_BLOCK, [this.buf(src), dst.buffer], words, g.workgroups);
  }

  slice(x: Storage, outer: number, axis: number, inner: number, start: number, length: number): Storage {
    const cols = length * inner;
    const out = this.alloc(x.dtype, outer * cols);
    this.copyBlock(x, out, outer, cols, start * inner, axis * inner, 0, cols);
    return out;
  }

  concat(parts: readonly Storage[], outer: number, lengths: readonly number[], inner: number): Storage {
    const width = lengths.reduce((s, l) => s + l, 0) * inner;
    const out = this.alloc(parts[0].dtype, outer * width);
    let offset = 0;
    parts.forEach((part, i) => {
      const cols = lengths[i] * inner;
      this.copyBlock(part, out, outer, cols, 0, cols, offset, width);
      offset += cols;
    });
    return out;
  }

  memory(): MemoryInfo {
    const pool = this.runtime.storage;
    // The constant `one` used for unscaled Adam steps is the backend's own, not a user buffer.
    return { liveBuffers: pool.live - 1, liveBytes: pool.liveBytes, pooledBuffers: pool.pooled };
  }

  flush(): void {
    this.runtime.flush();
  }
}

function sameStrides(strides: readonly number[], contiguous: readonly number[], shape: readonly number[]): boolean {
  return strides.every((s, i) => shape[i] === 1 || s === contiguous[i]);
}
