/**
 * Where the masks settle: each mask stage records which weights it keeps at a few points of its training, so a
 * report can show how the kept counts and the overlap of the two compared stages move with more mask steps —
 * and a reader can tell whether the figures at the end have settled or would still move with a longer --steps.
 * Snapshots are 1[l > 0] over all targets, packed 32 flags per i32, and travel in the stage's checkpoint.
 */
import { tensor } from '../engine/create.js';
import type { Tensor } from '../engine/tensor.js';
import { meanStd } from './analysis.js';

/** Snapshots per stage, evenly spaced, the last at the stage's final step. */
export const SNAPSHOTS = 6;

/** Checkpoint tensor name of the snapshot taken after `steps` steps. */
const PREFIX = 'settling@';

/** The step counts (after that many steps) at which a stage of `total` steps records its kept weights. */
export function snapshotSteps(total: number): number[] {
  const n = Math.min(SNAPSHOTS, total);
  return [...new Set(Array.from({ length: n }, (_, i) => Math.round((total * (i + 1)) / n)))];
}

/** Kept flags of every target, 32 per i32, target after target. */
export function packKept(kept: readonly Uint8Array[]): Int32Array {
  const total = kept.reduce((s, k) => s + k.length, 0);
  const packed = new Int32Array(Math.ceil(total / 32));
  let bit = 0;
  for (const k of kept) {
    for (let i = 0; i < k.length; i++, bit++) if (k[i]) packed[bit >>> 5] |= 1 << (bit & 31);
  }
  return packed;
}

/** Set bits of a AND b, word by word (the padding bits of a snapshot's last word are zero). */
function popcountBoth(a: Int32Array, b: Int32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    for (let w = a[i] & b[i]; w !== 0; n++) w &= w - 1;
  }
  return n;
}

/** report.json's settling: where kept counts and total shared stand after steps[i] mask steps. */
export interface Settling {
  steps: number[];
  /** Stage → share of all masked weights it keeps, per snapshot. */
  kept: Record<string, number[]>;
  /** Total shared of the two compared stages, per snapshot. */
  shared: number[];
}

/** A stage's snapshots: step count → packed kept flags. */
export type Snapshots = Map<number, Int32Array>;

/** The snapshots as checkpoint tensors (i32, named by step count). */
export function snapshotTensors(snapshots: Snapshots): Record<string, Tensor> {
  return Object.fromEntries([...snapshots].map(([steps, packed]) => [`${PREFIX}${steps}`, tensor(packed, [packed.length]).keep()]));
}

/** The snapshots in a restored checkpoint's tensors (none in checkpoints written before snapshots existed). */
export async function snapshotsFrom(tensors: Record<string, Tensor>): Promise<Snapshots> {
  const found: [number, Int32Array][] = [];
  for (const [name, t] of Object.entries(tensors)) {
    if (name.startsWith(PREFIX)) found.push([Number(name.slice(PREFIX.length)), Int32Array.from(await t.toArray())]);
  }
  return new Map(found.sort((a, b) => a[0] - b[0]));
}


/**
 * From every stage's snapshots over `weights` masked weights, or undefined when a stage has none (an old
 * checkpoint) or the stages were snapshotted at different steps. Total shared is Σ|A∩B| / Σ|A| over all
 * tensors (masking/analysis.ts totalShared), so it is counted on the packed words directly.
 */
export function settlingOf(snapshots: Record<string, Snapshots>, weights: number, compared: readonly [string, string]): Settling | undefined {
  const stages = Object.keys(snapshots);
  const steps = [...(snapshots[compared[0]]?.keys() ?? [])];
  const same = (s: Snapshots) => s.size === steps.length && steps.every((n) => s.has(n));
  if (steps.length === 0 || !stages.every((name) => same(snapshots[name]))) return undefined;
  const at = (stage: string, n: number) => snapshots[stage].get(n)!;
  const [a, b] = compared;
  return {
    steps,
    kept: Object.fromEntries(stages.map((stage) => [stage, steps.map((n) => popcountBoth(at(stage, n), at(stage, n)) / weights)])),
    shared: steps.map((n) => {
      const kept = popcountBoth(at(a, n), at(a, n));
      return kept === 0 ? 0 : popcountBoth(at(a, n), at(b, n)) / kept;
    }),
  };
}

/** The mean over seeds, when every seed has settling figures at the same steps (else undefined). */
export function meanSettling(all: readonly (Settling | undefined)[]): Settling | undefined {
  const first = all[0];
  const sameSteps = (s: Settling | undefined): s is Settling => !!s && s.steps.join() === first?.steps.join();
  if (!first || !all.every(sameSteps)) return undefined;
  const mean = (pick: (s: Settling) => number[]) => first.steps.map((_, i) => meanStd(all.map((s) => pick(s!)[i])).mean);
  return {
    steps: first.steps,
    kept: Object.fromEntries(Object.keys(first.kept).map((stage) => [stage, mean((s) => s.kept[stage])])),
    shared: mean((s) => s.shared),
  };
}
