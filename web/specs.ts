/**
 * The page's own Vega-Lite specs: the live loss and accuracy timelines (all phases on one step axis,
 * each phase a shaded band) and the mask heat map. The kept-weights, overlap, confusion and histogram
 * plots are report/specs.ts's, the same as report.html's.
 */
import type { TopLevelSpec } from 'vega-lite';
import { maskColor, maskLabel, setLabel } from '../report/specs.js';
import { FONT } from '../report/spec-style.js';
import type { HeatMap } from './protocol.js';

const CONFIG = {
  font: FONT,
  view: { stroke: null },
  axis: { labelColor: '#4b5563', titleColor: '#374151', titleFontWeight: 500, gridColor: '#eceef2',
    domainColor: '#9ca3af', tickColor: '#9ca3af', labelFontSize: 11, titleFontSize: 11 },
  legend: { labelColor: '#374151', labelFontSize: 11 },
} as const;

/** One phase on the shared step axis. */
export interface Band {
  phase: string;
  label: string;
  x0: number;
  x1: number;
}

export const phaseLabel = (phase: string): string => (phase === 'base' ? 'base training' : phase === 'analyse' ? 'analysis' : maskLabel(phase));
/** Base training has the unmasked net's colour ('no mask'); each stage its mask's. */
export const phaseColor = (phase: string): string => maskColor(phase === 'base' ? 'none' : phase);

export function bands(baseSteps: number, maskSteps: number, stages: readonly string[]): Band[] {
  return [{ phase: 'base', steps: baseSteps }, ...stages.map((s) => ({ phase: s, steps: maskSteps }))].reduce<Band[]>((out, p) => {
    const x0 = out.length ? out[out.length - 1].x1 : 0;
    return [...out, { phase: p.phase, label: phaseLabel(p.phase), x0, x1: x0 + p.steps }];
  }, []);
}

/** Shaded phase bands with their names along the top; the data layers are drawn over them. */
function bandLayers(b: Band[]) {
  const values = b.map((d, i) => ({ ...d, mid: (d.x0 + d.x1) / 2, shade: i % 2 }));
  return [
    { data: { values }, mark: { type: 'rect' as const, opacity: 0.55 },
      encoding: { x: { field: 'x0', type: 'quantitative' as const }, x2: { field: 'x1' },
        color: { field: 'shade', type: 'nominal' as const, scale: { range: ['#f8fafc', '#eef2f7'] }, legend: null } } },
    { data: { values }, mark: { type: 'text' as const, baseline: 'bottom' as const, fontSize: 10.5, fill: '#6b7280', limit: 120 },
      encoding: { x: { field: 'mid', type: 'quantitative' as const }, y: { value: -5 }, text: { field: 'label' } } },
  ];
}

function stepAxis(b: Band[]) {
  const end = b.length ? b[b.length - 1].x1 : 1;
  return { field: 'x', type: 'quantitative' as const, title: null, scale: { domain: [0, end], nice: false },
    axis: { values: b.map((d) => d.x0).concat(end), grid: false, labelExpr: "datum.value >= 1000 ? format(datum.value / 1000, '~r') + 'k' : datum.label" } };
}

/** Loss per phase on the shared step axis; log y while every loss is positive, else linear (a mask loss, task loss + β·Σlogits / B, goes below 0 as logits turn negative). */
export function lossTimeline(b: Band[], width: number, positive: boolean, phases: string[]): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, width, height: 190,
    resolve: { scale: { color: 'independent' } },
    layer: [
      ...bandLayers(b),
      { data: { name: 'points' }, mark: { type: 'line', strokeWidth: 1.6, interpolate: 'monotone' },
        encoding: {
          x: stepAxis(b),
          y: { field: 'loss', type: 'quantitative', title: 'loss', scale: positive ? { type: 'log' } : { zero: false },
            axis: { format: '~g', tickCount: 5 } },
          color: { field: 'phase', type: 'nominal', scale: { domain: phases.map(phaseLabel), range: phases.map(phaseColor) },
            legend: { title: null, orient: 'bottom', direction: 'horizontal' } },
          detail: { field: 'phase' },
          tooltip: [{ field: 'phase' }, { field: 'step', title: 'step in phase' }, { field: 'loss', format: '.4f' }],
        } },
    ],
  };
}

/** Accuracy on + and × (a slice of the validation set) with the current mask, on the shared step axis. */
export function accuracyTimeline(b: Band[], width: number, sets: readonly string[]): TopLevelSpec {
  const labels = sets.map((s) => `on ${setLabel(s)}`);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG, width, height: 190,
    resolve: { scale: { color: 'independent' } },
    layer: [
      ...bandLayers(b),
      { data: { name: 'points' }, mark: { type: 'line', strokeWidth: 2, point: { size: 22, filled: true } },
        encoding: {
          x: stepAxis(b),
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] }, axis: { format: '.0%', tickCount: 5 } },
          color: { field: 'set', type: 'nominal', scale: { domain: labels, range: sets.map(maskColor) },
            legend: { title: null, orient: 'bottom', direction: 'horizontal' } },
          detail: { field: 'segment' },
          tooltip: [{ field: 'set' }, { field: 'phase' }, { field: 'step', title: 'step in phase' }, { field: 'accuracy', format: '.1%' }],
        } },
    ],
  };
}

/** Cells of a heat map as rows for the 'cells' dataset. */
export const heatCells = (h: HeatMap) => Array.from(h.values, (p, i) => ({ r: Math.floor(i / h.cols), c: i % h.cols, p }));

/** Block means of σ(logit) of one layer (rows: output units, columns: inputs), white = dropped, colour = kept. */
export function heatSpec(h: HeatMap, maxWidth: number, color: string, what = 'keep probability'): TopLevelSpec {
  const cell = Math.max(3, Math.min(12, Math.floor(Math.min(maxWidth / h.cols, 300 / h.rows))));
  const block = (n: number, what: string) => (n > 1 ? ` (a cell = ${n} ${what})` : '');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: CONFIG,
    width: cell * h.cols, height: cell * h.rows, data: { name: 'cells' },
    mark: { type: 'rect' },
    encoding: {
      x: { field: 'c', type: 'ordinal', title: `inputs: ${h.shape[1]}${block(h.colBlock, 'inputs')}`, axis: { labels: false, ticks: false, domain: false } },
      y: { field: 'r', type: 'ordinal', title: `units: ${h.shape[0]}${block(h.rowBlock, 'units')}`, axis: { labels: false, ticks: false, domain: false } },
      color: { field: 'p', type: 'quantitative', title: what, scale: { domain: [0, 1], range: ['#ffffff', color] },
        legend: { orient: 'right', format: '.0%', gradientLength: Math.min(160, cell * h.rows), titleOrient: 'left' } },
      tooltip: [{ field: 'r', title: 'row block' }, { field: 'c', title: 'column block' }, { field: 'p', format: '.3f', title: what }],
    },
  };
}
