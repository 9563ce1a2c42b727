/**
 * The phases of permuted transfer (experiments/permuted-transfer.ts), one per task, with the hooks of the
 * common phase driver (experiments/phases.ts: checkpoints, events). Task p:
 *   1. U = the union of the masks of tasks 0 … p−1 (1[l > 0]); the weights inside U stay as they are and are
 *      frozen, except in the first layer, which is always drawn afresh; all other weights are drawn afresh;
 *   2. mask p starts at `usedMaskInit` inside the frozen part of U, at `newMaskInit` elsewhere (task 0: all at
 *      the usual initial logit);
 *   3. the weights and mask p train together (one Adam, K mask samples, β/B·Σ l, clipping over both);
 *   4. task p's test accuracy under mask p is measured at once: later tasks change the weights it sees.
 * A checkpoint holds the weights after the task and its mask's logits (as mask.<name>).
 */
import { tensor } from '../engine/create.js';
import { manualSeed, noGrad, tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { iominPerLayer, iouPerLayer, keptCounts, probabilityHistogram, sharedFractions, totalShared, type HostMask } from '../masking/analysis.js';
import { maskTargets, MaskSet, type MaskTarget } from '../masking/mask-set.js';
import { maskedRun } from '../masking/masked-run.js';
import { MaskStageTrainer } from '../masking/train-stage.js';
import type { MLP } from '../models/mlp.js';
import type { LossPoint } from '../report/types.js';
import { maskStageConfig } from './phase-setup.js';
import { phaseSeed, readLosses, secondsSince, type PhaseHooks, type PhaseInfo, type PhaseRun, type SeedResult } from './phases.js';
import { xavierParameters } from '../models/xavier.js';
import type { PermutedConfig } from './permuted-transfer.js';
import type { ExtraAnalysis } from './types.js';

const MASK_PREFIX = 'mask.';

/** The task names, which are also the phase names: task-0, task-1, … */
export const taskNames = (cfg: PermutedConfig): string[] => Array.from({ length: cfg.tasks }, (_, p) => `task-${p}`);

export async function runPermutedPhases({ def, cfg: base, seed }: PhaseRun, hooks: PhaseHooks = {}): Promise<SeedResult> {
  const cfg = base as PermutedConfig;
  await def.prepare?.(cfg);
  manualSeed(phaseSeed(seed, 'init'));
  const model = def.model(cfg) as MLP;
  const targets = maskTargets(model, { biases: true });
  hooks.onModel?.(model, targets);
  const firstLayer = (t: MaskTarget) => t.name.startsWith('layers.0.');

  const tasks = taskNames(cfg);
  const masks: HostMask[] = [];
  const logits: Float32Array[][] = [];
  const accuracy: Record<string, Record<string, number>> = {};
  const curves: Record<string, LossPoint[]> = {};
  let seconds = 0;
  for (const [p, phase] of tasks.entries()) {
    const info: PhaseInfo = { phase, stage: phase, total: cfg.maskSteps };
    const saved = await hooks.restore?.(phase);
    let set: MaskSet;
    if (saved) {
      for (const [name, param] of model.namedParameters()) param.assign(saved.tensors[name]);
      set = new MaskSet(targets, targets.map((t) => saved.tensors[MASK_PREFIX + t.name]));
      hooks.onPhase?.({ ...info, set }, true);
      curves[phase] = saved.curve;
      seconds += saved.seconds;
    } else {
      manualSeed(phaseSeed(seed, phase));
      const started = performance.now();
      // What stays: the earlier tasks' union, less the first layer (drawn afresh for every task).
      const kept = union(masks, targets).map((u, i) => (firstLayer(targets[i]) ? u.fill(0) : u));
      const frozen = kept.map((u, i) => tensor(Float32Array.from(u), targets[i].param.shape));
      if (p > 0) redraw(model, frozen, targets);
      set = new MaskSet(targets, p === 0 ? undefined : tidy(() => noGrad(() => frozen.map((f) => f.mul(cfg.usedMaskInit - cfg.newMaskInit).add(cfg.newMaskInit)))));
      hooks.onPhase?.({ ...info, set }, false);
      const trainer = new MaskStageTrainer(set, maskStageConfig(cfg), [], def.regRows(cfg), { frozen });
      const curve: LossPoint[] = [];
      await trainer.runSteps((step) => def.batch(cfg, seed, phase, step), (b) => def.loss(model, b, cfg), readLosses({ ...info, set }, curve, hooks));
      trainer.dispose();
      frozen.forEach((f) => f.dispose());
      const named = Object.fromEntries([...model.namedParameters(), ...targets.map((t, i) => [MASK_PREFIX + t.name, set.logits[i]] as const)]);
      const record = { tensors: named, curve, seconds: secondsSince(started) };
      await hooks.onFinished?.({ ...info, set }, record);
      curves[phase] = curve;
      seconds += record.seconds;
    }
    const started = performance.now();
    const keep = set.keep();
    accuracy[phase] = { test: (await def.evaluate(maskedRun(model, targets, keep), cfg, seed, phase)).accuracy };
    keep.forEach((k) => k.dispose());
    masks.push(await set.kept());
    logits.push(await Promise.all(set.logits.map(async (l) => Float32Array.from(await l.toArray()))));
    seconds += secondsSince(started);
    set.dispose();
  }
  model.dispose();
  hooks.onAnalyse?.();
  return { seed, seconds, accuracy, ...maskStatistics(tasks, targets, masks, logits), training: { base: [], stages: curves } };
}

/** Per target, 1 where any of the masks keeps the weight. */
function union(masks: readonly HostMask[], targets: readonly MaskTarget[]): Uint8Array[] {
  return targets.map((t, i) => {
    const u = new Uint8Array(t.param.size);
    for (const m of masks) for (let j = 0; j < u.length; j++) u[j] |= m[i][j];
    return u;
  });
}

/** Every weight outside `frozen` drawn afresh (the authors' initialisation); the frozen ones kept. */
function redraw(model: MLP, frozen: readonly Tensor[], targets: readonly MaskTarget[]): void {
  const fresh = xavierParameters(model);
  targets.forEach((t, i) => {
    const value = fresh.get(t.param)!;
    t.param.assign(tidy(() => noGrad(() => t.param.mul(frozen[i]).add(value.mul(frozen[i].neg().add(1))))));
  });
  fresh.forEach((v) => v.dispose());
}

/** The report's mask figures: kept counts, overlaps of tasks 0 and 1, histograms, and reuse per layer and task. */
function maskStatistics(tasks: string[], targets: readonly MaskTarget[], masks: HostMask[], logits: Float32Array[][]) {
  const byTask = Object.fromEntries(tasks.map((t, p) => [t, masks[p]]));
  const [a, b] = [masks[0], masks[1] ?? masks[0]];
  const histogram = { edges: [] as number[], counts: {} as Record<string, number[]> };
  tasks.forEach((t, p) => {
    const h = probabilityHistogram(logits[p]);
    histogram.edges = h.edges;
    histogram.counts[t] = h.counts;
  });
  return {
    confusion: {},
    layerNames: targets.map((t) => t.name),
    layerWeights: targets.map((t) => t.param.size),
    kept: Object.fromEntries(tasks.map((t, p) => [t, keptCounts(masks[p])])),
    iou: iouPerLayer(a, b),
    iomin: iominPerLayer(a, b),
    totalShared: totalShared(a, b),
    sharedFraction: sharedFractions(byTask),
    histogram,
    reuse: reuse(tasks, targets, masks),
  };
}

/**
 * For each task p ≥ 1 and layer: the share of mask p's kept weights that lie in U_p, the union of the masks
 * of tasks 0 … p−1 (the authors' "shared" statistic), and U_p's share of the layer: what a mask that ignored
 * U would find there by chance.
 */
function reuse(tasks: string[], targets: readonly MaskTarget[], masks: HostMask[]): NonNullable<ExtraAnalysis['reuse']> {
  const inside: Record<string, Record<string, number>> = {};
  const unionShare: Record<string, Record<string, number>> = {};
  for (let p = 1; p < tasks.length; p++) {
    const u = union(masks.slice(0, p), targets);
    targets.forEach((t, i) => {
      let kept = 0;
      let shared = 0;
      let covered = 0;
      for (let j = 0; j < u[i].length; j++) {
        kept += masks[p][i][j];
        shared += masks[p][i][j] & u[i][j];
        covered += u[i][j];
      }
      (inside[t.name] ??= {})[tasks[p]] = kept === 0 ? 0 : shared / kept;
      (unionShare[t.name] ??= {})[tasks[p]] = covered / u[i].length;
    });
  }
  return { inside, union: unionShare };
}
