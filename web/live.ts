/** A run in progress: turns the worker's DemoEvents into timelines, mask plots, heat maps and status. */
import type { Report } from '../report/types.js';
import { setLabel } from '../report/specs.js';
import type { Board, HeatSets } from './board.js';
import type { DemoEvent, LayerInfo } from './protocol.js';
import { bands, phaseLabel, type Band } from './specs.js';
import { Status } from './status.js';
import { pct } from './tables.js';

type Rows = Record<string, unknown>[];

export class LiveRun {
  private bands: Band[] = [];
  private offset: Record<string, number> = {};
  private phases: string[] = [];
  private sets: readonly string[] = ['add', 'mul'];
  private loss: Rows = [];
  private accuracy: Rows = [];
  private layers: LayerInfo[] = [];
  private kept: Record<string, number[]> = {};
  private overlap: { iou?: number[]; iomin?: number[] } = {};
  private heat: HeatSets = {};
  private phase = '';
  private total = 1;
  private lastLoss: number | undefined;
  private lastAccuracy: Record<string, number> = {};

  constructor(private readonly board: Board, private readonly status: Status, private readonly onDone: (report: Report, seconds: number) => void) {}

  handle(e: DemoEvent): void {
    switch (e.kind) {
      case 'ready': {
        this.bands = bands(e.cfg.baseSteps, e.cfg.maskSteps, e.stages);
        this.offset = Object.fromEntries(this.bands.map((b) => [b.phase, b.x0]));
        this.phases = ['base', ...e.stages];
        this.layers = e.layers;
        this.status.device(e.backend === 'webgpu' ? `WebGPU · ${e.device}` : e.device);
        this.status.begin([...this.phases.map((p): [string, number] => [p, p === 'base' ? e.cfg.baseSteps : e.cfg.maskSteps]), ['analyse', 1]]);
        break;
      }
      case 'phase':
        this.phase = e.phase;
        this.total = e.total;
        this.lastLoss = undefined;
        this.line(0);
        break;
      case 'step':
        for (const [step, loss] of e.losses) {
          this.loss.push({ x: this.offset[e.phase] + step, step, loss, phase: phaseLabel(e.phase) });
          this.lastLoss = loss;
        }
        this.board.timelines(this.bands, this.phases, this.loss, null, this.sets);
        this.line(e.step + 1);
        break;
      case 'probe':
        this.probe(e);
        break;
      case 'done':
        this.status.progress('done', 1, 1);
        this.onDone(e.report, e.seconds);
        break;
      case 'error':
        break;
    }
  }

  private probe(e: Extract<DemoEvent, { kind: 'probe' }>): void {
    this.lastAccuracy = e.accuracy;
    for (const [set, accuracy] of Object.entries(e.accuracy)) {
      this.accuracy.push({ x: this.offset[e.phase] + e.step + 1, step: e.step + 1, accuracy, set: `on ${setLabel(set)}`, phase: phaseLabel(e.phase), segment: `${e.phase}/${set}` });
    }
    this.board.timelines(this.bands, this.phases, this.loss, this.accuracy, this.sets);
    const m = e.masks;
    if (!m) return;
    this.kept[m.stage] = m.kept;
    if (m.iou) this.overlap = { iou: m.iou, iomin: m.iomin };
    this.board.layers({ names: this.layers.map((l) => l.name), weights: this.layers.map((l) => l.weights), kept: this.kept, ...this.overlap });
    if (m.totalShared !== undefined) this.board.shared(m.totalShared, !e.final);
    this.heat[m.stage] = m.heat;
    this.board.heatMaps(this.heat, m.stage);
  }

  private line(step: number): void {
    const t = this.status.progress(this.phase, step, this.total);
    const parts = this.phase === 'analyse'
      ? ['analysing: every mask and its inverse on + and ×']
      : [
        `${phaseLabel(this.phase)} · step ${step.toLocaleString('en-US')} / ${this.total.toLocaleString('en-US')}`,
        ...(this.lastLoss !== undefined ? [`loss ${this.lastLoss.toFixed(4)}`] : []),
        ...Object.entries(this.lastAccuracy).map(([s, a]) => `${setLabel(s)} ${pct(a, 0)}`),
      ];
    this.status.set('running', `${parts.join(' · ')} — ${Status.timing(t)}`);
  }
}
