/**
 * The page's plots and tables, drawn from plain data: the loss and accuracy timelines, weights kept per
 * layer, the + / × overlap, the heat map with its pickers, and a finished run's table and extra plots.
 * Both a live run (web/live.ts) and an opened file (web/files.ts) draw through it.
 */
import type { TopLevelSpec } from 'vega-lite';
import { confusionSpec, histogramSpec, iouSpec, keptSpec, maskColor } from '../report/specs.js';
import type { Report } from '../report/types.js';
import { Chart, namedData, type Rows } from './charts.js';
import type { HeatMap } from './protocol.js';
import { accuracyTimeline, heatCells, heatSpec, lossTimeline, phaseLabel, type Band } from './specs.js';
import { accuracyTable, halfMaskTable, headline, pct } from './tables.js';

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`web demo: #${id} is missing from index.html`);
  return el as T;
};

/** Per layer: name, weights, kept counts per mask, and (once there are two task masks) IoU / IoMin. */
export interface LayerRows {
  names: string[];
  weights: number[];
  kept: Record<string, number[]>;
  iou?: number[];
  iomin?: number[];
}

/** What the heat map can show: per mask (or 'base' weights), one map per layer. */
export type HeatSets = Record<string, HeatMap[]>;

/** Plot width for a chart in `el`'s panel (vega-embed makes `el` itself shrink-wrap its plot). */
const width = (el: HTMLElement, pad = 90): number => Math.max(240, Math.min(1000, (el.parentElement?.clientWidth ?? 600) - 36 - pad));

export class Board {
  readonly loss = new Chart($('plot-loss'));
  readonly accuracy = new Chart($('plot-accuracy'));
  readonly kept = new Chart($('plot-kept'));
  readonly iou = new Chart($('plot-iou'));
  readonly heat = new Chart($('plot-heat'), { renderer: 'canvas', minGapMs: 400 });
  readonly confusion = new Chart($('plot-confusion'));
  readonly histogram = new Chart($('plot-histogram'));
  private heatSets: HeatSets = {};
  /** The heat map follows the training stage until someone picks a mask. */
  private heatFollow = true;

  constructor() {
    $('heat-layer').addEventListener('change', () => this.drawHeat());
    $('heat-mask').addEventListener('change', () => {
      this.heatFollow = false;
      this.drawHeat();
    });
  }

  private charts(): Chart[] {
    return [this.loss, this.accuracy, this.kept, this.iou, this.heat, this.confusion, this.histogram];
  }

  /** Resolves once every chart has drawn what it was given. */
  async idle(): Promise<void> {
    await Promise.all(this.charts().map((c) => c.idle()));
  }

  clear(notes: { loss: string; accuracy: string; kept: string; iou: string; heat: string }): void {
    this.loss.message(notes.loss);
    this.accuracy.message(notes.accuracy);
    this.kept.message(notes.kept);
    this.iou.message(notes.iou);
    this.heat.message(notes.heat);
    this.heatSets = {};
    this.heatFollow = true;
    $('heat-layer').replaceChildren();
    $('heat-mask').replaceChildren();
    $('shared').textContent = '';
    $('table-accuracy').innerHTML = '<p class="placeholder">The table appears when the run finishes: every mask and its inverse, on + and on ×.</p>';
    $('figures').replaceChildren();
    for (const id of ['section-confusion', 'section-histogram', 'section-half']) $(id).hidden = true;
  }

  timelines(bands: Band[], phases: string[], loss: Rows, accuracy: Rows | null, sets: readonly string[]): void {
    if (loss.length) {
      const positive = loss.every((r) => (r.loss as number) > 0);
      this.loss.set(lossTimeline(bands, width(this.loss.el, 70), positive, phases), { points: loss });
    }
    if (accuracy?.length) this.accuracy.set(accuracyTimeline(bands, width(this.accuracy.el, 70), sets), { points: accuracy });
  }

  layers(rows: LayerRows): void {
    const report = {
      layers: rows.names.map((name, i) => ({
        name, weights: rows.weights[i], kept: Object.fromEntries(Object.entries(rows.kept).map(([m, k]) => [m, k[i]])),
        iou: rows.iou?.[i] ?? 0, iomin: rows.iomin?.[i] ?? 0,
      })),
    } as Report;
    const tilt = width(this.kept.el) / rows.names.length < 100;
    if (Object.keys(rows.kept).length) this.kept.set(...named(tiltLayers(keptSpec(report), tilt), this.kept.el, 150));
    if (rows.iou) this.iou.set(...named(tiltLayers(iouSpec(report), tilt), this.iou.el));
  }

  shared(total: number | undefined, live = false): void {
    $('shared').innerHTML = total === undefined ? '' : `<b>${pct(total)}</b>total shared${live ? ' so far' : ''}`;
  }

  /** Offers the masks in `sets` and the layers in `names`; `current` is shown unless a mask was picked. */
  heatMaps(sets: HeatSets, current?: string): void {
    this.heatSets = sets;
    const layerPick = $<HTMLSelectElement>('heat-layer');
    const maskPick = $<HTMLSelectElement>('heat-mask');
    const first = Object.values(sets)[0] ?? [];
    syncOptions(layerPick, first.map((h) => [h.layer, h.layer]), first.length > 1 ? first[1].layer : first[0]?.layer);
    syncOptions(maskPick, Object.keys(sets).map((m) => [m, m === 'base' ? 'base weights |w|' : phaseLabel(m)]));
    if (current && (this.heatFollow || !sets[maskPick.value])) maskPick.value = current;
    this.drawHeat();
  }

  private drawHeat(): void {
    const mask = $<HTMLSelectElement>('heat-mask').value;
    const h = this.heatSets[mask]?.find((m) => m.layer === $<HTMLSelectElement>('heat-layer').value);
    if (!h) return;
    const color = mask === 'base' ? '#0f766e' : maskColor(mask);
    this.heat.set(heatSpec(h, width(this.heat.el, 130), color, mask === 'base' ? '|w| / max |w|' : 'keep probability'), { cells: heatCells(h) });
  }

  /** A finished run's (or an opened report's) table, figures and extra plots. */
  results(report: Report): void {
    $('table-accuracy').innerHTML = accuracyTable(report);
    $('figures').innerHTML = headline(report);
    this.shared(report.totalShared);
    const confusion = confusionSpec(report);
    $('section-confusion').hidden = !confusion;
    if (confusion) {
      // report/specs.ts sizes the panels for an 880 px page; spread them over this one.
      const c = confusion as { spec: { width: number } };
      const masks = new Set((confusion.data as { values: { mask: string }[] }).values.map((v) => v.mask)).size;
      c.spec.width = Math.max(c.spec.width, Math.floor((width(this.confusion.el, 60)) / masks) - 12);
      this.confusion.set(confusion);
    }
    const histogram = histogramSpec(report);
    this.histogramPlot(histogram);
    const half = halfMaskTable(report);
    $('section-half').hidden = !half;
    $('table-half').innerHTML = half;
  }

  histogramPlot(spec: TopLevelSpec | undefined): void {
    $('section-histogram').hidden = !spec;
    if (!spec) return;
    // report/specs.ts lays the panels out for an 880 px page; fit them into this panel.
    const s = spec as { spec: { width: number }; columns: number };
    s.spec.width = Math.floor(width(this.histogram.el, 40) / s.columns) - 44;
    this.histogram.set(spec);
  }
}

/** Slants the layer names of a report/specs.ts plot when they would collide in this page's narrower panels. */
function tiltLayers(spec: TopLevelSpec, tilt: boolean): TopLevelSpec {
  if (!tilt) return spec;
  const fix = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const x = (node as { encoding?: { x?: { field?: string; axis?: object } } }).encoding?.x;
    if (x?.field === 'layer') x.axis = { ...x.axis, labelAngle: -25 };
    Object.values(node).forEach(fix);
  };
  const copy = structuredClone(spec);
  fix(copy);
  return copy;
}

/** Sets a spec's plot width to fit `el`, and moves its inline rows into a named dataset. */
function named(spec: TopLevelSpec, el: HTMLElement, pad = 90): [TopLevelSpec, Record<string, Rows>] {
  return namedData({ ...spec, width: width(el, pad) } as TopLevelSpec);
}

function syncOptions(select: HTMLSelectElement, options: [string, string][], preferred?: string): void {
  const before = select.value;
  if (select.options.length !== options.length || options.some(([v], i) => select.options[i].value !== v)) {
    select.replaceChildren(...options.map(([value, label]) => new Option(label, value)));
    select.value = options.some(([v]) => v === before) ? before : (preferred ?? options[0]?.[0] ?? '');
  }
}
