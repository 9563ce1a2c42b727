/**
 * Opening results of the CLI: a report.json (the table, every plot, the loss curves) or safetensors
 * checkpoints from a run folder — mask logits (seed-N/mask-full|add|mul.safetensors: kept weights, heat
 * maps, keep-probability histograms, and the + / × overlap when both are open) or base weights (heat
 * maps of |w|). Loaded on demand, so the page does not carry the decoder until it is needed.
 */
import { decodeSafetensors, type DecodedTensor } from '../engine/io/safetensors.js';
import { iominPerLayer, iouPerLayer, keptCounts, probabilityHistogram, totalShared } from '../masking/analysis.js';
import { histogramSpec, orderMasks } from '../report/specs.js';
import type { Report } from '../report/types.js';
import type { Board, HeatSets } from './board.js';
import { heatMap } from './heat.js';
import { bands } from './specs.js';
import { duration } from './tables.js';

export interface Opened {
  /** One line for the status strip. */
  summary: string;
  report?: Report;
}

export async function openFiles(files: File[], board: Board): Promise<Opened> {
  if (files.length === 1 && /\.json$/i.test(files[0].name)) return openReport(files[0], board);
  const bad = files.find((f) => !/\.safetensors$/i.test(f.name));
  if (bad) throw new Error(`${bad.name}: open a report.json, or one or more .safetensors checkpoints`);
  return openCheckpoints(files, board);
}

async function openReport(file: File, board: Board): Promise<Opened> {
  let report: Report;
  try {
    report = JSON.parse(await file.text()) as Report;
  } catch (e) {
    throw new Error(`${file.name} is not JSON: ${(e as Error).message}`);
  }
  if (!report || typeof report !== 'object' || !report.accuracy || !Array.isArray(report.layers)) {
    throw new Error(`${file.name} is not a maskscope report.json (no accuracy table or layers)`);
  }
  board.clear({
    loss: 'This report has no loss curves.', accuracy: 'report.json keeps the final accuracies only: they are in the table.',
    kept: '', iou: '', heat: 'report.json holds no mask logits: open the run\'s seed-N/mask-*.safetensors to see them here.',
  });
  const stages = Object.keys(report.training?.stages ?? {});
  const cfg = report.config as { baseSteps?: number; maskSteps?: number };
  if (report.training && cfg.baseSteps !== undefined && cfg.maskSteps !== undefined) {
    const b = bands(cfg.baseSteps, cfg.maskSteps, stages);
    const at = Object.fromEntries(b.map((x) => [x.phase, x]));
    const rows = [['base', report.training.base] as const, ...stages.map((s) => [s, report.training!.stages[s]] as const)]
      .flatMap(([phase, curve]) => curve.map((p) => ({ x: at[phase].x0 + p.step, step: p.step, loss: p.loss, phase: at[phase].label })));
    board.timelines(b, ['base', ...stages], rows, null, []);
  }
  board.layers({
    names: report.layers.map((l) => l.name), weights: report.layers.map((l) => l.weights),
    kept: Object.fromEntries(orderMasks(Object.keys(report.layers[0]?.kept ?? {})).map((m) => [m, report.layers.map((l) => l.kept[m])])),
    iou: report.layers.map((l) => l.iou), iomin: report.layers.map((l) => l.iomin),
  });
  board.results(report);
  const seeds = report.seeds?.length > 1 ? `seeds ${report.seeds.join(', ')}` : `seed ${report.seed}`;
  return { report, summary: `${file.name}: ${report.experiment}, ${report.size}, ${seeds}, ${report.backend} (${report.device}), ${duration(report.seconds)}` };
}

interface Checkpoint {
  phase: string;
  tensors: Record<string, DecodedTensor>;
}

async function openCheckpoints(files: File[], board: Board): Promise<Opened> {
  const opened: Checkpoint[] = [];
  for (const f of files) {
    let decoded: ReturnType<typeof decodeSafetensors>;
    try {
      decoded = decodeSafetensors(new Uint8Array(await f.arrayBuffer()));
    } catch (e) {
      throw new Error(`${f.name}: ${(e as Error).message}`);
    }
    opened.push({ phase: decoded.metadata.phase ?? f.name.replace(/\.safetensors$/i, ''), tensors: decoded.tensors });
  }
  const masks = opened.filter((c) => c.phase.startsWith('mask-'));
  const base = opened.find((c) => !c.phase.startsWith('mask-'));
  board.clear({
    loss: 'Checkpoints hold no loss curves: open report.json for them.', accuracy: 'Checkpoints hold no accuracies: open report.json for them.',
    kept: 'Open a mask checkpoint (mask-full, mask-add or mask-mul.safetensors) to see the weights it keeps.',
    iou: 'Open both mask-add.safetensors and mask-mul.safetensors to see their overlap.', heat: '',
  });
  const heat: HeatSets = {};
  const matrices = (c: Checkpoint) => Object.entries(c.tensors).filter(([name, t]) => t.shape.length === 2 && (c.phase.startsWith('mask-') || /weight$/.test(name)));
  if (masks.length) {
    const names = matrices(masks[0]).map(([n]) => n);
    const byStage = Object.fromEntries(masks.map((c) => [c.phase.slice(5), names.map((n) => {
      if (!c.tensors[n]) throw new Error(`${c.phase}: no logits for ${n}, which ${masks[0].phase} has: are these from the same run?`);
      return c.tensors[n];
    })]));
    const stages = orderMasks(Object.keys(byStage));
    const host = Object.fromEntries(stages.map((s) => [s, byStage[s].map((t) => Uint8Array.from(t.data, (v) => (v > 0 ? 1 : 0)))]));
    const pair = ['add', 'mul'].every((s) => s in host) ? (['add', 'mul'] as const) : undefined;
    board.layers({
      names, weights: byStage[stages[0]].map((t) => t.data.length),
      kept: Object.fromEntries(stages.map((s) => [s, keptCounts(host[s])])),
      ...(pair ? { iou: iouPerLayer(host.add, host.mul), iomin: iominPerLayer(host.add, host.mul) } : {}),
    });
    if (pair) board.shared(totalShared(host.add, host.mul));
    for (const s of stages) heat[s] = names.map((n, i) => heatMap(n, byStage[s][i].shape as [number, number], byStage[s][i].data));
    const hist = Object.fromEntries(stages.map((s) => [s, probabilityHistogram(byStage[s].map((t) => t.data))]));
    board.histogramPlot(histogramSpec({ histogram: { edges: hist[stages[0]].edges, counts: Object.fromEntries(stages.map((s) => [s, hist[s].counts])) } } as Report));
  }
  if (base) {
    heat.base = matrices(base).map(([n, t]) => {
      let max = 0;
      for (const v of t.data) max = Math.max(max, Math.abs(v));
      return heatMap(n, t.shape as [number, number], t.data, undefined, (v) => Math.abs(v) / (max || 1));
    });
  }
  board.heatMaps(heat, masks.length ? undefined : 'base');
  return { summary: `opened ${opened.map((c) => c.phase).join(', ')} (${files.map((f) => f.name).join(', ')})` };
}
