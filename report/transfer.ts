/**
 * Permuted transfer's report parts: the sentences and the plot of reuse — how much of each new task's mask
 * lies inside U, the union of the earlier tasks' masks, against the share of the layer U covers (what a
 * mask blind to U would find inside it by chance). Weight tensors only, as the authors plot them.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONFIG, SCHEMA, WIDTH } from './spec-style.js';
import type { Report } from './types.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)}\u202f%`;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const weightLayers = (r: Report): string[] => Object.keys(r.reuse ?? {}).filter((l) => l.endsWith('.weight'));

/** Per weight layer: mean over tasks of the share inside U and of U's share of the layer. */
export function reuseByLayer(r: Report): { layer: string; inside: number; chance: number }[] {
  return weightLayers(r).map((layer) => {
    const tasks = Object.keys(r.reuse![layer]);
    return { layer, inside: mean(tasks.map((t) => r.reuse![layer][t])), chance: mean(tasks.map((t) => r.reuseChance?.[layer]?.[t] ?? 0)) };
  });
}

export function transferFindings(r: Report): string[] {
  const rows = reuseByLayer(r);
  if (rows.length === 0) return [];
  const tasks = Object.keys(r.reuse![rows[0].layer]);
  // The first layer is drawn afresh for every task, so its "reuse" is of positions, not of trained weights.
  const hidden = rows.slice(1);
  const verdict = hidden.every((x) => x.inside > x.chance + 0.05)
    ? 'more than chance in every layer after the first: new tasks build on the weights earlier tasks trained'
    : hidden.every((x) => x.inside < x.chance - 0.05)
      ? 'less than chance in every layer after the first: new tasks keep mostly fresh weights'
      : 'close to chance or mixed across layers: the masks do not clearly prefer the earlier tasks’ weights';
  const accuracy = Object.entries(r.accuracy).map(([t, row]) => `${t.replace('task-', '')}: ${pct(row.test)}`).join(', ');
  return [
    `Over tasks ${tasks.map((t) => t.replace('task-', '')).join(', ')}, the share of each new mask inside the earlier tasks’ union U is ${rows.map((x) => `${x.layer} ${pct(x.inside)} (chance ${pct(x.chance)})`).join(', ')} — ${verdict}.`,
    `Test accuracy of each task under its own mask, right after it was learnt: ${accuracy}.`,
  ];
}

/** Per weight layer, a line over the tasks: the share of the new mask inside U (solid) and U's share of the layer (dashed). */
export function reuseSpec(r: Report): TopLevelSpec | undefined {
  const layers = weightLayers(r);
  if (layers.length === 0) return undefined;
  const values = layers.flatMap((layer) => Object.entries(r.reuse![layer]).flatMap(([task, inside]) => [
    { layer, task: Number(task.replace('task-', '')), what: 'new mask inside U', value: inside },
    { layer, task: Number(task.replace('task-', '')), what: 'U’s share of the layer (chance)', value: r.reuseChance?.[layer]?.[task] ?? 0 },
  ]));
  return {
    $schema: SCHEMA, config: CONFIG, width: WIDTH, height: 240, data: { values },
    mark: { type: 'line', point: { size: 50, filled: true }, strokeWidth: 2 },
    encoding: {
      x: { field: 'task', type: 'ordinal', title: 'task' },
      y: { field: 'value', type: 'quantitative', title: 'share', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      color: { field: 'layer', type: 'nominal', legend: { title: null, orient: 'top' } },
      strokeDash: { field: 'what', type: 'nominal', scale: { domain: ['new mask inside U', 'U’s share of the layer (chance)'], range: [[1, 0], [5, 4]] }, legend: { title: null, orient: 'top' } },
      tooltip: [{ field: 'layer' }, { field: 'task' }, { field: 'what' }, { field: 'value', format: '.1%' }],
    },
  };
}
