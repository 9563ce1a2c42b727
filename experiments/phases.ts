/**
 * One seed's run, phase by phase: the sequence and the seeding that the CLI runner (experiments/runner.ts)
 * and the web demo (web/run.ts) share, so that both give the same numbers. The model is initialised, the
 * base network trained (or restored, or loaded), frozen in evaluation mode, each mask stage trained on
 * fresh logits with a fresh Adam, then analysed. Callers plug in through PhaseHooks: checkpoints and
 * events (the runner), live looks (the demo). Browser-safe: no Node APIs.
 */
import { pcgHash } from '../engine/random.js';
import { stack } from '../engine/ops-concat.js';
import { manualSeed, noGrad, tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { MaskSet, type MaskTarget } from '../masking/mask-set.js';
import { NonFiniteLossError } from '../masking/train-stage.js';
import { packKept, snapshotsFrom, snapshotSteps, snapshotTensors, type Snapshots } from '../masking/settling.js';
import type { LossPoint } from '../report/types.js';
import type { Module } from '../models/module.js';
import { analyse, type Analysis } from './analyse.js';
import { freezeForMasks, stageTargets, stageTrainer } from './phase-setup.js';
import { trainBaseSteps, type OnStep } from './train-base.js';
import type { AnyExperiment, BaseConfig } from './types.js';

/** A seed per phase of a run, so each phase's random draws do not depend on how the run was resumed. */
export const phaseSeed = (seed: number, phase: string): number => pcgHash(seed ^ [...phase].reduce((h, c) => pcgHash(h ^ c.charCodeAt(0)), 0x51ed));

/** Loss curves keep steps 0, 100, 200, … and the last. */
export const CURVE_EVERY = 100;

/** A finished phase, as a checkpoint holds it. */
export interface PhaseRecord {
  /** The base network's parameters, or a stage's mask logits, by name. */
  tensors: Record<string, Tensor>;
  curve: LossPoint[];
  /** Seconds the phase took when it ran. */
  seconds: number;
}

export interface PhaseInfo {
  /** 'base' or 'mask-<stage>': the name of its checkpoint and events. */
  phase: string;
  /** The mask stage ('full', 'add', …); absent for the base phase. */
  stage?: string;
  /** Training steps. */
  total: number;
  /** A mask stage's logits. */
  set?: MaskSet;
}

/** Where callers plug in; every hook is optional. */
export interface PhaseHooks {
  /** The initialised model and the weights the stages mask, before any phase. */
  onModel?(model: Module, targets: readonly MaskTarget[]): void;
  /** A phase an earlier invocation finished (a checkpoint), or null to run it. */
  restore?(phase: string): Promise<PhaseRecord | null>;
  /** Sets the base network's weights from elsewhere (a weights file) instead of training it; true when it did. */
  loadBase?(model: Module): Promise<boolean>;
  /** A phase starts training, or was restored (`resumed`: no steps follow). */
  onPhase?(info: PhaseInfo, resumed: boolean): void;
  /** Whether to read this step's loss back too: each read is a sync, so only on request (the curve's steps always are). */
  readLossAt?(info: PhaseInfo, step: number): boolean;
  /** After each training step, with its loss when it was read. */
  onStep?(info: PhaseInfo, step: number, loss: number | undefined): void | Promise<void>;
  /** A phase this invocation ran has finished (the runner checkpoints it). */
  onFinished?(info: PhaseInfo, record: PhaseRecord): Promise<void>;
  /** The analysis starts. */
  onAnalyse?(): void;
}

export interface SeedResult extends Analysis {
  seed: number;
  /** Seconds of every phase and the analysis; a restored phase counts the time it took when it ran. */
  seconds: number;
  training: { base: LossPoint[]; stages: Record<string, LossPoint[]> };
}

export interface PhaseRun {
  def: AnyExperiment;
  cfg: BaseConfig;
  seed: number;
  /** A change to the trained base network (double-add: copy-weights), passed to the experiment's afterBase. */
  control?: string;
}

/** The checkpoint names of a seed's run, in order. */
export const phaseNames = (def: AnyExperiment, cfg: BaseConfig): string[] => def.phases?.(cfg) ?? ['base', ...def.stages.map((s) => `mask-${s}`)];

export async function runPhases(run: PhaseRun, hooks: PhaseHooks = {}): Promise<SeedResult> {
  if (run.def.runPhases) return run.def.runPhases(run, hooks);
  const { def, cfg, seed, control } = run;
  await def.prepare?.(cfg);
  manualSeed(phaseSeed(seed, 'init'));
  const model: Module = def.model(cfg);
  const targets = stageTargets(def, model);
  hooks.onModel?.(model, targets);

  const base = await basePhase(def, cfg, seed, model, hooks);
  // Also after a restore: the base checkpoint holds the network as trained, before the control's change.
  await def.afterBase?.(model, control);
  freezeForMasks(model);
  let seconds = base.seconds;

  const stages: Record<string, MaskSet> = {};
  const curves: Record<string, LossPoint[]> = {};
  const snapshots: Record<string, Snapshots> = {};
  for (const stage of def.stages) {
    const { set, record, snapshots: taken } = await maskPhase(def, cfg, seed, model, targets, stage, stages, hooks);
    stages[stage] = set;
    curves[stage] = record.curve;
    snapshots[stage] = taken;
    seconds += record.seconds;
  }

  hooks.onAnalyse?.();
  const started = performance.now();
  const analysis = await analyse(def, cfg, seed, model, targets.map((t) => t.name), stages, snapshots);
  seconds += secondsSince(started);
  Object.values(stages).forEach((s) => s.dispose());
  model.dispose();
  return { seed, seconds, ...analysis, training: { base: base.curve, stages: curves } };
}

export const secondsSince = (started: number): number => (performance.now() - started) / 1000;

/** The base network: restored, loaded from elsewhere, or trained (Adam over every parameter). */
async function basePhase(def: AnyExperiment, cfg: BaseConfig, seed: number, model: Module, hooks: PhaseHooks): Promise<PhaseRecord> {
  const info: PhaseInfo = { phase: 'base', total: cfg.baseSteps };
  const params = model.namedParameters();
  const saved = await hooks.restore?.(info.phase);
  if (saved) {
    params.forEach(([name, p]) => p.assign(saved.tensors[name]));
    hooks.onPhase?.(info, true);
    return saved;
  }
  const started = performance.now();
  const curve: LossPoint[] = [];
  if (!(await hooks.loadBase?.(model))) {
    hooks.onPhase?.(info, false);
    manualSeed(phaseSeed(seed, info.phase));
    await trainBaseSteps(def, model, cfg, seed, readLosses(info, curve, hooks));
  }
  const record = { tensors: Object.fromEntries(params), curve, seconds: secondsSince(started) };
  await hooks.onFinished?.(info, record);
  return record;
}

/** One mask stage over the frozen network: restored, or trained on fresh logits. */
async function maskPhase(
  def: AnyExperiment, cfg: BaseConfig, seed: number, model: Module, targets: readonly MaskTarget[], stage: string,
  earlier: Readonly<Record<string, MaskSet>>, hooks: PhaseHooks,
): Promise<{ set: MaskSet; record: PhaseRecord; snapshots: Snapshots }> {
  const phase = `mask-${stage}`;
  const saved = await hooks.restore?.(phase);
  if (saved) {
    const set = new MaskSet(targets, targets.map((t) => saved.tensors[t.name]));
    const snapshots = await snapshotsFrom(saved.tensors);
    const logits = new Set(set.logits);
    Object.values(saved.tensors).filter((t) => !logits.has(t)).forEach((t) => t.dispose());
    hooks.onPhase?.({ phase, stage, total: cfg.maskSteps, set }, true);
    return { set, record: saved, snapshots };
  }
  manualSeed(phaseSeed(seed, phase));
  const set = new MaskSet(targets);
  const info: PhaseInfo = { phase, stage, total: cfg.maskSteps, set };
  hooks.onPhase?.(info, false);
  const started = performance.now();
  const frozen = def.stageSetup?.(stage, set, earlier) ?? [];
  const trainer = stageTrainer(def, cfg, set, frozen);
  const curve: LossPoint[] = [];
  const readLoss = readLosses(info, curve, hooks);
  const snapshotAt = new Set(snapshotSteps(cfg.maskSteps));
  const snapshots: Snapshots = new Map();
  await trainer.runSteps((step) => def.batch(cfg, seed, stage, step), (b) => def.loss(model, b, cfg), async (step, loss) => {
    await readLoss(step, loss);
    if (snapshotAt.has(step + 1)) snapshots.set(step + 1, packKept(await set.kept()));
  });
  trainer.dispose();
  const stored = snapshotTensors(snapshots);
  const record = { tensors: { ...set.named(), ...stored }, curve, seconds: secondsSince(started) };
  await hooks.onFinished?.(info, record);
  Object.values(stored).forEach((t) => t.dispose());
  return { set, record, snapshots };
}

/**
 * After each step: reads the loss back on the curve's steps and where the caller asks, disposes it, tells
 * the caller. The losses of the steps between two reads are read along with the later one (one read-back
 * for all), so a loss that turns NaN or infinite stops the phase at the first such step — before its
 * checkpoint is written — with a NonFiniteLossError naming the phase and the step.
 */
export function readLosses(info: PhaseInfo, curve: LossPoint[], hooks: PhaseHooks): OnStep {
  let unread: Tensor[] = [];
  return async (step, loss) => {
    const onCurve = step % CURVE_EVERY === 0 || step === info.total - 1;
    if (!onCurve && !hooks.readLossAt?.(info, step)) {
      unread.push(loss);
      await hooks.onStep?.(info, step, undefined);
      return;
    }
    const window = [...unread, loss];
    unread = [];
    const values = window.length === 1 ? [await loss.item()] : await readAll(window);
    window.forEach((t) => t.dispose());
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new NonFiniteLossError(step - values.length + 1 + bad, values[bad], info.phase);
    const value = values[values.length - 1];
    if (onCurve) curve.push({ step, loss: value });
    await hooks.onStep?.(info, step, value);
  };
}

/** Scalars read back in one go. */
async function readAll(scalars: Tensor[]): Promise<number[]> {
  const all = tidy(() => noGrad(() => stack(scalars)));
  try {
    return Array.from(await all.toArray());
  } finally {
    all.dispose();
  }
}
