/**
 * The in-browser experiment: addmul-mlp for one seed, through the same phase driver as the CLI
 * (experiments/phases.ts: same seeds, batches, steps and analysis, so the numbers equal a Node run on the
 * same backend), without checkpoints, and with live looks in between: loss read-backs, accuracy on a
 * slice of the validation set and the current mask (kept weights, heat maps, overlap), scheduled so that
 * they take a small share of the run's time. Environment-agnostic: the worker runs it, tests too.
 */
import type { Backend } from '../engine/backend.js';
import { addmulConfig, addmulMlp } from '../experiments/addmul.js';
import { CURVE_EVERY, runPhases, type PhaseHooks, type PhaseInfo } from '../experiments/phases.js';
import { buildReport } from '../experiments/report.js';
import type { ArithConfig, ExperimentDef, RowModel, Size } from '../experiments/types.js';
import { iominPerLayer, iouPerLayer, keptCounts, totalShared } from '../masking/analysis.js';
import type { MaskSet, MaskTarget } from '../masking/mask-set.js';
import { maskedRun } from '../masking/masked-run.js';
import type { Report } from '../report/types.js';
import type { Module } from '../models/module.js';
import { heatMap } from './heat.js';
import { PRESETS, type PresetName } from './presets.js';
import type { DemoEvent, LayerInfo, MaskSnapshot } from './protocol.js';

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

/** The smallest divisor of the curve's spacing that reads at most ~300 losses per phase (the page plots more of them). */
const readEvery = (steps: number): number => [1, 2, 4, 5, 10, 20, 25, 50, 100].find((d) => steps / d <= 300) ?? CURVE_EVERY;

export async function runDemo(opts: DemoRunOptions): Promise<Report> {
  const { cfg, seed } = opts;
  const def: ExperimentDef = addmulMlp;
  const started = performance.now();
  const result = await runPhases({ def, cfg, seed }, new Live(def, cfg, seed, opts));
  const seconds = (performance.now() - started) / 1000;
  const report = buildReport({ def, size: opts.size, cfg, backend: opts.backend.name, device: opts.backend.description, seconds }, [{ ...result, seconds }]);
  opts.emit({ kind: 'done', report, seconds });
  return report;
}

/**
 * The demo's hooks into the phase driver: the layers announced, phase events, loss read-backs more often
 * than the curve's, throttled progress events and scheduled looks at the net.
 */
class Live implements PhaseHooks {
  /** Host masks (logit > 0) of finished stages. */
  private readonly finished: Record<string, Uint8Array[]> = {};
  private model!: RowModel;
  private targets: readonly MaskTarget[] = [];
  /** The phase as the page names it: 'base' or the stage. */
  private phase = '';
  private total = 0;
  private set: MaskSet | undefined;
  private every = 1;
  private losses: [number, number][] = [];
  private lastEmit = -Infinity;
  private nextLook = 0;
  private phaseStart = 0;
  private readonly liveCfg: ArithConfig;

  constructor(private readonly def: ExperimentDef, cfg: ArithConfig, private readonly seed: number, private readonly opts: DemoRunOptions) {
    const valid = Math.min(cfg.validSize, opts.liveValid ?? 2000);
    this.liveCfg = { ...cfg, validSize: valid - (valid % 2), evalBatch: Math.min(cfg.evalBatch, valid) };
  }

  onModel(model: Module, targets: readonly MaskTarget[]): void {
    Object.assign(this, { model, targets });
    const layers: LayerInfo[] = targets.map((t) => ({ name: t.name, shape: t.param.shape as [number, number], weights: t.param.size }));
    const { backend, cfg } = this.opts;
    this.opts.emit({ kind: 'ready', backend: backend.name, device: backend.description, layers, stages: [...this.def.stages], cfg });
  }

  /** A new phase. The base net gets a look after its first step; a fresh mask keeps everything, so its first look waits. */
  onPhase({ phase, stage, total, set }: PhaseInfo): void {
    this.opts.emit({ kind: 'phase', phase: stage ?? phase, total });
    const nextLook = set ? performance.now() + (this.opts.minGapMs ?? 300) : 0;
    Object.assign(this, { phase: stage ?? phase, total, set, every: readEvery(total), losses: [], lastEmit: -Infinity, nextLook, phaseStart: performance.now() });
  }

  readLossAt(_info: PhaseInfo, step: number): boolean {
    return step % this.every === 0;
  }

  /** After a step: report progress (with the losses read since the last report), look at the net when due. */
  async onStep(_info: PhaseInfo, step: number, loss: number | undefined): Promise<void> {
    const last = step === this.total - 1;
    if (loss !== undefined) this.losses.push([step, loss]);
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

  /** A finished stage's mask: the next task stage's overlap is measured against it. */
  async onFinished({ stage, set }: PhaseInfo): Promise<void> {
    if (stage && set) this.finished[stage] = await set.kept();
  }

  onAnalyse(): void {
    this.opts.emit({ kind: 'phase', phase: 'analyse', total: 1 });
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
