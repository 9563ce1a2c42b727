/**
 * Seeded generators for the arithmetic tasks of docs/experiments.md#addmul and #double-add with their exact encodings. A data set is
 * a pure function of (seed, index), so a "train set of 10⁶ samples" needs no memory and batches drawn
 * with replacement repeat exactly.
 *
 * addmul: a, b uniform in [0, 100); op + for even indices, × for odd ones; target (a op b) mod 100.
 *   Input 42 = one-hot digits of a and b, least significant first (4 × 10), then one-hot op (+, ×).
 *   Target 2 digits, least significant first.
 * double-add: pairs (a1, b1), (a2, b2); targets (a1 + b1) mod 100 and (a2 + b2) mod 100.
 *   Input 80 = pair 1's 40 digit dims then pair 2's; targets 4 digits (pair 1's two, then pair 2's).
 */
import { pcgHash, randomBits, streamKeys, type StreamKeys } from '../engine/random.js';

export const ADDMUL_INPUTS = 42;
export const DOUBLE_ADD_INPUTS = 80;
export type Op = 'add' | 'mul';

export interface ArithSample {
  a: number;
  b: number;
  op: Op;
}

export interface PairSample {
  pair1: [number, number];
  pair2: [number, number];
}

/** Streams of the data generator: keyed apart from the engine's tensor RNG streams. */
const DATA_STREAM = { train: 0x7a11, valid: 0x7a12, batches: 0x7a13 };

/** Two digits in [0, 100) from one hash. */
function operands(keys: StreamKeys, index: number): [number, number] {
  const bits = randomBits(keys, index);
  return [(bits >>> 16) % 100, (bits & 0xffff) % 100];
}

export function addmulSample(seed: number, split: 'train' | 'valid', index: number): ArithSample {
  const [a, b] = operands(streamKeys(seed, DATA_STREAM[split]), index);
  return { a, b, op: index % 2 === 0 ? 'add' : 'mul' };
}

export function pairSample(seed: number, split: 'train' | 'valid', index: number): PairSample {
  const keys = streamKeys(seed, DATA_STREAM[split]);
  return { pair1: operands(keys, 2 * index), pair2: operands(keys, 2 * index + 1) };
}

export const applyOp = (s: ArithSample, op: Op = s.op): number => (op === 'add' ? s.a + s.b : s.a * s.b) % 100;

/** Writes the one-hot digits of a and b (LSD first) at `offset` of a row. */
export function encodeOperands(row: Float32Array, offset: number, a: number, b: number): void {
  row[offset + (a % 10)] = 1;
  row[offset + 10 + Math.floor(a / 10)] = 1;
  row[offset + 20 + (b % 10)] = 1;
  row[offset + 30 + Math.floor(b / 10)] = 1;
}

export function encodeAddmul(s: ArithSample, row: Float32Array): void {
  encodeOperands(row, 0, s.a, s.b);
  row[40 + (s.op === 'add' ? 0 : 1)] = 1;
}

/** The two target digits of a number in [0, 100), least significant first. */
export const digits = (r: number): [number, number] => [r % 10, Math.floor(r / 10)];

/**
 * Index of the sample drawn for row `row` of step `step`, uniformly with replacement from `count`
 * samples; `stream` separates the draws of different phases (base training, each mask stage).
 */
export function drawIndex(seed: number, stream: number, step: number, row: number, count: number): number {
  const keys = streamKeys((pcgHash(seed ^ DATA_STREAM.batches) ^ pcgHash(stream)) >>> 0, step);
  // 32 + 21 random bits: the modulo bias is negligible for counts up to 10⁷.
  const hi = randomBits(keys, 2 * row);
  const lo = randomBits(keys, 2 * row + 1) >>> 11;
  return (hi * 2097152 + lo) % count;
}
