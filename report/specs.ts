/**
 * Vega-Lite specs of a run's report (report.json → plots). Pure functions, no DOM and no Node APIs:
 * report.html inlines them and the web demo renders the same specs live. Also the labels and colours
 * of masks and eval sets, so tables and plots agree.
 */
import { CONVERGED_BELOW, UNDECIDED, unconverged } from './findings.js';
import type { TopLevelSpec } from 'vega-lite';
import type { LossPoint, Report, SweepPoint } from './types.js';
import { classConfusionSpec, classDropSpec } from './class-removal-specs.js';
import { reuseSpec } from './transfer.js';
import { CONFIG, SCHEMA, WIDTH } from './spec-style.js';

// ---- labels, order and colours ---------------------------------------------------------------

const CORE: Record<string, string> = { add: '+', mul: '×', full: 'full', none: 'no mask' };

function coreLabel(key: string): string {
  const pair = /^pair(\d+)$/.exec(key);
  return pair ? `pair ${pair[1]}` : (CORE[key] ?? key.replace(/_/g, ' '));
}

function parseMask(key: string): { base: string; not: boolean; io: boolean } {
  const not = key.startsWith('not_');
  const rest = not ? key.slice(4) : key;
  const io = rest.endsWith('_iofull');
  return { base: io ? rest.slice(0, -7) : rest, not, io };
}

/** `not_add` → "¬+ mask", `pair1` → "pair 1 mask", `none` → "no mask", `not_pair1_iofull` → "¬pair 1 (I/O full)". */
export function maskLabel(key: string): string {
  if (key === 'none') return 'no mask';
  const { base, not, io } = parseMask(key);
  return `${not ? '¬' : ''}${coreLabel(base)}${io ? ' (I/O full)' : ' mask'}`;
}

/** Eval sets and true ops: `add` → "+", `mul` → "×", `pair2` → "pair 2". */
export function setLabel(key: string): string {
  return coreLabel(key);
}

/** Other keys (half-mask variants …): `add_early` → "+ early half". */
export function keyLabel(key: string): string {
  const word: Record<string, string> = { early: 'early half', late: 'late half', not: '¬', iofull: '(I/O full)' };
  return key.split('_').map((t) => word[t] ?? coreLabel(t)).join(' ').replace(/¬ /g, '¬');
}

/** none, full, then per task (in first-seen order): mask, ¬mask, mask (I/O full), ¬mask (I/O full). */
export function orderMasks(keys: Iterable<string>): string[] {
  const list = [...new Set(keys)];
  const bases = [...new Set(list.map((k) => parseMask(k).base))];
  const rank = (k: string): number => {
    if (k === 'none') return -2;
    if (k === 'full') return -1;
    const { base, not, io } = parseMask(k);
    return bases.indexOf(base) * 4 + (io ? 2 : 0) + (not ? 1 : 0);
  };
  return list.sort((a, b) => rank(a) - rank(b));
}

const BASE_COLOR: Record<string, [string, string]> = {
  add: ['#2563eb', '#93c5fd'], pair1: ['#2563eb', '#93c5fd'],
  mul: ['#ea580c', '#fdba74'], pair2: ['#ea580c', '#fdba74'],
  full: ['#475569', '#cbd5e1'], none: ['#a8a29e', '#e7e5e4'],
  // SCAN's split masks.
  jump: ['#dc2626', '#fca5a5'], length: ['#16a34a', '#86efac'], turn_left: ['#0891b2', '#67e8f9'],
};
const EXTRA = [['#16a34a', '#86efac'], ['#9333ea', '#d8b4fe'], ['#0891b2', '#67e8f9'], ['#be123c', '#fda4af']];

export function maskColor(key: string): string {
  const { base, not, io } = parseMask(key);
  const hash = [...base].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const pair = BASE_COLOR[base] ?? EXTRA[hash % EXTRA.length];
  return not || io ? pair[1] : pair[0];
}

/** A colour scale whose domain is the masks' labels, in report order. */
function maskScale(keys: string[]) {
  return { domain: keys.map(maskLabel), range: keys.map(maskColor) };
}

/** The two masks compared by IoU: the run's `compared` (+ and ×, pair 1 and pair 2, full and jump). */
export function taskMasks(report: Report): [string, string] {
  const compared = report.config.compared;
  if (Array.isArray(compared) && compared.length === 2) return [String(compared[0]), String(compared[1])];
  const keys = orderMasks(report.layers.flatMap((l) => Object.keys(l.kept)));
  const tasks = keys.filter((k) => k !== 'full' && k !== 'none' && !k.startsWith('not_') && !k.endsWith('_iofull'));
  return [tasks[0] ?? 'A', tasks[1] ?? 'B'];
}

// ---- specs ----------------------------------------------------------------------------------

const layerAxis = (n: number) => ({ labelAngle: n > 8 ? -40 : 0, title: null, labelLimit: 160 });

/** Grouped bars: per layer, the fraction of its weights each mask keeps. */
export function keptSpec(report: Report): TopLevelSpec {
  const masks = orderMasks(report.layers.flatMap((l) => Object.keys(l.kept)));
  const values = report.layers.flatMap((l) =>
    masks.filter((m) => m in l.kept).map((m) => ({
      layer: l.name, mask: maskLabel(m), kept: l.kept[m], weights: l.weights, fraction: l.kept[m] / l.weights,
    })));
  return {
    $schema: SCHEMA, config: CONFIG, width: WIDTH, height: 240, data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 2 },
    encoding: {
      x: { field: 'layer', type: 'nominal', sort: report.layers.map((l) => l.name), axis: layerAxis(report.layers.length) },
      xOffset: { field: 'mask', type: 'nominal', sort: masks.map(maskLabel) },
      y: { field: 'fraction', type: 'quantitative', title: 'fraction of weights kept', axis: { format: '.0%' } },
      color: { field: 'mask', type: 'nominal', scale: maskScale(masks), legend: { title: null, orient: 'top' } },
      tooltip: [
        { field: 'layer' }, { field: 'mask' }, { field: 'fraction', format: '.1%', title: 'kept' },
        { field: 'kept', format: ',.0f', title: 'weights kept' }, { field: 'weights', format: ',', title: 'weights' },
      ],
    },
  };
}

/** IoU and IoMin of the two task masks per layer, points on lines, with ± std bars from several seeds. */
export function iouSpec(report: Report): TopLevelSpec {
  const values = report.layers.flatMap((l) => [
    { layer: l.name, metric: 'IoU', value: l.iou, std: l.iouStd ?? 0 },
    { layer: l.name, metric: 'IoMin', value: l.iomin, std: l.iominStd ?? 0 },
  ]).map((d) => ({ ...d, lo: Math.max(0, d.value - d.std), hi: Math.min(1, d.value + d.std) }));
  const x = { field: 'layer', type: 'nominal' as const, sort: report.layers.map((l) => l.name), axis: layerAxis(report.layers.length) };
  const color = { field: 'metric', type: 'nominal' as const, scale: { domain: ['IoU', 'IoMin'], range: ['#7c3aed', '#0d9488'] },
    legend: { title: null, orient: 'top' as const } };
  const y = { field: 'value', type: 'quantitative' as const, scale: { domain: [0, 1] }, title: 'overlap', axis: { format: '.0%' } };
  return {
    $schema: SCHEMA, config: CONFIG, width: WIDTH, height: 220, data: { values },
    layer: [
      ...(values.some((d) => d.std > 0)
        ? [{ mark: { type: 'rule' as const, strokeWidth: 1.5 },
          encoding: { x, color, y: { field: 'lo', type: 'quantitative' as const }, y2: { field: 'hi' } } }]
        : []),
      { mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 2 },
        encoding: { x, y, color, tooltip: [{ field: 'layer' }, { field: 'metric' }, { field: 'value', format: '.3f' }, { field: 'std', format: '.3f', title: '± std' }] } },
    ],
  };
}

const OUTCOMES = { add: '= + result', mul: '= × result', neither: 'neither' } as const;

/** Per mask (one panel each), per true op: the share of outputs equal to the + result, the × result, or neither. */
export function confusionSpec(report: Report): TopLevelSpec | undefined {
  if (!report.confusion || report.classRemoval || Object.keys(report.confusion).length === 0) return undefined;
  const masks = orderMasks(Object.keys(report.confusion));
  const values = masks.flatMap((m) => Object.entries(report.confusion![m]).flatMap(([op, row]) =>
    (Object.keys(OUTCOMES) as (keyof typeof OUTCOMES)[]).map((o, i) => ({
      mask: maskLabel(m), op: `true ${setLabel(op)}`, outcome: OUTCOMES[o], order: i, value: row[o] ?? 0,
    }))));
  return {
    $schema: SCHEMA, config: CONFIG, data: { values },
    facet: { column: { field: 'mask', type: 'nominal', sort: masks.map(maskLabel), title: null, header: { labelOrient: 'bottom' } } },
    spacing: 10,
    spec: {
      width: Math.max(60, Math.floor(WIDTH / masks.length) - 24), height: 170,
      mark: { type: 'bar' },
      encoding: {
        x: { field: 'op', type: 'nominal', title: null, axis: { labelAngle: 0 } },
        y: { field: 'value', type: 'quantitative', stack: 'normalize', title: 'share of outputs', axis: { format: '.0%' } },
        color: { field: 'outcome', type: 'nominal', scale: { domain: Object.values(OUTCOMES), range: ['#2563eb', '#ea580c', '#d1d5db'] },
          legend: { title: null, orient: 'top' } },
        order: { field: 'order' },
        tooltip: [{ field: 'mask' }, { field: 'op' }, { field: 'outcome' }, { field: 'value', format: '.1%', title: 'share' }],
      },
    },
  };
}

/** Keep-probability histogram, one panel per mask, counts on a log axis (empty bins left out). */
export function histogramSpec(report: Report): TopLevelSpec | undefined {
  const h = report.histogram;
  if (!h) return undefined;
  const masks = orderMasks(Object.keys(h.counts));
  const values = masks.flatMap((m) => h.counts[m].map((count, i) => ({ mask: maskLabel(m), lo: h.edges[i], hi: h.edges[i + 1], count })))
    .filter((d) => d.count > 0);
  const cols = Math.min(masks.length, 3);
  const top = Math.max(1, ...values.map((d) => d.count));
  const decades = Array.from({ length: Math.ceil(Math.log10(top)) + 1 }, (_, i) => 10 ** i);
  return {
    $schema: SCHEMA, config: CONFIG, data: { values },
    facet: { field: 'mask', type: 'nominal', sort: masks.map(maskLabel), title: null },
    columns: cols, spacing: 16,
    spec: {
      width: Math.floor(WIDTH / cols) - 30, height: 150,
      mark: { type: 'bar', binSpacing: 1 },
      encoding: {
        x: { field: 'lo', type: 'quantitative', bin: { binned: true }, title: 'keep probability σ(logit)', scale: { domain: [0, 1] } },
        x2: { field: 'hi' },
        y: { field: 'count', type: 'quantitative', stack: null, scale: { type: 'log' }, title: 'weights', axis: { format: '~s', values: decades } },
        color: { field: 'mask', type: 'nominal', scale: maskScale(masks), legend: null },
        tooltip: [{ field: 'mask' }, { field: 'lo', title: 'from' }, { field: 'hi', title: 'to' }, { field: 'count', format: ',' }],
      },
    },
  };
}

/**
 * Total shared vs the swept value (left) and every mask's accuracy per eval set (right); `compared` are the
 * two masks total shared compares (taskMasks).
 */
export function sweepSpec(points: readonly SweepPoint[] | undefined, kind: 'beta' | 'width', compared: [string, string]): TopLevelSpec | undefined {
  if (!points?.length) return undefined;
  const isBeta = kind === 'beta';
  const [a, b] = compared.map(setLabel);
  const xs = points.map((p) => p.value);
  const x = {
    field: 'value', type: 'quantitative' as const, title: isBeta ? 'β (mask loss weight)' : 'hidden width',
    scale: isBeta ? { type: 'log' as const } : { zero: false, nice: false, padding: 12 },
    axis: { values: xs, format: isBeta ? '.0e' : ',.0f' },
  };
  const shared = points.map((p) => ({ value: p.value, mean: p.totalShared.mean, std: p.totalShared.std,
    lo: p.totalShared.mean - p.totalShared.std, hi: p.totalShared.mean + p.totalShared.std }));
  const masks = orderMasks(points.flatMap((p) => Object.keys(p.accuracy)));
  const sets = [...new Set(points.flatMap((p) => Object.values(p.accuracy).flatMap((a) => Object.keys(a))))];
  const acc = points.flatMap((p) => masks.flatMap((m) => Object.entries(p.accuracy[m] ?? {}).map(([s, v]) => ({
    value: p.value, mask: maskLabel(m), set: `on ${setLabel(s)}`, mean: v.mean, std: v.std,
    lo: Math.max(0, v.mean - v.std), hi: Math.min(1, v.mean + v.std),
  }))));
  const panel = Math.floor((WIDTH - 80) / (sets.length + 1)) - 20;
  const tip = [{ field: 'value', title: kind }, { field: 'mean', format: '.3f' }, { field: 'std', format: '.3f', title: '± std' }];
  const bars = (rows: { std: number }[], color?: object) => rows.some((d) => d.std > 0)
    ? [{ mark: { type: 'rule' as const, color: '#7c3aed' }, encoding: { x, y: { field: 'lo', type: 'quantitative' as const }, y2: { field: 'hi' }, ...(color ? { color } : {}) } }]
    : [];
  const color = { field: 'mask', type: 'nominal' as const, scale: maskScale(masks), legend: { title: null, orient: 'bottom' as const, columns: 3 } };
  return {
    $schema: SCHEMA, config: CONFIG, spacing: 36,
    hconcat: [
      {
        width: panel, height: 200, data: { values: shared },
        layer: [
          ...bars(shared),
          { mark: { type: 'line', point: { size: 60, filled: true }, color: '#7c3aed', strokeWidth: 2 },
            encoding: { x, y: { field: 'mean', type: 'quantitative', title: `total shared (${a} ∩ ${b} / ${a})`, scale: { zero: false }, axis: { format: '.0%' } }, tooltip: tip } },
        ],
      },
      {
        data: { values: acc },
        facet: { column: { field: 'set', type: 'nominal', title: null } },
        spec: {
          width: panel, height: 200,
          layer: [
            ...bars(acc, color),
            { mark: { type: 'line', point: { size: 40, filled: true }, strokeWidth: 1.8 },
              encoding: { x, y: { field: 'mean', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
                color, tooltip: [{ field: 'mask' }, { field: 'set' }, ...tip] } },
          ],
        },
      },
    ],
  };
}

function thin(points: LossPoint[], max = 400): LossPoint[] {
  const every = Math.ceil(points.length / max);
  return every <= 1 ? points : points.filter((_, i) => i % every === 0 || i === points.length - 1);
}

/** Loss of base training (left) and of each mask stage (right), log y when every loss is positive. */
export function lossSpec(report: Report): TopLevelSpec | undefined {
  const t = report.training;
  if (!t || (!t.base.length && !Object.keys(t.stages).length)) return undefined;
  const stages = orderMasks(Object.keys(t.stages));
  const base = thin(t.base).map((p) => ({ ...p, curve: 'base training' }));
  const stageRows = stages.flatMap((s) => thin(t.stages[s]).map((p) => ({ ...p, curve: maskLabel(s) })));
  const positive = [...base, ...stageRows].every((p) => p.loss > 0);
  const losses = [...base, ...stageRows].map((p) => p.loss);
  const [lo, hi] = [Math.min(...losses), Math.max(...losses)].map((v) => Math.floor(Math.log10(v)));
  const ticks = Array.from({ length: hi - lo + 2 }, (_, i) => [10 ** (lo + i), 3 * 10 ** (lo + i)]).flat().map((v) => Number(v.toPrecision(1)));
  const y = positive
    ? { field: 'loss', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'loss', axis: { values: ticks, format: '~g' } }
    : { field: 'loss', type: 'quantitative' as const, scale: { zero: false }, title: 'loss' };
  const x = { field: 'step', type: 'quantitative' as const, title: 'step', axis: { format: ',.0f' } };
  const tip = [{ field: 'curve' }, { field: 'step' }, { field: 'loss', format: '.4f' }];
  const panel = Math.floor(WIDTH / 2) - 30;
  return {
    $schema: SCHEMA, config: CONFIG, spacing: 36,
    resolve: { scale: { color: 'independent' } },
    hconcat: [
      { width: panel, height: 200, title: { text: 'base training', anchor: 'start', fontSize: 12, fontWeight: 500 }, data: { values: base },
        mark: { type: 'line', color: '#475569', strokeWidth: 1.6 }, encoding: { x, y, tooltip: tip } },
      { width: panel, height: 200, title: { text: 'mask stages', anchor: 'start', fontSize: 12, fontWeight: 500 }, data: { values: stageRows },
        mark: { type: 'line', strokeWidth: 1.6 },
        encoding: { x, y, tooltip: tip,
          color: { field: 'curve', type: 'nominal', scale: { domain: stages.map(maskLabel), range: stages.map(maskColor) },
            legend: { title: null, orient: 'top-right', fillColor: 'rgba(255,255,255,0.85)', padding: 4 } } } },
    ],
  };
}

/** Where the masks settle: each stage's kept share (left) and total shared (right) against mask steps. */
export function settlingSpec(report: Report): TopLevelSpec | undefined {
  const s = report.settling;
  if (!s || s.steps.length < 2) return undefined;
  const stages = orderMasks(Object.keys(s.kept));
  const kept = stages.flatMap((stage) => s.steps.map((step, i) => ({ step, mask: maskLabel(stage), value: s.kept[stage][i] })));
  const shared = s.steps.map((step, i) => ({ step, value: s.shared[i] }));
  const [a, b] = taskMasks(report).map(setLabel);
  const x = { field: 'step', type: 'quantitative' as const, title: 'mask steps', axis: { values: s.steps, format: ',.0f' } };
  const tip = [{ field: 'step', title: 'mask steps' }, { field: 'value', format: '.1%' }];
  const panel = Math.floor(WIDTH / 2) - 30;
  return {
    $schema: SCHEMA, config: CONFIG, spacing: 36,
    hconcat: [
      { width: panel, height: 200, data: { values: kept },
        mark: { type: 'line', point: { size: 40, filled: true }, strokeWidth: 1.8 },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: 'share of masked weights kept', axis: { format: '.0%' } },
          color: { field: 'mask', type: 'nominal', scale: maskScale(stages), legend: { title: null, orient: 'top' } },
          tooltip: [{ field: 'mask' }, ...tip] } },
      { width: panel, height: 200, data: { values: shared },
        mark: { type: 'line', point: { size: 60, filled: true }, color: '#7c3aed', strokeWidth: 2 },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: `total shared (${a} ∩ ${b} / ${a})`, scale: { zero: false }, axis: { format: '.0%' } }, tooltip: tip } },
    ],
  };
}

export interface ReportPlot {
  /** Element id suffix and key, e.g. "kept". */
  id: string;
  title: string;
  /** One sentence on how to read the plot. */
  caption: string;
  spec: TopLevelSpec;
}

/** scan-lstm: per output token, the percent of its full-mask row weights the jump mask removes. */
export function tokenRemovedSpec(report: Report): TopLevelSpec | undefined {
  if (!report.tokenRemoved) return undefined;
  const values = Object.entries(report.tokenRemoved).map(([token, removed]) => ({ token: token.replace(/^I_/, ''), removed, jump: token === 'I_JUMP' }));
  return {
    $schema: SCHEMA, config: CONFIG, width: WIDTH, height: 220, data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 3 },
    encoding: {
      x: { field: 'token', type: 'nominal', sort: null, axis: { labelAngle: 0, title: null } },
      y: { field: 'removed', type: 'quantitative', title: 'removed by the jump mask (% of the full mask’s row)' },
      color: { field: 'jump', type: 'nominal', legend: null, scale: { domain: [false, true], range: ['#94a3b8', '#dc2626'] } },
      tooltip: [{ field: 'token' }, { field: 'removed', format: '.1f', title: 'removed %' }],
    },
  };
}

/** Titles and reading guides of the β and width curves (a run's report and a sweep's). */
export const SWEEP_PLOT = {
  beta: { title: 'Sweep over β',
    caption: 'Larger β prunes harder; a finding that holds at every β (sharing, which mask breaks which task) is not an artefact of one setting.' },
  width: { title: 'Sweep over network width',
    caption: 'Total shared against hidden width: the paper finds that wider networks share a smaller part of their weights between tasks.' },
};

/** Every plot the report has data for, in page order, with a title and a one-line reading guide. */
export function reportPlots(report: Report): ReportPlot[] {
  const [a, b] = taskMasks(report).map(setLabel);
  const plots: (Omit<ReportPlot, 'spec'> & { spec: TopLevelSpec | undefined })[] = [
    { id: 'reuse', title: 'Do new tasks reuse the earlier tasks’ weights?', spec: reuseSpec(report),
      caption: 'Per layer and task: the share of the new task’s mask that lies in U, the union of the earlier tasks’ masks (solid), against U’s share of the layer (dashed) — the share a mask blind to U would find there. Solid above dashed: the new task prefers the old weights. The first layer is drawn afresh for every task.' },
    { id: 'class-drop', title: 'What removing a class costs', spec: classDropSpec(report),
      caption: 'Per class: how much of its full-mask accuracy it loses when the mask is trained without it (red), beside the largest loss of any other class (grey). A tall red bar over a short grey one means that class had weights of its own.' },
    { id: 'class-confusion', title: 'Confusion matrices', spec: classConfusionSpec(report),
      caption: 'Top: the full mask’s predictions per true class (rows sum to 100 %). Below: each class-removal mask minus the full mask — blue where predictions grew, red where they shrank; a red diagonal cell alone means only the removed class was hit.' },
    { id: 'kept', title: 'Weights kept per layer', spec: keptSpec(report),
      caption: report.classRemoval || report.reuse
        ? 'Each bar is the share of a layer’s weights that a mask keeps (the full mask and each class-removal mask, or each task’s mask).'
        : `Each bar is the share of a layer's weights that a mask keeps; ${a} and ${b} masks far smaller than the full mask mean each task needs only a small sub-network.` },
    { id: 'iou', title: `Overlap of the ${a} and ${b} masks per layer`, spec: report.classRemoval || report.reuse ? undefined : iouSpec(report),
      caption: `Low IoU in the hidden layers means ${a} and ${b} use different weights; IoMin near 100 % would mean the smaller mask sits inside the larger one.` },
    { id: 'confusion', title: 'What each mask outputs', spec: confusionSpec(report),
      caption: 'For each mask and true operation, how often the output equals the + result, the × result, or neither: a + mask that answers × questions with the + result keeps + but has lost ×.' },
    { id: 'token-removed', title: 'Output tokens: weights the jump mask removes', spec: tokenRemovedSpec(report),
      caption: 'For each output token, the share of its decoder output-row weights kept by the full mask that the jump mask drops: the jump train set never asks for JUMP in context, so its row loses the most.' },
    { id: 'histogram', title: 'Keep probabilities', spec: histogramSpec(report),
      caption: histogramCaption(report) },
    { id: 'sweep-beta', ...SWEEP_PLOT.beta, spec: sweepSpec(report.sweeps?.beta, 'beta', taskMasks(report)) },
    { id: 'sweep-width', ...SWEEP_PLOT.width, spec: sweepSpec(report.sweeps?.width, 'width', taskMasks(report)) },
    { id: 'settling', title: 'Where the masks settle', spec: settlingSpec(report),
      caption: `Kept weights of every stage and total shared of the ${a} and ${b} masks after each share of the mask steps (cut at probability 0.5): flat lines at the right mean a longer run (--steps) would report the same figures.` },
    { id: 'loss', title: 'Loss curves', spec: lossSpec(report),
      caption: 'Base training and each mask stage (first seed); a stage loss includes the β·Σlogit term, so it keeps falling while the mask sheds weights.' },
  ];
  return plots.filter((p): p is ReportPlot => p.spec !== undefined);
}

/** The histogram's caption says whether the masks are near binary, as the counts show. */
function histogramCaption(report: Report): string {
  const open = unconverged(report);
  const how = 'Weights per bin of keep probability σ(logit) on a log axis.';
  if (open.length === 0) return `${how} Every stage has less than ${CONVERGED_BELOW * 100} % of its logits between ${UNDECIDED[0]} and ${UNDECIDED[1]}: the masks are close to binary, so cutting them at 0.5 changes little.`;
  return `${how} Not yet binary: ${open.map(([s, v]) => `${(v * 100).toFixed(0)} % of the ${s} mask`).join(', ')} lies between ${UNDECIDED[0]} and ${UNDECIDED[1]}, so kept counts and overlaps depend on the cut at 0.5.`;
}
