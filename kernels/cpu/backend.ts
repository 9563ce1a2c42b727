/**
 * The CPU backend: TypeScript over typed arrays, the reference every GPU kernel is tested against. Its hot
 * kernels — matmul, mask sampling, Adam — are hand-written WebAssembly SIMD (wasm/*.wat, driven by
 * *.fast.ts), each tested against its plain TypeScript reference (the file of the same stem).
 */
import { indexOutOfRange, type AdamHyper, type AttentionSpec, type Backend, type Conv2dSpec, type LayerNormSpec, type Pool2dSpec, type MapInput, type MapOp, type MatmulSpec, type MemoryInfo, type ReduceOp, type Storage } from '../../engine/backend.js';
import { dtypeOfArray, type AnyTypedArray, type DType } from '../../engine/dtype.js';
import { isContiguous, mapCpu, type CpuOperand } from './elementwise.js';
import { mapFast } from './elementwise.fast.js';
import { reduceCpu } from './reduce.js';
import { matmulFast, matmulThreadCount } from './matmul.fast.js';
import { argmaxCpu, crossEntropyBackwardCpu, crossEntropyCpu, softmaxCpu } from './softmax.js';
import { gatherCpu, scatterAddCpu } from './gather.js';
import { normalCpu, uniformCpu } from '../../engine/random.js';
import { adamFast } from './adam.fast.js';
import { dropoutFactorsFast, maskSampleBackwardFast, maskSampleFast } from './mask.fast.js';
import { lstmCellBackwardFast, lstmCellFast } from './lstm.fast.js';
import { concatCpu, copyStrided, sliceCpu } from './copy.js';
import { attentionBackwardFast, attentionFast } from './attention.fast.js';
import { maxPool2dBackwardCpu } from './conv.js';
import { layerNormBackwardFast, layerNormFast } from './norm.fast.js';
import { conv2dBackwardInputFast, conv2dBackwardWeightFast, conv2dFast } from './conv.fast.js';
import { mapSimd } from './map.simd.js';
import { maxPool2dFast } from './pool.fast.js';
import { formatBytes, sizeOf } from '../../engine/shape.js';
import { recycle, recycledArrays, recycledBytes, takeUninitialised, takeZeroed, zeroedF32 } from './recycled.js';

export class CpuStorage implements Storage {
  readonly backend = 'cpu' as const;
  constructor(public data: AnyTypedArray) {}
  get dtype(): DType {
    return dtypeOfArray(this.data);
  }
  get size(): number {
    return this.data.length;
  }
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  /** What runs the kernels; names the GEMM's threads when setBackend's cpuThreads put it on several. */
  get description(): string {
    const threads = matmulThreadCount();
    return `CPU (TypeScript + WebAssembly SIMD${threads > 1 ? `, GEMM on ${threads} threads` : ''})`;
  }
  private live = new Set<CpuStorage>();
  private liveBytes = 0;
  /** Live storages per buffer: an array goes back to recycled.ts only when the last one is released. */
  private holders = new Map<ArrayBufferLike, number>();
  /** Bytes of tensor data this backend may hold at once (most of the machine's memory). */
  readonly budget = memoryBudget();

  private wrap(data: AnyTypedArray): CpuStorage {
    const s = new CpuStorage(data);
    this.live.add(s);
    this.liveBytes += data.byteLength;
    this.holders.set(data.buffer, (this.holders.get(data.buffer) ?? 0) + 1);
    return s;
  }

  /** Throws, naming `op`, when a result of `size` elements would not fit the memory budget. */
  private reserve(op: string, size: number): void {
    const bytes = size * 4;
    if (this.liveBytes + bytes > this.budget) {
      throw new Error(`${op}: a result of ${size} elements (${formatBytes(bytes)}) does not fit the CPU backend's memory budget (${formatBytes(this.budget)}, ${formatBytes(this.liveBytes)} in use)`);
    }
  }

  private f32(s: Storage): Float32Array {
    return (s as CpuStorage).data as Float32Array;
  }

  private i32(s: Storage): Int32Array {
    const data = (s as CpuStorage).data;
    return data instanceof Int32Array ? data : Int32Array.from(data);
  }

  upload(data: AnyTypedArray): Storage {
    this.reserve('tensor', data.length);
    const copy = takeUninitialised(dtypeOfArray(data), data.length);
    copy.set(data);
    return this.wrap(copy);
  }

  fill(dtype: DType, size: number, value: number): Storage {
    this.reserve('full', size);
    const data = takeZeroed(dtype, size);
    if (value !== 0) data.fill(value);
    return this.wrap(data);
  }

  async read(s: Storage): Promise<AnyTypedArray> {
    return (s as CpuStorage).data.slice();
  }

  release(s: Storage): void {
    const { data } = s as CpuStorage;
    if (!this.live.delete(s as CpuStorage)) return;
    this.liveBytes -= data.byteLength;
    const holders = this.holders.get(data.buffer)! - 1;
    if (holders > 0) this.holders.set(data.buffer, holders);
    else {
      this.holders.delete(data.buffer);
      recycle(data);
    }
  }

  map(op: MapOp, inputs: readonly MapInput[], outShape: readonly number[], outDtype: DType): Storage {
    const size = sizeOf(outShape);
    this.reserve(op, size);
    const operands: CpuOperand[] = inputs.map((x) =>
      'scalar' in x ? x : { data: (x.storage as CpuStorage).data, strides: x.strides },
    );
    // identity: a transpose, a slice's view or a broadcast made dense.
    const [first] = operands;
    if (op === 'identity' && 'data' in first && dtypeOfArray(first.data) === outDtype) {
      return this.wrap(copyStrided(first.data, outShape, first.strides));
    }
    const simd = mapSimd(op, operands, outShape, size, outDtype);
    if (simd) return this.wrap(simd);
    const out = takeZeroed(outDtype, size);
    const contiguous = operands.every((o) => !('data' in o) || isContiguous(o.strides, outShape));
    if (!mapFast(op, operands, outShape, out, contiguous)) mapCpu(op, operands, outShape, out);
    return this.wrap(out);
  }

  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage {
    return this.wrap(reduceCpu(op, this.f32(x), shape, axes));
  }

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage {
    this.reserve('matmul', spec.batch * spec.m * spec.n);
    return this.wrap(matmulFast(this.f32(a), this.f32(b), spec));
  }

  argmax(x: Storage, rows: number, cols: number): Storage {
    return this.wrap(argmaxCpu(this.f32(x), rows, cols));
  }

  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
    return this.wrap(softmaxCpu(this.f32(x), rows, cols, log));
  }

  crossEntropy(logits: Storage, targets: Storage, rows: number, cols: number): Storage {
    const t = this.i32(targets);
    checkIndices('crossEntropy', t, cols, true);
    return this.wrap(crossEntropyCpu(this.f32(logits), t, rows, cols));
  }

  crossEntropyBackward(logits: Storage, targets: Storage, scale: Storage, rows: number, cols: number): Storage {
    const t = this.i32(targets);
    return this.wrap(crossEntropyBackwardCpu(this.f32(logits), t, this.f32(scale)[0], rows, cols));
  }

  gather(table: Storage, idx: Storage, rows: number, cols: number, n: number): Storage {
    this.reserve('gather', n * cols);
    const i = this.i32(idx);
    checkIndices('gather', i, rows);
    return this.wrap(gatherCpu(this.f32(table), i, cols, n));
  }

  scatterAdd(grad: Storage, idx: Storage, rows: number, cols: number, n: number): Storage {
    return this.wrap(scatterAddCpu(this.f32(grad), this.i32(idx), rows, cols, n));
  }

  random(kind: 'uniform' | 'normal', size: number, seed: number, stream: number): Storage {
    this.reserve(kind === 'uniform' ? 'rand' : 'randn', size);
    return this.wrap(kind === 'uniform' ? uniformCpu(size, seed, stream) : normalCpu(size, seed, stream));
  }

  dropoutFactors(size: number, rate: number, seed: number, stream: number): Storage {
    this.reserve('dropout', size);
    return this.wrap(dropoutFactorsFast(size, rate, seed, stream));
  }

  adam(param: Storage, grad: Storage, m: Storage, v: Storage, hyper: AdamHyper, gradScale: Storage | null): void {
    const scale = gradScale ? this.f32(gradScale)[0] : 1;
    adamFast(this.f32(param), this.f32(grad), this.f32(m), this.f32(v), hyper, scale);
  }

  maskSample(logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    this.reserve('maskedWeights', samples * logits.size);
    return this.wrap(maskSampleFast(this.f32(logits), this.f32(weight), samples, seed, stream));
  }

  maskSampleBackward(grad: Storage, logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    return this.wrap(maskSampleBackwardFast(this.f32(grad), this.f32(logits), this.f32(weight), samples, seed, stream));
  }

  lstmCell(gates: Storage, cPrev: Storage, batch: number, hidden: number, save = false): { h: Storage; c: Storage; saved?: Storage } {
    const acts = save ? zeroedF32(batch * 5 * hidden) : undefined;
    const { h, c } = lstmCellFast(this.f32(gates), this.f32(cPrev), batch, hidden, acts);
    return { h: this.wrap(h), c: this.wrap(c), ...(acts ? { saved: this.wrap(acts) } : {}) };
  }

  lstmCellBackward(
    gates: Storage, cPrev: Storage, dh: Storage, dc: Storage, batch: number, hidden: number, saved?: Storage,
  ): { dgates: Storage; dcPrev: Storage } {
    const acts = saved ? this.f32(saved) : undefined;
    const { dgates, dcPrev } = lstmCellBackwardFast(this.f32(gates), this.f32(cPrev), this.f32(dh), this.f32(dc), batch, hidden, acts);
    return { dgates: this.wrap(dgates), dcPrev: this.wrap(dcPrev) };
  }

  conv2d(x: Storage, w: Storage, spec: Conv2dSpec): Storage {
    this.reserve('conv2d', spec.batch * spec.outC * spec.outH * spec.outW);
    return this.wrap(conv2dFast(this.f32(x), this.f32(w), spec));
  }

  conv2dBackwardInput(dy: Storage, w: Storage, spec: Conv2dSpec): Storage {
    return this.wrap(conv2dBackwardInputFast(this.f32(dy), this.f32(w), spec));
  }

  conv2dBackwardWeight(x: Storage, dy: Storage, spec: Conv2dSpec): Storage {
    return this.wrap(conv2dBackwardWeightFast(this.f32(x), this.f32(dy), spec));
  }

  maxPool2d(x: Storage, spec: Pool2dSpec): { out: Storage; argmax: Storage } {
    this.reserve('maxPool2d', 2 * spec.batch * spec.channels * spec.outH * spec.outW);
    const { out, argmax } = maxPool2dFast(this.f32(x), spec);
    return { out: this.wrap(out), argmax: this.wrap(argmax) };
  }

  maxPool2dBackward(dy: Storage, argmax: Storage, spec: Pool2dSpec): Storage {
    return this.wrap(maxPool2dBackwardCpu(this.f32(dy), this.i32(argmax), spec));
  }

  layerNorm(x: Storage, gain: Storage, bias: Storage, spec: LayerNormSpec): { y: Storage; stats: Storage } {
    this.reserve('layerNorm', spec.rows * (spec.cols + 2));
    const { y, stats } = layerNormFast(this.f32(x), this.f32(gain), this.f32(bias), spec);
    return { y: this.wrap(y), stats: this.wrap(stats) };
  }

  layerNormBackward(dy: Storage, x: Storage, gain: Storage, stats: Storage, spec: LayerNormSpec): { dx: Storage; dgain: Storage; dbias: Storage } {
    const { dx, dgain, dbias } = layerNormBackwardFast(this.f32(dy), this.f32(x), this.f32(gain), this.f32(stats), spec);
    return { dx: this.wrap(dx), dgain: this.wrap(dgain), dbias: this.wrap(dbias) };
  }

  attention(q: Storage, k: Storage, v: Storage, keyLengths: Storage, spec: AttentionSpec): { out: Storage; stats: Storage } {
    this.reserve('scaledDotProductAttention', spec.batch * spec.heads * spec.tq * (spec.dHead + 2));
    const lengths = spec.hasLengths ? this.i32(keyLengths) : new Int32Array(0);
    if (spec.hasLengths) checkIndices('scaledDotProductAttention keyLengths', lengths, spec.tk + 1);
    const { out, stats } = attentionFast(this.f32(q), this.f32(k), this.f32(v), lengths, spec);
    return { out: this.wrap(out), stats: this.wrap(stats) };
  }

  attentionBackward(q: Storage, k: Storage, v: Storage, out: Storage, dout: Storage, stats: Storage, keyLengths: Storage, spec: AttentionSpec): { dq: Storage; dk: Storage; dv: Storage } {
    const lengths = spec.hasLengths ? this.i32(keyLengths) : new Int32Array(0);
    const grads = attentionBackwardFast(this.f32(q), this.f32(k), this.f32(v), this.f32(out), this.f32(dout), this.f32(stats), lengths, spec);
    return { dq: this.wrap(grads.dq), dk: this.wrap(grads.dk), dv: this.wrap(grads.dv) };
  }

  slice(x: Storage, outer: number, axis: number, inner: number, start: number, length: number): Storage {
    return this.wrap(sliceCpu((x as CpuStorage).data, outer, axis, inner, start, length));
  }

  concat(parts: readonly Storage[], outer: number, lengths: readonly number[], inner: number): Storage {
    this.reserve('concat', outer * lengths.reduce((a, l) => a + l, 0) * inner);
    return this.wrap(concatCpu(parts.map((p) => (p as CpuStorage).data), outer, lengths, inner));
  }

  memory(): MemoryInfo {
    return { liveBuffers: this.live.size, liveBytes: this.liveBytes, pooledBuffers: recycledArrays(), pooledBytes: recycledBytes() };
  }

  flush(): void {}
}

/**
 * Half the machine's memory in Node (20.16+, which can reach node:os from a browser-safe module), else
 * 2.5 GB: beyond that a typed array may be promised lazily by the OS and fail later, or swap the machine.
 */
function memoryBudget(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { totalmem(): number } | undefined;
  return Math.floor((os ? os.totalmem() : 5e9) * 0.5);
}

/** The one CPU backend of the process: tensors made before and after setBackend('cpu') can be combined. */
export const cpuBackend = new CpuBackend();

function checkIndices(op: string, idx: Int32Array, limit: number, negativesAllowed = false): void {
  const error = indexOutOfRange(op, idx, limit, negativesAllowed);
  if (error) throw error;
}
