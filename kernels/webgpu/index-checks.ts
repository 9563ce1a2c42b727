/**
 * Index checks on the GPU, so that a bad target or gather index is the same error on every backend. A
 * kernel that reads indices gets a slot in a small flag buffer: out-of-range indices raise the slot's
 * high word (atomicMax of indices ≥ limit) or lower its low word (atomicMin of negative ones). The flags
 * travel back with the next read-back (no extra sync), and the read throws the error the CPU backend
 * throws at the op (indexOutOfRange in engine/backend.ts).
 */
import { indexOutOfRange } from '../../engine/backend.js';
import type { Program } from './program.js';

const SLOTS_PER_BUFFER = 64;
/** Each slot: [largest index ≥ limit, or −1] [most negative index, or 0]. */
const SLOT_WORDS = 2;
const BUFFER_BYTES = SLOTS_PER_BUFFER * SLOT_WORDS * 4;
const CLEAR = new Int32Array(SLOTS_PER_BUFFER * SLOT_WORDS).map((_, i) => (i % SLOT_WORDS === 0 ? -1 : 0));
const USAGE = { COPY_SRC: 0x4, COPY_DST: 0x8, STORAGE: 0x80 };

/** WGSL for a program that declares the buffer `index_errors` (atomic i32) and the uniform `slot`. */
export const CHECK_INDEX = /* wgsl */ `
fn check_index(v: i32, limit: i32, negatives_allowed: bool) {
  if (v >= limit) { atomicMax(&index_errors[2u * p.slot], v); }
  else if (v < 0 && !negatives_allowed) { atomicMin(&index_errors[2u * p.slot + 1u], v); }
}`;

interface Check {
  op: string;
  limit: number;
  buffer: number;
  slot: number;
}

export class IndexChecks {
  private buffers: GPUBuffer[] = [];
  private free: GPUBuffer[] = [];
  private checks: Check[] = [];

  constructor(private device: GPUDevice) {}

  /** A slot for one kernel launch that reads `limit`-bounded indices for `op`. */
  slot(op: string, limit: number): { buffer: GPUBuffer; slot: number } {
    const used = this.checks.length;
    if (used === this.buffers.length * SLOTS_PER_BUFFER) {
      const buffer = this.free.pop() ?? this.device.createBuffer({ size: BUFFER_BYTES, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
      this.device.queue.writeBuffer(buffer, 0, CLEAR);
      this.buffers.push(buffer);
    }
    const check = { op, limit, buffer: this.buffers.length - 1, slot: used % SLOTS_PER_BUFFER };
    this.checks.push(check);
    return { buffer: this.buffers[check.buffer], slot: check.slot };
  }

  /**
   * Hands over the checks recorded so far with their flag buffers, for one read-back to copy and verify;
   * checks recorded from now on go into fresh buffers (a later read-back's), so none is skipped while an
   * earlier read-back is still in flight.
   */
  take(): TakenChecks {
    const taken = new TakenChecks(this.buffers, this.checks, (b) => this.free.push(...b));
    this.buffers = [];
    this.checks = [];
    return taken;
  }
}

/** The checks one read-back carries back. */
export class TakenChecks {
  constructor(private buffers: GPUBuffer[], private checks: Check[], private release: (b: GPUBuffer[]) => void) {}

  /** Bytes the flags take in the read-back's staging buffer. */
  get bytes(): number {
    return this.buffers.length * BUFFER_BYTES;
  }

  /** Copies the flags behind the read-back's data, at `offset` of the staging buffer. */
  copyInto(encoder: GPUCommandEncoder, staging: GPUBuffer, offset: number): void {
    this.buffers.forEach((b, i) => encoder.copyBufferToBuffer(b, 0, staging, offset + i * BUFFER_BYTES, BUFFER_BYTES));
  }

  /** Reads the copied flags, returns the buffers for reuse, and throws for the first check that failed. */
  verify(flags: ArrayBuffer): void {
    const words = new Int32Array(flags);
    this.release(this.buffers);
    for (const c of this.checks) {
      const base = (c.buffer * SLOTS_PER_BUFFER + c.slot) * SLOT_WORDS;
      const [high, low] = [words[base], words[base + 1]];
      const bad = [...(high >= 0 ? [high] : []), ...(low < 0 ? [low] : [])];
      const error = indexOutOfRange(c.op, bad, c.limit, false);
      if (error) throw error;
    }
  }
}

/** A launch that only checks i32 values against [0, limit): one thread per value (e.g. key lengths). */
export const CHECK_LENGTHS: Program = {
  name: 'checkIndices',
  buffers: [{ name: 'values', type: 'i32' }, { name: 'index_errors', type: 'i32', atomic: true }],
  uniforms: [{ name: 'slot', type: 'u32' }, { name: 'limit', type: 'u32' }],
  workgroupSize: 64,
  launch: 'threads',
  helpers: [CHECK_INDEX],
  body: 'check_index(values[i], i32(p.limit), false);',
};
