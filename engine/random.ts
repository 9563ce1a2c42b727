/**
 * Counter-based random numbers: value i of stream (seed, stream) is a pure function of (seed, stream, i),
 * so the CPU and WGSL versions (random.wgsl.ts) give bit-identical uniforms and runs repeat exactly.
 * The mixer is the PCG hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020), a bijection
 * on u32; keys are derived so that two streams never produce the same sequence shifted.
 */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

export interface StreamKeys {
  inner: number;
  outer: number;
}

/**
 * The keys of stream (seed, stream). `outer` must not be pcgHash(inner): element 0 hashes index + inner =
 * inner, and pcgHash(inner) ^ outer would then be 0 in every stream, a constant first element.
 */
export function streamKeys(seed: number, stream: number): StreamKeys {
  const k1 = pcgHash((seed ^ 0x9e3779b9) >>> 0);
  const inner = pcgHash((k1 ^ stream) >>> 0);
  return { inner, outer: pcgHash((inner ^ OUTER_SALT) >>> 0) };
}

const OUTER_SALT = 0x85ebca6b;

export function randomBits(keys: StreamKeys, index: number): number {
  return pcgHash((pcgHash((index + keys.inner) >>> 0) ^ keys.outer) >>> 0);
}

/** A uniform in the open interval (0, 1), exactly representable in f32 (24 random bits). */
export const bitsToUniform = (bits: number): number => ((bits >>> 8) + 0.5) / 16777216;

export function uniformCpu(size: number, seed: number, stream: number): Float32Array {
  const keys = streamKeys(seed, stream);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = bitsToUniform(randomBits(keys, i));
  return out;
}

/**
 * Inverted-dropout factors: f32(1/(1 − rate)) where u_i > rate, else 0, with u_i as uniformCpu draws it and
 * the comparison in f64, as the CPU's `gt` map compares a tensor with a number.
 */
export function dropoutFactorsCpu(size: number, rate: number, seed: number, stream: number): Float32Array {
  const keys = streamKeys(seed, stream);
  const kept = 1 / (1 - rate);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = bitsToUniform(randomBits(keys, i)) > rate ? kept : 0;
  return out;
}

/** Standard normal by Box–Muller; the second uniform comes from re-hashing the first's bits. */
export function normalCpu(size: number, seed: number, stream: number): Float32Array {
  const keys = streamKeys(seed, stream);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const bits = randomBits(keys, i);
    const u1 = Math.fround(bitsToUniform(bits));
    const u2 = Math.fround(bitsToUniform(pcgHash(bits)));
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return out;
}
