/**
 * The WebGPU runtime under the webgpu backend: a pipeline cache, a buffer pool and a command recorder.
 *
 * Dispatches are recorded into one compute pass and submitted at sync points (a read-back), every
 * SUBMIT_EVERY dispatches, or when SUBMIT_AT_PENDING_BYTES of released memory waits for reuse. A released buffer may still be read or written by recorded work, so it waits
 * in `pendingRelease` until that work is submitted; only then can it be handed out again, where the
 * queue's ordering makes the reuse safe. Uniforms use the same scheme, so `queue.writeBuffer` never
 * touches a buffer that unsubmitted work refers to.
 */

import { IndexChecks } from './index-checks.js';
import { launchKind, packUniforms, programWgsl, workgroupThreads, type Program, type UniformValues } from './program.js';

const SUBMIT_EVERY = 256;
/** Submit early once this much released memory waits for reuse, so big loops don't grow the pool. */
const SUBMIT_AT_PENDING_BYTES = 64 * 1024 * 1024;
// The WebGPU spec's flag values, spelled out: in Node the GPUBufferUsage global only exists once Dawn is loaded.
const USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 };
const MAP_MODE_READ = 0x1;
const STORAGE_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;
const UNIFORM_USAGE = USAGE.UNIFORM | USAGE.COPY_DST;

/** Size classes 256 B, then 2^k·{1, 1.25, 1.5, 1.75}: at most 25 % waste, few distinct sizes to pool. */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const pow = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const size = Math.ceil((pow * f) / 4) * 4;
    if (size >= bytes) return size;
  }
  return pow * 2;
}

class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pendingRelease: GPUBuffer[] = [];
  pendingBytes = 0;
  live = 0;
  liveBytes = 0;
  pooled = 0;
  pooledBytes = 0;

  constructor(private device: GPUDevice, private usage: number) {}

  acquire(bytes: number): GPUBuffer {
    const size = sizeClass(bytes);
    const reused = this.free.get(size)?.pop();
    if (reused) {
      this.pooled--;
      this.pooledBytes -= size;
    }
    const buffer = reused ?? this.device.createBuffer({ size, usage: this.usage });
    this.live++;
    this.liveBytes += size;
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.live--;
    this.liveBytes -= buffer.size;
    this.pendingBytes += buffer.size;
    this.pendingRelease.push(buffer);
  }

  /** Called after a submit: buffers released before it may now be reused. */
  recycle(): void {
    for (const b of this.pendingRelease) {
      const list = this.free.get(b.size) ?? [];
      list.push(b);
      this.free.set(b.size, list);
      this.pooledBytes += b.size;
    }
    this.pooled += this.pendingRelease.length;
    this.pendingRelease = [];
    this.pendingBytes = 0;
  }
}

interface Grid {
  workgroups: [number, number, number];
  /** Threads per row of the grid: kernels compute the flat index as gid.x + gid.y · rowStride. */
  rowStride: number;
}

export interface RuntimeOptions {
  /** Lower than the device's limit only to exercise the 2-D folding of large launches in tests. */
  maxWorkgroupsPerDimension?: number;
}

export class GpuRuntime {
  readonly storage: BufferPool;
  private uniforms: BufferPool;
  private pipelines = new WeakMap<Program, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private recorded = 0;
  private firstError: string | null = null;

  readonly maxWorkgroups: number;
  /** Flags of the index checks recorded since the last read-back. */
  readonly indexChecks: IndexChecks;

  constructor(readonly device: GPUDevice, opts: RuntimeOptions = {}) {
    this.maxWorkgroups = opts.maxWorkgroupsPerDimension ?? device.limits.maxComputeWorkgroupsPerDimension;
    this.storage = new BufferPool(device, STORAGE_USAGE);
    this.uniforms = new BufferPool(device, UNIFORM_USAGE);
    this.indexChecks = new IndexChecks(device);
    device.addEventListener?.('uncapturederror', (e) => {
      const message = (e as GPUUncapturedErrorEvent).error.message;
      this.firstError ??= message;
    });
  }

  /** A 1-D launch of `threads` threads, folded into 2-D when it exceeds the workgroups-per-dimension limit. */
  private grid1d(threads: number, workgroupSize: number): Grid {
    const groups = Math.max(1, Math.ceil(threads / workgroupSize));
    const x = Math.min(groups, this.maxWorkgroups);
    const y = Math.ceil(groups / x);
    return { workgroups: [x, y, 1], rowStride: x * workgroupSize };
  }

  private pipeline(program: Program): GPUComputePipeline {
    let p = this.pipelines.get(program);
    if (!p) {
      const module = this.device.createShaderModule({ code: programWgsl(program) });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.pipelines.set(program, p);
    }
    return p;
  }

  /**
   * Records one launch of `program`: `buffers` bind in the order the program declares them, the uniforms
   * are packed by its declaration. A 'threads' or 'groups' launch covers `count` indices; none is
   * recorded for 0.
   */
  run(program: Program, buffers: readonly GPUBuffer[], uniforms: UniformValues, count = 0): void {
    if (buffers.length !== program.buffers.length) {
      throw new Error(`webgpu ${program.name}: ${buffers.length} buffers given, the kernel declares ${program.buffers.length}`);
    }
    const kind = launchKind(program);
    let workgroups: readonly number[];
    let values = uniforms;
    if (typeof program.launch === 'object') workgroups = program.launch.grid(uniforms);
    else {
      if (count === 0) return;
      const grid = this.grid1d(count, kind === 'threads' ? workgroupThreads(program) : 1);
      workgroups = grid.workgroups;
      values = { ...uniforms, count, row_stride: grid.rowStride };
    }
    if (workgroups.some((n) => n === 0)) return;
    if (workgroups.some((n) => n > this.device.limits.maxComputeWorkgroupsPerDimension)) {
      throw new Error(`webgpu ${program.name}: launch of [${workgroups.join(',')}] workgroups exceeds the device limit of ${this.device.limits.maxComputeWorkgroupsPerDimension} per dimension`);
    }
    const pipeline = this.pipeline(program);
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    const words = packUniforms(program, values);
    const uniform = this.uniforms.acquire(words.byteLength);
    this.device.queue.writeBuffer(uniform, 0, words);
    entries.push({ binding: buffers.length, resource: { buffer: uniform } });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.pass) {
      this.encoder = this.device.createCommandEncoder();
      this.pass = this.encoder.beginComputePass();
    }
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    this.uniforms.release(uniform);
    if (++this.recorded >= SUBMIT_EVERY || this.storage.pendingBytes >= SUBMIT_AT_PENDING_BYTES) this.flush();
  }

  /** Submits everything recorded so far. */
  flush(): void {
    if (this.pass && this.encoder) {
      this.pass.end();
      this.device.queue.submit([this.encoder.finish()]);
    }
    this.pass = null;
    this.encoder = null;
    this.recorded = 0;
    this.storage.recycle();
    this.uniforms.recycle();
  }

  /** A storage buffer holding `data` (uploaded through the queue, ordered before later submits). */
  upload(data: ArrayBufferView & { byteLength: number }): GPUBuffer {
    const buffer = this.storage.acquire(Math.max(4, data.byteLength));
    if (data.byteLength > 0) this.device.queue.writeBuffer(buffer, 0, data as unknown as BufferSource);
    return buffer;
  }

  /** The buffer's first `byteLength` bytes; the index checks recorded so far come back with them. */
  async read(buffer: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
    this.flush();
    const bytes = Math.max(4, byteLength);
    const checks = this.indexChecks.take();
    const staging = this.device.createBuffer({ size: bytes + checks.bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const encoder = this.device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
    checks.copyInto(encoder, staging, bytes);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    const mapped = staging.getMappedRange();
    const copy = mapped.slice(0, byteLength);
    const flags = mapped.slice(bytes);
    staging.unmap();
    staging.destroy();
    checks.verify(flags);
    if (this.firstError) {
      const message = this.firstError;
      this.firstError = null;
      throw new Error(`webgpu: a kernel failed: ${message}`);
    }
    return copy;
  }
}
