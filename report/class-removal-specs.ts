/**
 * Class removal plots (Vega-Lite specs, pure functions like specs.ts): the full mask's row-normalised
 * confusion matrix, each class stage's difference from it as heat maps, and the relative drops per class.
 */
import type { TopLevelSpec } from 'vega-lite';
import { classLabel } from './class-removal.js';
import { CONFIG, SCHEMA, WIDTH } from './spec-style.js';
import type { Report } from './types.js';
const CELL = 14;

/** Cells of one mask's confusion matrix (or its difference from the full mask's). */
function cells(report: Report, mask: string, minus?: string) {
  const label = (k: string) => classLabel(report.config.dataset, k);
  const table = report.confusion![mask];
  return Object.entries(table).flatMap(([truth, row]) => Object.entries(row).map(([predicted, share]) => ({
    panel: mask === 'full' ? 'full mask' : `without ${label(mask)}`,
    truth: label(truth), predicted: label(predicted),
    value: minus ? share - report.confusion![minus][truth][predicted] : share,
  })));
}

function heatmap(values: ReturnType<typeof cells>, classes: string[], color: object, title: string) {
  const axis = { labelFontSize: 9, labelLimit: 70 };
  return {
    data: { values },
    mark: { type: 'rect' as const },
    width: CELL * classes.length, height: CELL * classes.length,
    encoding: {
      x: { field: 'predicted', type: 'nominal' as const, sort: classes, title: 'predicted', axis: { ...axis, labelAngle: -50 } },
      y: { field: 'truth', type: 'nominal' as const, sort: classes, title: 'true class', axis },
      color: { field: 'value', type: 'quantitative' as const, title, ...color },
      tooltip: [{ field: 'panel' }, { field: 'truth', title: 'true' }, { field: 'predicted' }, { field: 'value', format: '+.1%', title }],
    },
  };
}

/** The full mask's confusion (share of each true class's rows per prediction), then one difference panel per class stage. */
export function classConfusionSpec(report: Report): TopLevelSpec | undefined {
  if (!report.classRemoval || !report.confusion?.full) return undefined;
  const stages = Object.keys(report.classRemoval);
  const classes = Object.keys(report.confusion.full).map((k) => classLabel(report.config.dataset, k));
  const full = heatmap(cells(report, 'full'), classes, { scale: { scheme: 'blues', domain: [0, 1] } }, 'share');
  const diff = heatmap(stages.flatMap((s) => cells(report, s, 'full')), classes,
    { scale: { scheme: 'redblue', domain: [-1, 1] }, legend: { format: '+.0%' } }, 'change');
  return {
    $schema: SCHEMA, config: CONFIG,
    vconcat: [
      { ...full, title: 'full mask' },
      { data: diff.data, facet: { field: 'panel', type: 'nominal', title: null, sort: stages.map((s) => `without ${classLabel(report.config.dataset, s)}`) },
        columns: 4, spec: { mark: diff.mark, width: diff.width, height: diff.height, encoding: diff.encoding } },
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

/** Per removed class: its own relative drop beside the largest relative drop of any other class. */
export function classDropSpec(report: Report): TopLevelSpec | undefined {
  if (!report.classRemoval) return undefined;
  const label = (k: string) => classLabel(report.config.dataset, k);
  const values = Object.entries(report.classRemoval).flatMap(([c, d]) => [
    { cls: label(c), which: 'removed class', drop: d.removedDrop, other: label(c) },
    { cls: label(c), which: 'worst other class', drop: d.worstOtherDrop, other: label(d.worstOtherClass) },
  ]);
  return {
    $schema: SCHEMA, config: CONFIG, width: WIDTH, height: 220, data: { values },
    mark: { type: 'bar', cornerRadiusEnd: 2 },
    encoding: {
      x: { field: 'cls', type: 'nominal', sort: null, title: 'class whose weights were removed', axis: { labelAngle: 0 } },
      xOffset: { field: 'which', type: 'nominal' },
      y: { field: 'drop', type: 'quantitative', title: 'relative drop vs full mask', axis: { format: '.0%' } },
      color: { field: 'which', type: 'nominal', scale: { domain: ['removed class', 'worst other class'], range: ['#dc2626', '#94a3b8'] },
        legend: { title: null, orient: 'top' } },
      tooltip: [{ field: 'cls', title: 'removed' }, { field: 'which' }, { field: 'other', title: 'class' }, { field: 'drop', format: '.1%', title: 'relative drop' }],
    },
  };
}
