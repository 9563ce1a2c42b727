/**
 * Runs an experiment for one seed, phase by phase: base training (or loaded weights), each mask stage,
 * then evaluation and mask statistics. Every phase is checkpointed in DIR/seed-<s>/ as it finishes, so
 * running the same command again resumes after the last finished phase with identical results.
 */
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../engine/io/checkpoint.js';
import { manualSeed } from '../engine/state.js';
import { phaseSeed } from './phase-seed.js';
import { MaskSet, maskTargets } from '../masking/mask-set.js';
import type { LossPoint } from '../masking/report-types.js';
import { MaskStageTrainer } from '../masking/train-stage.js';
import { trainBase } from './train-base.js';
import { analyse, type Analysis } from './analyse.js';
import type { AnyExperiment, BaseConfig } from './types.js';
import type { Module } from '../models/module.js';
import { loadWeightsFile } from './weights-file.js';

export type RunEvent =
  | { kind: 'phase'; seed: number; phase: string; total: number; resumed: boolean }
  | { kind: 'step'; seed: number; phase: string; step: number; loss?: number }
  | { kind: 'note'; message: string };

export interface SeedRunOptions {
  def: AnyExperiment;
  cfg: BaseConfig;
  seed: number;
  /** The run folder; this seed's checkpoints go to DIR/seed-<seed>. */
  out: string;
  weights?: string;
  control?: string;
  /** Take the base network from this seed folder's finished base phase (a β sweep shares the main run's). */
  baseDir?: string;
  onEvent?: (e: RunEvent) => void;
}

export interface SeedResult extends Analysis {
  seed: number;
  /** Seconds spent in all phases, including those of earlier (resumed) invocations. */
  seconds: number;
  training: { base: LossPoint[]; stages: Record<string, LossPoint[]> };
}

interface PhaseState {
  seconds: number;
  curve: LossPoint[];
}


export async function runSeed(opts: SeedRunOptions): Promise<SeedResult> {
  const { def, cfg, seed } = opts;
  const dir = join(opts.out, `seed-${seed}`);
  const emit = opts.onEvent ?? (() => {});
  await def.prepare?.(cfg);
  manualSeed(phaseSeed(seed, 'init'));
  const model: Module = def.model(cfg);
  const params = model.namedParameters();
  let seconds = 0;

  // Base network.
  const base = await loadCheckpoint(opts.baseDir ?? dir, 'base');
  if (opts.baseDir && !base) throw new Error(`runSeed: ${opts.baseDir} has no finished base phase to share`);
  let baseCurve: LossPoint[];
  if (base) {
    params.forEach(([name, p]) => p.assign(base.tensors[name]));
    const state = base.state as PhaseState;
    baseCurve = state.curve;
    seconds += state.seconds;
    emit({ kind: 'phase', seed, phase: 'base', total: cfg.baseSteps, resumed: true });
  } else {
    const started = performance.now();
    if (opts.weights) {
      const how = await loadWeightsFile(model, opts.weights);
      emit({ kind: 'note', message: `base network loaded from ${opts.weights} (${how})` });
      baseCurve = [];
    } else {
      emit({ kind: 'phase', seed, phase: 'base', total: cfg.baseSteps, resumed: false });
      manualSeed(phaseSeed(seed, 'base'));
      baseCurve = await trainBase(def, model, cfg, seed, (p) => emit({ kind: 'step', seed, phase: 'base', ...p }));
    }
    const spent = (performance.now() - started) / 1000;
    seconds += spent;
    await saveCheckpoint(dir, 'base', Object.fromEntries(params), { seconds: spent, curve: baseCurve } satisfies PhaseState);
  }
  await def.afterBase?.(model, opts.control);
  model.parameters().forEach((p) => p.requireGrad(false));
  model.eval();

  // Mask stages: fresh logits at 2.0 and a fresh Adam each.
  const targets = maskTargets(model, { biases: false });
  const stages: Record<string, MaskSet> = {};
  const stageCurves: Record<string, LossPoint[]> = {};
  for (const stage of def.stages) {
    const phase = `mask-${stage}`;
    const saved = await loadCheckpoint(dir, phase);
    if (saved) {
      stages[stage] = new MaskSet(targets, targets.map((t) => saved.tensors[t.name]));
      const state = saved.state as PhaseState;
      stageCurves[stage] = state.curve;
      seconds += state.seconds;
      emit({ kind: 'phase', seed, phase, total: cfg.maskSteps, resumed: true });
      continue;
    }
    emit({ kind: 'phase', seed, phase, total: cfg.maskSteps, resumed: false });
    const started = performance.now();
    manualSeed(phaseSeed(seed, phase));
    const set = new MaskSet(targets);
    const trainer = new MaskStageTrainer(set, { steps: cfg.maskSteps, samples: cfg.samples, beta: cfg.beta, lr: cfg.maskLr, clip: cfg.maskClip }, [], def.regRows(cfg));
    const curve: LossPoint[] = [];
    await trainer.run((step) => def.batch(cfg, seed, stage, step), (b) => def.loss(model, b, cfg), {
      onProgress: (p) => {
        if (p.loss !== undefined) curve.push({ step: p.step, loss: p.loss });
        emit({ kind: 'step', seed, phase, ...p });
      },
    });
    trainer.dispose();
    const spent = (performance.now() - started) / 1000;
    seconds += spent;
    await saveCheckpoint(dir, phase, set.named(), { seconds: spent, curve } satisfies PhaseState);
    stages[stage] = set;
    stageCurves[stage] = curve;
  }

  const started = performance.now();
  const result = await analyse(def, cfg, seed, model, targets.map((t) => t.name), stages);
  seconds += (performance.now() - started) / 1000;
  Object.values(stages).forEach((s) => s.dispose());
  model.dispose();
  return { seed, seconds, ...result, training: { base: baseCurve, stages: stageCurves } };
}
