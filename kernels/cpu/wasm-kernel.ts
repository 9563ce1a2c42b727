/**
 * What the WebAssembly kernel runners that copy operands in and results out share: loading a module once
 * (null where this engine has no wasm SIMD), growing its memory to hold a call's operands (null past the
 * 1 GiB maximum the modules declare), and laying those operands out as 16-byte-aligned regions.
 */

/** The memory's maximum in the .wat modules (16384 pages). */
const MAX_BYTES = 1 << 30;

/** A getter that instantiates the module from its base64 bytes on first use; null where that fails. */
export function lazyWasmKernel<T>(base64: string): () => T | null {
  let kernel: T | null | undefined;
  return () => {
    if (kernel === undefined) {
      try {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        kernel = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports as unknown as T;
      } catch {
        kernel = null;
      }
    }
    return kernel;
  };
}

export const roundUp4 = (x: number): number => (x + 3) & ~3;

/** x rounded up to a multiple of `to` (a panel width, a tile size). */
export const roundUp = (x: number, to: number): number => Math.ceil(x / to) * to;

/** Float offsets of regions of the given sizes, in order, each starting 16-byte aligned, and the total. */
export function regions(sizes: readonly number[]): { at: number[]; floats: number } {
  const at: number[] = [];
  let next = 0;
  for (const size of sizes) {
    at.push(next);
    next += roundUp4(size);
  }
  return { at, floats: next };
}

/** The module's memory as floats, grown to hold `floats`; null when it cannot be. */
export function heapFor(memory: WebAssembly.Memory, floats: number): Float32Array | null {
  const bytes = 4 * floats;
  if (bytes > MAX_BYTES) return null;
  const have = memory.buffer.byteLength;
  if (have < bytes) {
    try {
      memory.grow(Math.ceil((bytes - have) / 65536));
    } catch {
      return null;
    }
  }
  return new Float32Array(memory.buffer);
}
