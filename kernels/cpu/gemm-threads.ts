/**
 * Node only: worker threads that share the wasm GEMM's memory, so that the tiles of one product are
 * computed on several cores. A job (a batched product over operands already packed in that memory) is
 * cut into chunks, each a batch entry × a run of B panels (columns of C), handed out through an atomic
 * counter that the calling thread draws from too. So a worker that is busy, descheduled or still
 * starting up only loses its share: the caller never waits for a chunk that nobody has claimed, only for
 * the few in flight when it runs out. It does wait for a worker that the OS deschedules while it holds a
 * chunk, which is why the runner leaves threads off by default (see setMatmulThreads).
 * The workers are unref'd (they never keep a process alive) and reached through process.getBuiltinModule
 * rather than a static `node:` import, so this file bundles for browsers, where it is never called.
 */
import type { Worker as WorkerType } from 'node:worker_threads';

export interface GemmKernel {
  /** accumulate ≠ 0 adds the product to C (omitted: 0, overwrite). */
  gemm(pa: number, pb: number, pc: number, mPanels: number, nPanels: number, k: number, ldc: number, accumulate?: number): void;
}

/** A batched product C_b = A_b · B_b on packed operands: batch entry b's A is at pa + b·paStride (bytes), etc. */
export interface GemmJob {
  batch: number;
  pa: number;
  paStride: number;
  pb: number;
  pbStride: number;
  pc: number;
  pcStride: number;
  mPanels: number;
  nPanels: number;
  k: number;
  ldc: number;
  /** 1: add the product to C; 0: overwrite C. */
  accumulate: number;
}

// The control block, an Int32Array on its own SharedArrayBuffer. runChunks reads it by these numbers.
const CLAIM = 0; // generation << 16 | next unclaimed chunk; chunk CLOSED between jobs
const CLOSED = 0xffff; // more than any job's chunks: nothing can be claimed while the next job is set up
const DONE = 1; // chunks finished
const FAILED = 2; // set when a chunk threw
const TOTAL = 3; // chunks in the job, then: B panels per chunk, chunks per batch entry, then GemmJob from pa on
const CONTROL_WORDS = 17;

/**
 * Claims and computes chunks of the current job until none are left; returns the claim word it saw last.
 * It is also the workers' code, through toString: so it uses nothing from outside its own body (no
 * imports, no module constants, no inner named functions, which bundlers may wrap in helpers).
 */
function runChunks(gk: GemmKernel, ctrl: Int32Array): number {
  let word = Atomics.load(ctrl, 0);
  const generation = word >>> 16;
  for (;;) {
    const chunk = word & 0xffff;
    if (word >>> 16 !== generation || chunk >= ctrl[3]) return word;
    const seen = Atomics.compareExchange(ctrl, 0, word, word + 1);
    if (seen !== word) {
      word = seen;
      continue;
    }
    // A claimed chunk of this generation means the job is unfinished, so its words are stable.
    try {
      const [, panelsPerChunk, chunksPerBatch, pa, paStride, pb, pbStride, pc, pcStride, mPanels, nPanels, k, ldc, accumulate] =
        ctrl.subarray(3);
      const b = Math.floor(chunk / chunksPerBatch);
      const j0 = (chunk - b * chunksPerBatch) * panelsPerChunk;
      const panels = Math.min(panelsPerChunk, nPanels - j0);
      // B panel j0 starts j0·k·32 bytes into B (8 floats per k), C column j0·8 is j0·32 bytes into a row.
      gk.gemm(pa + b * paStride, pb + b * pbStride + j0 * k * 32, pc + b * pcStride + j0 * 32, mPanels, panels, k, ldc, accumulate);
    } catch {
      Atomics.store(ctrl, 2, 1);
    } finally {
      Atomics.add(ctrl, 1, 1);
      Atomics.notify(ctrl, 1);
    }
    word = Atomics.load(ctrl, 0);
  }
}

const workerSource = `
const { workerData } = require('node:worker_threads');
const runChunks = ${runChunks.toString()};
const ctrl = new Int32Array(workerData.control);
const gk = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
for (;;) Atomics.wait(ctrl, 0, runChunks(gk, ctrl));
`;

type WorkerClass = typeof WorkerType;

/** Worker_threads' Worker and how many helpers to start, or null outside Node or on one core. */
export function nodeThreadSupport(): { Worker: WorkerClass; helpers: number } | null {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  // getBuiltinModule: Node ≥ 20.16. Older Nodes simply run single-threaded.
  if (typeof proc?.getBuiltinModule !== 'function' || typeof SharedArrayBuffer !== 'function') return null;
  const { Worker } = proc.getBuiltinModule('node:worker_threads');
  const { availableParallelism } = proc.getBuiltinModule('node:os');
  // At most 3 helpers: these products are small, and more than one helper has not been measured
  // (this was written and tuned on a 2-core machine).
  const helpers = Math.min(3, availableParallelism() - 1);
  return helpers >= 1 ? { Worker, helpers } : null;
}

export class GemmThreads {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  private workers: WorkerType[] = [];
  private generation = 0;
  private broken = false;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
    private readonly support: { Worker: WorkerClass; helpers: number },
  ) {
    this.ctrl[CLAIM] = CLOSED;
  }

  /** The worker threads that share a product with the calling thread (0 once one has failed). */
  get helpers(): number {
    return this.broken ? 0 : this.support.helpers;
  }

  /** Whether run() can be used (false once a worker failed). Starts the workers on first call. */
  usable(): boolean {
    if (!this.broken && this.workers.length === 0) this.start();
    return !this.broken;
  }

  private start(): void {
    const workerData = { module: this.module, memory: this.memory, control: this.ctrl.buffer };
    try {
      for (let i = 0; i < this.support.helpers; i++) {
        const worker = new this.support.Worker(workerSource, { eval: true, workerData });
        worker.unref();
        worker.on('error', () => {
          this.broken = true;
        });
        this.workers.push(worker);
      }
    } catch {
      // A runtime whose worker_threads lacks something used here: stay on one thread.
      this.broken = true;
    }
  }

  /**
   * Computes the job with the calling thread and the workers. Returns false when the job cannot be cut
   * into few enough chunks or a chunk failed: the caller then computes it alone.
   */
  run(gk: GemmKernel, job: GemmJob): boolean {
    const ctrl = this.ctrl;
    // About 8 chunks per thread: fine enough to balance uneven progress, each still ≥ one B panel.
    const target = 8 * (this.support.helpers + 1);
    const panelsPerChunk = Math.min(job.nPanels, Math.max(1, Math.floor((job.batch * job.nPanels) / target)));
    const chunksPerBatch = Math.ceil(job.nPanels / panelsPerChunk);
    const total = job.batch * chunksPerBatch;
    if (total >= CLOSED) return false;
    ctrl.set([total, panelsPerChunk, chunksPerBatch, job.pa, job.paStride, job.pb, job.pbStride,
      job.pc, job.pcStride, job.mPanels, job.nPanels, job.k, job.ldc, job.accumulate], TOTAL);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, FAILED, 0);
    // A new generation opens the job: the store publishes the words above, then wakes the workers.
    this.generation = (this.generation + 1) & 0x7fff;
    Atomics.store(ctrl, CLAIM, this.generation << 16);
    Atomics.notify(ctrl, CLAIM);
    runChunks(gk, ctrl);
    // Only chunks already claimed by workers remain; each notifies DONE when it finishes.
    for (let done = Atomics.load(ctrl, DONE); done < total; done = Atomics.load(ctrl, DONE)) {
      Atomics.wait(ctrl, DONE, done, 50);
    }
    // Close the job before the next one's words are written: a worker that read this job's claim word
    // late would otherwise claim a chunk against the next job's half-written words.
    Atomics.store(ctrl, CLAIM, (this.generation << 16) | CLOSED);
    if (Atomics.load(ctrl, FAILED) !== 0) this.broken = true;
    return !this.broken;
  }
}
