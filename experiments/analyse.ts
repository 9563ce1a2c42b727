/**
 * Evaluation and mask statistics of a trained base network and its stage masks (browser-safe: the CLI's
 * runner and the web demo both use it): accuracy of every evaluation mask, confusion, the half-mask test,
 * kept weights, IoU / IoMin, total shared, shared fractions and keep-probability histograms.
 */
import { ones } from '../engine/create.js';
import { iominPerLayer, iouPerLayer, keptCounts, probabilityHistogram, sharedFractions, totalShared } from '../masking/analysis.js';
import type { BinaryMasks, MaskSet } from '../masking/mask-set.js';
import { settlingOf, type Snapshots } from '../masking/settling.js';
import { maskedRun } from '../masking/masked-run.js';
import type { Confusion, Settling } from '../report/types.js';
import type { Module } from '../models/module.js';
import type { AnyExperiment, BaseConfig, ExtraAnalysis } from './types.js';

export interface Analysis extends ExtraAnalysis {
  accuracy: Record<string, Record<string, number>>;
  confusion: Record<string, Confusion>;
  layerNames: string[];
  layerWeights: number[];
  kept: Record<string, number[]>;
  iou: number[];
  iomin: number[];
  totalShared: number;
  sharedFraction: Record<string, number>;
  histogram: { edges: number[]; counts: Record<string, number[]> };
  halfMask?: Record<string, Record<string, number>>;
  /** How kept counts and total shared moved over each stage's steps (absent for stages restored from old checkpoints). */
  settling?: Settling;
}

export async function analyse(
  def: AnyExperiment, cfg: BaseConfig, seed: number, model: Module, layerNames: string[], stages: Record<string, MaskSet>,
  snapshots: Record<string, Snapshots> = {},
): Promise<Analysis> {
  const targets = stages[def.stages[0]].targets;
  const runWith = (masks: BinaryMasks | null) => maskedRun(model, targets, masks);
  const accuracyOf = async (masks: BinaryMasks | null, collect?: Record<string, Confusion>, name?: string) => {
    const row: Record<string, number> = {};
    for (const set of def.evalSets) {
      const r = await def.evaluate(runWith(masks), cfg, seed, set);
      row[set] = r.accuracy;
      if (collect && name && r.confusion) (collect[name] ??= {})[set] = r.confusion;
    }
    return row;
  };

  const accuracy: Record<string, Record<string, number>> = {};
  const confusion: Record<string, Confusion> = {};
  const variants = def.evalMasks(stages, layerNames);
  for (const [name, masks] of Object.entries(variants)) accuracy[name] = await accuracyOf(masks, confusion, name);
  // Variants may share mask tensors (e.g. the I/O layers of an inversion): dispose each once, at the end.
  new Set(Object.values(variants).flatMap((m) => m ?? [])).forEach((m) => m.dispose());

  const halfMask = def.halfMask === false ? undefined : await halfMaskTest(stages[def.stages[0]], accuracyOf);

  const hostMasks: Record<string, Uint8Array[]> = {};
  for (const [name, set] of Object.entries(stages)) hostMasks[name] = await set.kept();
  const [a, b] = def.compared;
  const histogram = { edges: [] as number[], counts: {} as Record<string, number[]> };
  for (const [name, set] of Object.entries(stages)) {
    const h = probabilityHistogram(await Promise.all(set.logits.map((l) => l.toArray())));
    histogram.edges = h.edges;
    histogram.counts[name] = h.counts;
  }
  const taskMasks = Object.fromEntries(def.stages.slice(1).map((s) => [s, hostMasks[s]]));
  const settling = settlingOf(snapshots, targets.reduce((n, t) => n + t.param.size, 0), [a, b]);
  return {
    accuracy,
    confusion,
    layerNames,
    layerWeights: targets.map((t) => t.param.size),
    kept: Object.fromEntries(Object.entries(hostMasks).map(([n, m]) => [n, keptCounts(m)])),
    iou: iouPerLayer(hostMasks[a], hostMasks[b]),
    iomin: iominPerLayer(hostMasks[a], hostMasks[b]),
    totalShared: totalShared(hostMasks[a], hostMasks[b]),
    sharedFraction: sharedFractions(taskMasks),
    histogram,
    ...(halfMask ? { halfMask } : {}),
    ...(settling ? { settling } : {}),
    ...(def.extra ? await def.extra(stages, cfg) : {}),
  };
}

/** Half-mask test (docs/experiments.md#side-analyses): the full mask on only the early or only the late half of the layers. */
async function halfMaskTest(
  full: MaskSet, accuracyOf: (masks: BinaryMasks) => Promise<Record<string, number>>,
): Promise<Record<string, Record<string, number>>> {
  const keep = full.keep();
  const half = Math.ceil(keep.length / 2);
  const unmasked = (i: number) => ones(keep[i].shape);
  const early = keep.map((m, i) => (i < half ? m : unmasked(i)));
  const late = keep.map((m, i) => (i >= half ? m : unmasked(i)));
  const result = { early: await accuracyOf(early), late: await accuracyOf(late) };
  [...early, ...late].forEach((m) => m.dispose());
  return result;
}
