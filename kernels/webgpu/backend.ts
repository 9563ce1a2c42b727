/**
 * The webgpu backend: each op picks a declared kernel program (kernels/webgpu/*.wgsl.ts), names its
 * buffers and uniforms, and records it on the runtime.
 */
import type { AdamHyper, AttentionSpec, Backend, Conv2dSpec, LayerNormSpec, MapInput, MapOp, MatmulSpec, MemoryInfo, Pool2dSpec, ReduceOp, Storage } from '../../engine/backend.js';
import type { AnyTypedArray, DType } from '../../engine/dtype.js';
import { allocTyped, dtypeOfArray } from '../../engine/dtype.js';
import { streamKeys } from '../../engine/random.js';
import { formatBytes, sizeOf, stridesOf } from '../../engine/shape.js';
import { ADAM } from './adam.wgsl.js';
import { ATTENTION_BACKWARD_KV, ATTENTION_BACKWARD_Q, ATTENTION_FORWARD, attentionKeyGroups, attentionQueryGroups, attentionUniforms } from './attention.wgsl.js';
import { CHECK_LENGTHS } from './index-checks.js';
import { CONV2D, CONV2D_BACKWARD_INPUT, CONV2D_BACKWARD_WEIGHT, MAX_POOL2D, MAX_POOL2D_BACKWARD, convUniforms } from './conv.wgsl.js';
import { COPY_BLOCK } from './copy.wgsl.js';
import { MAX_RANK, mapProgram } from './elementwise.wgsl.js';
import { FILL } from './fill.wgsl.js';
import { GATHER, SCATTER_ADD } from './gather.wgsl.js';
import { LSTM_CELL, LSTM_CELL_BACKWARD } from './lstm.wgsl.js';
import { MASK_SAMPLE, MASK_SAMPLE_BACKWARD } from './mask.wgsl.js';
import { LAYER_NORM, LAYER_NORM_BACKWARD_INPUT, LAYER_NORM_BACKWARD_PARAMS, normUniforms } from './norm.wgsl.js';
import { matmulProgram } from './matmul.wgsl.js';
import { dropoutFactorsProgram, randomProgram } from './random.wgsl.js';
import { SHORT_REDUCTION, reduceProgram } from './reduce.wgsl.js';
import { GpuRuntime, type RuntimeOptions } from './runtime.js';
import { ARGMAX, CROSS_ENTROPY_BACKWARD, CROSS_ENTROPY_FORWARD, softmaxProgram } from './softmax.wgsl.js';

export class GpuStorage implements Storage {
  readonly backend = 'webgpu' as const;
  constructor(readonly buffer: GPUBuffer, readonly dtype: DType, readonly size: number) {}
}

const f32Bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0];

export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly runtime: GpuRuntime;
  private one: GpuStorage;

  constructor(device: GPUDevice, readonly description: string, opts: RuntimeOptions = {}) {
    this.runtime = new GpuRuntime(device, opts);
    this.one = this.fill('f32', 1, 1) as GpuStorage;
  }

  /** A buffer for `size` elements, or the error naming `op` when the device cannot hold it. */
  private alloc(dtype: DType, size: number, op: string): GpuStorage {
    this.checkSize(op, size);
    return new GpuStorage(this.runtime.storage.acquire(Math.max(4, size * 4)), dtype, size);
  }

  private checkSize(op: string, size: number): void {
    const limits = this.runtime.device.limits;
    const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    if (size * 4 > limit) {
      throw new Error(`${op}: a result of ${size} elements (${formatBytes(size * 4)}) exceeds the GPU's largest buffer (${formatBytes(limit)})`);
    }
  }

  private buf(s: Storage): GPUBuffer {
    return (s as GpuStorage).buffer;
  }

  upload(data: AnyTypedArray): Storage {
    this.checkSize('tensor', data.length);
    return new GpuStorage(this.runtime.upload(data), dtypeOfArray(data), data.length);
  }

  fill(dtype: DType, size: number, value: number): Storage {
    const out = this.alloc(dtype, size, 'full');
    this.runtime.run(FILL, [out.buffer], { bits: dtype === 'f32' ? f32Bits(value) : value }, size);
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
    const out = this.alloc(outDtype, size, op);
    if (size === 0) return out;
    if (outShape.length > MAX_RANK) throw new Error(`${op}: tensors of rank ${outShape.length} exceed the webgpu limit of ${MAX_RANK}`);
    const contiguousStrides = stridesOf(outShape);
    const contiguous = inputs.every((x) => 'scalar' in x || sameStrides(x.strides, contiguousStrides, outShape));
    const uniforms: Record<string, number | readonly number[]> = contiguous ? {} : { rank: outShape.length, shape: outShape };
    const buffers: GPUBuffer[] = [];
    inputs.forEach((x, k) => {
      if ('scalar' in x) uniforms[`c${k}`] = x.scalar;
      else {
        buffers.push(this.buf(x.storage));
        if (!contiguous) uniforms[`strides${k}`] = x.strides;
      }
    });
    const program = mapProgram(op, inputs.map((x) => ('scalar' in x ? null : x.storage.dtype)), outDtype, contiguous);
    this.runtime.run(program, [...buffers, out.buffer], uniforms, size);
    return out;
  }

  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage {
    const strides = stridesOf(shape);
    const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const outSize = sizeOf(kept.map((i) => shape[i]));
    const out = this.alloc('f32', outSize, op);
    const redSize = sizeOf(axes.map((i) => shape[i]));
    const uniforms = {
      red_size: redSize,
      kept_rank: kept.length,
      red_rank: axes.length,
      kept_shape: kept.map((i) => shape[i]),
      kept_strides: kept.map((i) => strides[i]),
      red_shape: axes.map((i) => shape[i]),
      red_strides: axes.map((i) => strides[i]),
    };
    // Short reductions: one thread per output; long ones: a workgroup per output.
    this.runtime.run(reduceProgram(op, redSize <= SHORT_REDUCTION), [this.buf(x), out.buffer], uniforms, outSize);
    return out;
  }

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage {
    if (spec.k === 0) return this.fill('f32', spec.batch * spec.m * spec.n, 0);
    const out = this.alloc('f32', spec.batch * spec.m * spec.n, 'matmul');
    const uniforms = { M: spec.m, N: spec.n, K: spec.k, stride_a: spec.batchStrideA, stride_b: spec.batchStrideB, batch: spec.batch };
    this.runtime.run(matmulProgram(spec.transA, spec.transB), [this.buf(a), this.buf(b), out.buffer], uniforms);
    return out;
  }

  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    const out = this.alloc('f32', rows * cols, log ? 'logSoftmax' : 'softmax');
    this.runtime.run(softmaxProgram(log), [this.buf(x), out.buffer], { cols }, rows);
    return out;
  }

  argmax(x: Storage, rows: number, cols: number): Storage {
    const out = this.alloc('i32', rows, 'argmax');
    this.runtime.run(ARGMAX, [this.buf(x), out.buffer], { cols }, rows);
    return out;
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, cols: number): Storage {
    const out = this.alloc('f32', rows, 'crossEntropy');
    const check = this.runtime.indexChecks.slot('crossEntropy', cols);
    this.runtime.run(CROSS_ENTROPY_FORWARD, [this.buf(logits), this.buf(targets), out.buffer, check.buffer], { cols, slot: check.slot }, rows);
    return out;
  }

  crossEntropyBackward(logits: Storage, targets: Storage, scale: Storage, rows: number, cols: number): Storage {
    const out = this.alloc('f32', rows * cols, 'crossEntropy');
    const buffers = [this.buf(logits), this.buf(targets), this.buf(scale), out.buffer];
    this.runtime.run(CROSS_ENTROPY_BACKWARD, buffers, { cols }, rows);
    return out;
  }

  gather(table: Storage, idx: Storage, rows: number, cols: number, n: number): Storage {
    const out = this.alloc('f32', n * cols, 'gather');
    const check = this.runtime.indexChecks.slot('gather', rows);
    this.runtime.run(GATHER, [this.buf(table), this.buf(idx), out.buffer, check.buffer], { rows, cols, n, slot: check.slot }, n * cols);
    return out;
  }

  scatterAdd(grad: Storage, idx: Storage, rows: number, cols: number, n: number): Storage {
    const out = this.alloc('f32', rows * cols, 'gather');
    this.runtime.run(SCATTER_ADD, [this.buf(grad), this.buf(idx), out.buffer], { rows, cols, n }, rows * cols);
    return out;
  }

  random(kind: 'uniform' | 'normal', size: number, seed: number, stream: number): Storage {
    const out = this.alloc('f32', size, kind === 'uniform' ? 'rand' : 'randn');
    this.runtime.run(randomProgram(kind), [out.buffer], { ...streamKeys(seed, stream) }, size);
    return out;
  }

  dropoutFactors(size: number, rate: number, seed: number, stream: number): Storage {
    const out = this.alloc('f32', size, 'dropout');
    this.runtime.run(dropoutFactorsProgram, [out.buffer], { ...streamKeys(seed, stream), rate, kept: 1 / (1 - rate) }, size);
    return out;
  }

  adam(param: Storage, grad: Storage, m: Storage, v: Storage, h: AdamHyper, gradScale: Storage | null): void {
    const uniforms = {
      beta1: h.beta1, beta2: h.beta2, eps: h.eps, weight_decay: h.weightDecay,
      step_size: h.lr / h.biasCorrection1, sqrt_bc2: Math.sqrt(h.biasCorrection2),
    };
    const buffers = [param, grad, m, v, gradScale ?? this.one].map((s) => this.buf(s));
    this.runtime.run(ADAM, buffers, uniforms, param.size);
  }

  maskSample(logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    const n = logits.size;
    const out = this.alloc('f32', samples * n, 'maskedWeights');
    const uniforms = { n, samples, ...streamKeys(seed, stream) };
    this.runtime.run(MASK_SAMPLE, [this.buf(logits), this.buf(weight), out.buffer], uniforms, samples * n);
    return out;
  }

  maskSampleBackward(grad: Storage, logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    const n = logits.size;
    const out = this.alloc('f32', n, 'maskedWeights');
    const uniforms = { n, samples, ...streamKeys(seed, stream) };
    this.runtime.run(MASK_SAMPLE_BACKWARD, [this.buf(grad), this.buf(logits), this.buf(weight), out.buffer], uniforms, n);
    return out;
  }

  lstmCell(gates: Storage, cPrev: Storage, batch: number, hidden: number): { h: Storage; c: Storage } {
    const h = this.alloc('f32', batch * hidden, 'lstmCell');
    const c = this.alloc('f32', batch * hidden, 'lstmCell');
    this.runtime.run(LSTM_CELL, [this.buf(gates), this.buf(cPrev), h.buffer, c.buffer], { hidden }, batch * hidden);
    return { h, c };
  }

  lstmCellBackward(gates: Storage, cPrev: Storage, dh: Storage, dc: Storage, batch: number, hidden: number): { dgates: Storage; dcPrev: Storage } {
    const dgates = this.alloc('f32', batch * 4 * hidden, 'lstmCell');
    const dcPrev = this.alloc('f32', batch * hidden, 'lstmCell');
    const buffers = [gates, cPrev, dh, dc].map((s) => this.buf(s));
    this.runtime.run(LSTM_CELL_BACKWARD, [...buffers, dgates.buffer, dcPrev.buffer], { hidden }, batch * hidden);
    return { dgates, dcPrev };
  }

  conv2d(x: Storage, w: Storage, spec: Conv2dSpec): Storage {
    const y = this.alloc('f32', spec.batch * spec.outC * spec.outH * spec.outW, 'conv2d');
    this.runtime.run(CONV2D, [this.buf(x), this.buf(w), y.buffer], convUniforms(spec));
    return y;
  }

  conv2dBackwardInput(dy: Storage, w: Storage, spec: Conv2dSpec): Storage {
    const dx = this.alloc('f32', spec.batch * spec.inC * spec.h * spec.w, 'conv2d');
    this.runtime.run(CONV2D_BACKWARD_INPUT, [this.buf(dy), this.buf(w), dx.buffer], convUniforms(spec));
    return dx;
  }

  conv2dBackwardWeight(x: Storage, dy: Storage, spec: Conv2dSpec): Storage {
    const dw = this.alloc('f32', spec.samples * spec.outC * (spec.inC / spec.groups) * spec.kh * spec.kw, 'conv2d');
    this.runtime.run(CONV2D_BACKWARD_WEIGHT, [this.buf(x), this.buf(dy), dw.buffer], convUniforms(spec), dw.size);
    return dw;
  }

  maxPool2d(x: Storage, spec: Pool2dSpec): { out: Storage; argmax: Storage } {
    const size = spec.batch * spec.channels * spec.outH * spec.outW;
    const out = this.alloc('f32', size, 'maxPool2d');
    const argmax = this.alloc('i32', size, 'maxPool2d');
    this.runtime.run(MAX_POOL2D, [this.buf(x), out.buffer, argmax.buffer], convUniforms(spec), size);
    return { out, argmax };
  }

  maxPool2dBackward(dy: Storage, argmax: Storage, spec: Pool2dSpec): Storage {
    const dx = this.alloc('f32', spec.batch * spec.channels * spec.h * spec.w, 'maxPool2d');
    this.runtime.run(MAX_POOL2D_BACKWARD, [this.buf(dy), this.buf(argmax), dx.buffer], convUniforms(spec), dx.size);
    return dx;
  }

  layerNorm(x: Storage, gain: Storage, bias: Storage, spec: LayerNormSpec): { y: Storage; stats: Storage } {
    const y = this.alloc('f32', spec.rows * spec.cols, 'layerNorm');
    const stats = this.alloc('f32', spec.rows * 2, 'layerNorm');
    this.runtime.run(LAYER_NORM, [this.buf(x), this.buf(gain), this.buf(bias), y.buffer, stats.buffer], normUniforms(spec), spec.rows);
    return { y, stats };
  }

  layerNormBackward(dy: Storage, x: Storage, gain: Storage, stats: Storage, spec: LayerNormSpec): { dx: Storage; dgain: Storage; dbias: Storage } {
    const dx = this.alloc('f32', spec.rows * spec.cols, 'layerNorm');
    const dgain = this.alloc('f32', spec.samples * spec.cols, 'layerNorm');
    const dbias = this.alloc('f32', spec.samples * spec.cols, 'layerNorm');
    const u = normUniforms(spec);
    this.runtime.run(LAYER_NORM_BACKWARD_INPUT, [dy, x, gain, stats].map((s) => this.buf(s)).concat(dx.buffer), u, spec.rows);
    this.runtime.run(LAYER_NORM_BACKWARD_PARAMS, [dy, x, stats].map((s) => this.buf(s)).concat(dgain.buffer, dbias.buffer), u, spec.samples * spec.cols);
    return { dx, dgain, dbias };
  }

  attention(q: Storage, k: Storage, v: Storage, keyLengths: Storage, spec: AttentionSpec): { out: Storage; stats: Storage } {
    const rows = spec.batch * spec.heads * spec.tq;
    const out = this.alloc('f32', rows * spec.dHead, 'scaledDotProductAttention');
    const stats = this.alloc('f32', 2 * rows, 'scaledDotProductAttention');
    this.checkLengths(keyLengths, spec);
    const buffers = [q, k, v, keyLengths].map((x) => this.buf(x)).concat(out.buffer, stats.buffer);
    this.runtime.run(ATTENTION_FORWARD, buffers, attentionUniforms(spec), attentionQueryGroups(spec));
    return { out, stats };
  }

  attentionBackward(q: Storage, k: Storage, v: Storage, out: Storage, dout: Storage, stats: Storage, keyLengths: Storage, spec: AttentionSpec): { dq: Storage; dk: Storage; dv: Storage } {
    const dq = this.alloc('f32', q.size, 'scaledDotProductAttention');
    const dk = this.alloc('f32', k.size, 'scaledDotProductAttention');
    const dv = this.alloc('f32', v.size, 'scaledDotProductAttention');
    const u = attentionUniforms(spec);
    const inputs = [q, k, v, keyLengths].map((x) => this.buf(x));
    this.runtime.run(ATTENTION_BACKWARD_Q, [...inputs, this.buf(out), this.buf(dout), this.buf(stats), dq.buffer], u, attentionQueryGroups(spec));
    this.runtime.run(ATTENTION_BACKWARD_KV, [...inputs, this.buf(dout), this.buf(stats), dk.buffer, dv.buffer], u, attentionKeyGroups(spec));
    return { dq, dk, dv };
  }

  /** Key lengths must lie in [0, tk]: checked on the device (index-checks.ts) like gather's indices. */
  private checkLengths(keyLengths: Storage, spec: AttentionSpec): void {
    if (!spec.hasLengths) return;
    const check = this.runtime.indexChecks.slot('scaledDotProductAttention keyLengths', spec.tk + 1);
    this.runtime.run(CHECK_LENGTHS, [this.buf(keyLengths), check.buffer], { slot: check.slot, limit: spec.tk + 1 }, spec.batch);
  }

  /** One strided block copy of a [rows, cols] block (kernels/copy.wgsl.ts). */
  private copyBlock(src: Storage, dst: GpuStorage, rows: number, cols: number, srcOffset: number, srcStride: number, dstOffset: number, dstStride: number): void {
    const uniforms = { cols, src_offset: srcOffset, src_stride: srcStride, dst_offset: dstOffset, dst_stride: dstStride };
    this.runtime.run(COPY_BLOCK, [this.buf(src), dst.buffer], uniforms, rows * cols);
  }

  slice(x: Storage, outer: number, axis: number, inner: number, start: number, length: number): Storage {
    const cols = length * inner;
    const out = this.alloc(x.dtype, outer * cols, 'split');
    this.copyBlock(x, out, outer, cols, start * inner, axis * inner, 0, cols);
    return out;
  }

  concat(parts: readonly Storage[], outer: number, lengths: readonly number[], inner: number): Storage {
    const width = lengths.reduce((s, l) => s + l, 0) * inner;
    const out = this.alloc(parts[0].dtype, outer * width, 'concat');
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
    return { liveBuffers: pool.live - 1, liveBytes: pool.liveBytes, pooledBuffers: pool.pooled, pooledBytes: pool.pooledBytes };
  }

  flush(): void {
    this.runtime.flush();
  }
}

function sameStrides(strides: readonly number[], contiguous: readonly number[], shape: readonly number[]): boolean {
  return strides.every((s, i) => shape[i] === 1 || s === contiguous[i]);
}
