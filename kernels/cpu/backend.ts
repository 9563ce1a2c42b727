/**
 * The CPU backend: TypeScript over typed arrays, the reference every GPU kernel is tested against. Its hot
 * kernels — matmul, mask sampling, Adam — are hand-written WebAssembly SIMD (wasm/*.wat, driven by
 * *.fast.ts), each tested against its plain TypeScript reference (the file of the same stem).
 */
import type { AdamHyper, Backend, MapInput, MapOp, MatmulSpec, MemoryInfo, ReduceOp, Storage } from '../../engine/backend.js';
import { allocTyped, dtypeOfArray, type AnyTypedArray, type DType } from '../../engine/dtype.js';
import { isContiguous, mapCpu, type CpuOperand } from './elementwise.js';
import { mapFast } from './elementwise.fast.js';
import { reduceCpu } from './reduce.js';
import { matmulFast } from './matmul.fast.js';
import { argmaxCpu, crossEntropyBackwardCpu, crossEntropyCpu, softmaxCpu } from './softmax.js';
import { gatherCpu, scatterAddCpu } from './gather.js';
import { normalCpu, uniformCpu } from '../../engine/random.js';
import { adamFast } from './adam.fast.js';
import { maskSampleBackwardFast, maskSampleFast } from './mask.fast.js';
import { lstmCellBackwardCpu, lstmCellBackwardFromActs, lstmCellCpu } from './lstm.js';
import { concatCpu, sliceCpu } from './copy.js';
import { sizeOf } from '../../engine/shape.js';

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
  readonly description = 'CPU (TypeScript + WebAssembly SIMD)';
  private live = new Set<CpuStorage>();

  private wrap(data: AnyTypedArray): CpuStorage {
    const s = new CpuStorage(data);
    this.live.add(s);
    return s;
  }

  private f32(s: Storage): Float32Array {
    return (s as CpuStorage).data as Float32Array;
  }

  private i32(s: Storage): Int32Array {
    const data = (s as CpuStorage).data;
    return data instanceof Int32Array ? data : Int32Array.from(data);
  }

  upload(data: AnyTypedArray): Storage {
    return this.wrap(data.slice());
  }

  fill(dtype: DType, size: number, value: number): Storage {
    const data = allocTyped(dtype, size);
    if (value !== 0) data.fill(value);
    return this.wrap(data);
  }

  async read(s: Storage): Promise<AnyTypedArray> {
    return (s as CpuStorage).data.slice();
  }

  release(s: Storage): void {
    this.live.delete(s as CpuStorage);
  }

  map(op: MapOp, inputs: readonly MapInput[], outShape: readonly number[], outDtype: DType): Storage {
    const out = allocTyped(outDtype, sizeOf(outShape));
    const operands: CpuOperand[] = inputs.map((x) =>
      'scalar' in x ? x : { data: (x.storage as CpuStorage).data, strides: x.strides },
    );
    const contiguous = operands.every((o) => !('data' in o) || isContiguous(o.strides, outShape));
    if (!mapFast(op, operands, outShape, out, contiguous)) mapCpu(op, operands, outShape, out);
    return this.wrap(out);
  }

  reduce(op: ReduceOp, x: Storage, shape: readonly number[], axes: readonly number[]): Storage {
    return this.wrap(reduceCpu(op, this.f32(x), shape, axes));
  }

  matmul(a: Storage, b: Storage, spec: MatmulSpec): Storage {
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
    const i = this.i32(idx);
    checkIndices('gather', i, rows);
    return this.wrap(gatherCpu(this.f32(table), i, cols, n));
  }

  scatterAdd(grad: Storage, idx: Storage, rows: number, cols: number, n: number): Storage {
    return this.wrap(scatterAddCpu(this.f32(grad), this.i32(idx), rows, cols, n));
  }

  random(kind: 'uniform' | 'normal', size: number, seed: number, stream: number): Storage {
    return this.wrap(kind === 'uniform' ? uniformCpu(size, seed, stream) : normalCpu(size, seed, stream));
  }

  adam(param: Storage, grad: Storage, m: Storage, v: Storage, hyper: AdamHyper, gradScale: Storage | null): void {
    const scale = gradScale ? this.f32(gradScale)[0] : 1;
    adamFast(this.f32(param), this.f32(grad), this.f32(m), this.f32(v), hyper, scale);
  }

  maskSample(logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    return this.wrap(maskSampleFast(this.f32(logits), this.f32(weight), samples, seed, stream));
  }

  maskSampleBackward(grad: Storage, logits: Storage, weight: Storage, samples: number, seed: number, stream: number): Storage {
    return this.wrap(maskSampleBackwardFast(this.f32(grad), this.f32(logits), this.f32(weight), samples, seed, stream));
  }

  lstmCell(gates: Storage, cPrev: Storage, batch: number, hidden: number, save = false): { h: Storage; c: Storage; saved?: Storage } {
    const acts = save ? new Float32Array(batch * 5 * hidden) : undefined;
    const { h, c } = lstmCellCpu(this.f32(gates), this.f32(cPrev), batch, hidden, acts);
    return { h: this.wrap(h), c: this.wrap(c), ...(acts ? { saved: this.wrap(acts) } : {}) };
  }

  lstmCellBackward(
    gates: Storage, cPrev: Storage, dh: Storage, dc: Storage, batch: number, hidden: number, saved?: Storage,
  ): { dgates: Storage; dcPrev: Storage } {
    const { dgates, dcPrev } = saved
      ? lstmCellBackwardFromActs(this.f32(saved), this.f32(cPrev), this.f32(dh), this.f32(dc), batch, hidden)
      : lstmCellBackwardCpu(this.f32(gates), this.f32(cPrev), this.f32(dh), this.f32(dc), batch, hidden);
    return { dgates: this.wrap(dgates), dcPrev: this.wrap(dcPrev) };
  }

  slice(x: Storage, outer: number, axis: number, inner: number, start: number, length: number): Storage {
    return this.wrap(sliceCpu((x as CpuStorage).data, outer, axis, inner, start, length));
  }

  concat(parts: readonly Storage[], outer: number, lengths: readonly number[], inner: number): Storage {
    return this.wrap(concatCpu(parts.map((p) => (p as CpuStorage).data), outer, lengths, inner));
  }

  memory(): MemoryInfo {
    let bytes = 0;
    for (const s of this.live) bytes += s.data.byteLength;
    return { liveBuffers: this.live.size, liveBytes: bytes, pooledBuffers: 0 };
  }

  flush(): void {}
}

/** The one CPU backend of the process: tensors made before and after setBackend('cpu') can be combined. */
export const cpuBackend = new CpuBackend();

function checkIndices(op: string, idx: Int32Array, limit: number, negativeIgnored = false): void {
  for (let i = 0; i < idx.length; i++) {
    if ((idx[i] < 0 && !negativeIgnored) || idx[i] >= limit) throw new Error(`${op}: index ${idx[i]} at position ${i} is out of range [0, ${limit})`);
  }
}
