/**
 * The in-browser experiment: addmul-mlp for one seed, phase by phase as experiments/runner.ts's runSeed
 * does it (same manualSeed per phase, same batches, steps and analysis, so the numbers equal a Node run on
 * the same backend), without checkpoints, and with live looks in between: loss read-backs, accuracy on a
 * slice of the validation set and the current mask (kept weights, heat maps, overlap), scheduled so that
 * they take a small share of the run's time. Environment-agnostic: the worker runs it, tests too.
 */
import type { Backend } from '../engine/backend.js';
import { manualSeed } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { addmulConfig, addmulMlp } from '../experiments/addmul.js';
import { analyse, maskedRun } from '../experiments/analyse.js';
import { buildReport } from '../experiments/report.js';
import { trainBaseSteps } from '../experiments/train-base.js';
import type { ArithConfig, ExperimentDef, RowModel, Size } from '../experiments/types.js';
import { iominPerLayer, iouPerLayer, keptCounts, totalShared } from '../masking/analysis.js';
import { MaskSet, applyMasks, maskTargets, type BinaryMasks, type MaskTarget } from '../masking/mask-set.js';
import type { LossPoint, Report } from '../masking/report-types.js';
import { MaskStageTrainer } from '../masking/train-stage.js';
import { withParams } from '../models/param-override.js';
import { heatMap } from './heat.js';
import { PRESETS, type PresetName } from './presets.js';
import type { DemoEvent, LayerInfo, MaskSnapshot } from './protocol.js';

import { phaseSeed } from '../experiments/phase-seed.js';

/** A preset's full configuration, with β replaced when given (the one knob the page adds to the seed). */
export function configFor(name: PresetName, beta?: number): ArithConfig {
  const preset = PRESETS[name];
  const cfg = { ...addmulConfig(preset.size), ...preset.overrides };
  return beta === undefined ? cfg : { ...cfg, beta };
}

export interface DemoRunOptions {
  cfg: ArithConfig;
  seed: number;
  size: Size;
  backend: Backend;
  emit: (e: DemoEvent) => void;
  /** Largest validation slice (both ops together) the live accuracy uses. */
  liveValid?: number;
  /** Live looks take at most about 1 / (1 + gapFactor) of the time, and come at most every minGapMs. */
  gapFactor?: number;
  minGapMs?: number;
}

/** runSeed's loss curve keeps steps 0, 100, 200, … and the last; the page reads more of them. */
const CURVE_EVERY = 100;
/** The smallest divisor of 100 that reads at most ~300 losses per phase. */
const readEvery = (steps: number): number => [1, 2, 4, 5, 10, 20, 25, 50, 100].find((d) => steps / d <= 300) ?? CURVE_EVERY;

export async function runDemo(opts: DemoRunOptions): Promise<Report> {
  const { cfg, seed, emit } = opts;
  const def: ExperimentDef = addmulMlp;
  const started = performance.now();
  manualSeed(phaseSeed(seed, 'init'));
  const model = def.model(cfg);
  const targets = maskTargets(model, { biases: false });
  const layers: LayerInfo[] = targets.map((t) => ({ name: t.name, shape: t.param.shape as [number, number], weights: t.param.size }));
  emit({ kind: 'ready', backend: opts.backend.name, device: opts.backend.description, layers, stages: [...def.stages], cfg });
  const live = new Live(def, cfg, seed, model, targets, opts);

  emit({ kind: 'phase', phase: 'base', total: cfg.baseSteps });
  manualSeed(phaseSeed(seed, 'base'));
  const baseCurve = await trainBase(def, model, cfg, seed, live);
  await def.afterBase?.(model, undefined);
  model.parameters().forEach((p) => p.requireGrad(false));
  model.eval();

  const stages: Record<string, MaskSet> = {};
  const stageCurves: Record<string, LossPoint[]> = {};
  for (const stage of def.stages) {
    emit({ kind: 'phase', phase: stage, total: cfg.maskSteps });
    manualSeed(phaseSeed(seed, `mask-${stage}`));
    const set = new MaskSet(targets);
    stageCurves[stage] = await trainStage(def, model, cfg, seed, stage, set, live);
    stages[stage] = set;
    live.finished[stage] = await set.kept();
  }

  emit({ kind: 'phase', phase: 'analyse', total: 1 });
  const result = await analyse(def, cfg, seed, model, targets.map((t) => t.name), stages);
  Object.values(stages).forEach((s) => s.dispose());
  model.dispose();
  const seconds = (performance.now() - started) / 1000;
  const seedResult = { seed, seconds, ...result, training: { base: baseCurve, stages: stageCurves } };
  const report = buildReport({ def, size: opts.size, cfg, backend: opts.backend.name, device: opts.backend.description, seconds }, [seedResult]);
  emit({ kind: 'done', report, seconds });
  return report;
}

/** Base training (experiments/train-base.ts), reading losses more often and looking at the net in between. */
async function trainBase(def: ExperimentDef, model: RowModel, cfg: ArithConfig, seed: number, live: Live): Promise<LossPoint[]> {
  const curve: LossPoint[] = [];
  live.begin('base', cfg.baseSteps);
  await trainBaseSteps(def, model, cfg, seed, (step, loss) => live.stepDone(step, loss, curve));
  return curve;
}

/** One mask stage (fresh logits at 2.0 and a fresh Adam), with the same live looks. */
async function trainStage(def: ExperimentDef, model: RowModel, cfg: ArithConfig, seed: number, stage: string, set: MaskSet, live: Live): Promise<LossPoint[]> {
  const trainer = new MaskStageTrainer(set, { steps: cfg.maskSteps, samples: cfg.samples, beta: cfg.beta, lr: cfg.maskLr, clip: cfg.maskClip }, [], def.regRows(cfg));
  const curve: LossPoint[] = [];
  live.begin(stage, cfg.maskSteps, set);
  await trainer.runSteps(
    (step) => def.batch(cfg, seed, stage, step),
    (b) => def.loss(model, b, cfg),
    (step, loss) => live.stepDone(step, loss, curve),
  );
  trainer.dispose();
  return curve;
}

/** The live side of a run: loss read-backs, throttled progress events and scheduled looks at the net. */
class Live {
  /** Host masks (logit > 0) of finished stages. */
  readonly finished: Record<string, Uint8Array[]> = {};
  private phase = '';
  private total = 0;
  private set: MaskSet | undefined;
  private every = 1;
  private losses: [number, number][] = [];
  private lastEmit = -Infinity;
  private nextLook = 0;
  private phaseStart = 0;
  private readonly liveCfg: ArithConfig;

  constructor(
    private readonly def: ExperimentDef, cfg: ArithConfig, private readonly seed: number, private readonly model: RowModel,
    private readonly targets: readonly MaskTarget[], private readonly opts: DemoRunOptions,
  ) {
    const valid = Math.min(cfg.validSize, opts.liveValid ?? 2000);
    this.liveCfg = { ...cfg, validSize: valid - (valid % 2), evalBatch: Math.min(cfg.evalBatch, valid) };
  }

  /** A new phase. The base net gets a look after its first step; a fresh mask keeps everything, so its first look waits. */
  begin(phase: string, total: number, set?: MaskSet): void {
    const nextLook = set ? performance.now() + (this.opts.minGapMs ?? 300) : 0;
    Object.assign(this, { phase, total, set, every: readEvery(total), losses: [], lastEmit: -Infinity, nextLook, phaseStart: performance.now() });
  }

  /** After a step: read the loss when due (disposing it), report progress, look at the net when due. */
  async stepDone(step: number, loss: Tensor, curve: LossPoint[]): Promise<void> {
    const last = step === this.total - 1;
    if (step % this.every === 0 || last) {
      const value = await loss.item();
      if (step % CURVE_EVERY === 0 || last) curve.push({ step, loss: value });
      this.losses.push([step, value]);
    }
    loss.dispose();
    const now = performance.now();
    if (last || now - this.lastEmit >= 200) {
      this.opts.emit({ kind: 'step', phase: this.phase, step, losses: this.losses });
      this.losses = [];
      this.lastEmit = now;
    }
    if (last || now >= this.nextLook) {
      await this.look(step, last);
      const end = performance.now();
      // Also spaced by the phase's age, so a long phase gets at most a few hundred looks.
      this.nextLook = end + Math.max(this.opts.minGapMs ?? 300, (end - now) * (this.opts.gapFactor ?? 6), (end - this.phaseStart) / 150);
    }
  }

  private async look(step: number, final: boolean): Promise<void> {
    const masks = this.set?.keep();
    const accuracy: Record<string, number> = {};
    for (const op of this.def.evalSets) {
      accuracy[op] = (await this.def.evaluate(maskedRun(this.model, this.targets, masks), this.liveCfg, this.seed, op)).accuracy;
    }
    masks?.forEach((m) => m.dispose());
    const snapshot = this.set ? await this.snapshot() : undefined;
    this.opts.emit({ kind: 'probe', phase: this.phase, step, accuracy, masks: snapshot, final });
  }

  private async snapshot(): Promise<MaskSnapshot> {
    const logits = await Promise.all(this.set!.logits.map((l) => l.toArray()));
    const host = logits.map((v) => Uint8Array.from(v, (x) => (x > 0 ? 1 : 0)));
    const heat = this.targets.map((t, i) => heatMap(t.name, t.param.shape as [number, number], logits[i]));
    const snap: MaskSnapshot = { stage: this.phase, kept: keptCounts(host), heat };
    const [a, b] = this.def.compared;
    const other = this.phase === b ? this.finished[a] : this.phase === a ? this.finished[b] : undefined;
    if (other) {
      const [x, y] = this.phase === b ? [other, host] : [host, other];
      Object.assign(snap, { iou: iouPerLayer(x, y), iomin: iominPerLayer(x, y), totalShared: totalShared(x, y) });
    }
    return snap;
  }
}
