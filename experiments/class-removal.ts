/**
 * cnn-class-removal (docs/experiments.md#class-removal): are there class-specific weights? The authors'
 * CNN learns Fashion-MNIST (or MNIST / CIFAR-10 from --data-dir); stage 0 ("full") masks it on every class,
 * then one stage per class c trains a mask on all data except class c, with the output layer's mask
 * copied from stage 0 and frozen. Each mask is evaluated per class on the validation set (a seeded 20 %
 * hold-out of the train set, as the authors'): accuracy[mask][class]. A removed class should drop sharply
 * while the others barely move. Biases are masked too.
 */
import { tensor } from '../engine/create.js';
import { argmax, crossEntropy } from '../engine/ops.js';
import { noGrad, tidy } from '../engine/state.js';
import { drawIndex } from '../data/arithmetic.js';
import { selectRows } from '../data/image-split.js';
import type { Masked } from '../masking/masked-run.js';
import type { Batch } from '../masking/train-stage.js';
import { ClassRemovalCnn } from '../models/cnn.js';
import { classRemovalDrops } from '../report/class-removal.js';
import { loadedImages, prepareImages, type ImageDataConfig, type LoadedImages } from './image-data.js';
import type { BaseConfig, EvalResult, ExperimentDef, Size } from './types.js';

export interface ClassRemovalConfig extends BaseConfig, ImageDataConfig {
  /** Which image set: fashion-mnist (the default, from its Debian package), mnist or cifar10. */
  dataset: 'fashion-mnist' | 'mnist' | 'cifar10';
  /** The four convolutions' channels. */
  channels: [number, number, number, number];
  dropout: boolean;
  /** Evaluate on at most this many validation rows per class (all when absent: quick looks, tests). */
  evalLimit?: number;
  /** 'no-dropout': the variant without dropout. */
  mode?: string;
}

const CLASSES = 10;
const STAGES = ['full', ...Array.from({ length: CLASSES }, (_, c) => `class-${c}`)];
const OUTPUT_LAYER = ['out_layer.weight', 'out_layer.bias'];

/**
 * Paper: the authors' configuration (20,000 base steps and 20,000 per stage). Small: channels 8, 16, 32,
 * 64, 1,000 base steps and 400 per stage, with mask lr and β ten times the paper's so that 400 steps prune
 * (at the paper's, 300 steps kept 99 % of the weights and no class dropped; docs/experiments.md#sizes).
 */
export function classRemovalConfig(size: Size): ClassRemovalConfig {
  const common = {
    dataset: 'fashion-mnist' as const, dropout: true, splitSeed: 0, batch: 128, baseLr: 1e-3, baseClip: 1,
    maskLr: 1e-3, beta: 3e-4, samples: 4, maskClip: 1, evalBatch: 500, hidden: [],
  };
  return size === 'paper'
    ? { ...common, channels: [32, 64, 128, 256], baseSteps: 20_000, maskSteps: 20_000 }
    : { ...common, channels: [8, 16, 32, 64], baseSteps: 1_000, maskSteps: 400, maskLr: 1e-2, beta: 3e-3, evalLimit: 300 };
}

const data = (cfg: ClassRemovalConfig): LoadedImages => loadedImages('cnn-class-removal', cfg);

/** Rows of `split` a phase trains on: all of them, or all but one class's for a class stage. */
const rowsCache = new Map<string, Int32Array>();
function phaseRows(cfg: ClassRemovalConfig, phase: string): Int32Array {
  const key = `${cfg.dataset}|${cfg.dataDir ?? ''}|${cfg.splitSeed}|${phase}`;
  let rows = rowsCache.get(key);
  if (!rows) {
    const { labels } = data(cfg).train;
    const removed = phase.startsWith('class-') ? Number(phase.slice(6)) : -1;
    rows = Int32Array.from(labels.keys()).filter((i) => labels[i] !== removed);
    rowsCache.set(key, rows);
  }
  return rows;
}

function trainBatch(cfg: ClassRemovalConfig, seed: number, phase: string, step: number): Batch {
  const split = data(cfg).train;
  const allowed = phaseRows(cfg, phase);
  const stream = ['base', ...STAGES].indexOf(phase);
  const picks = Array.from({ length: cfg.batch }, (_, r) => allowed[drawIndex(seed, stream, step, r, allowed.length)]);
  const rows = selectRows(split, picks);
  return { x: tensor(rows.images, rows.shape), y: tensor(rows.labels, [cfg.batch]) };
}

/**
 * Accuracy on one class's validation rows (evalSet `class-<c>`), at most cfg.evalLimit of them, and the
 * share of those rows predicted as each class (a row of the row-normalised confusion matrix).
 */
async function evaluate(run: Masked<ClassRemovalCnn>, cfg: ClassRemovalConfig, _seed: number, evalSet: string): Promise<EvalResult> {
  const split = data(cfg).valid;
  const cls = Number(evalSet.slice(6));
  const rows = Int32Array.from(split.labels.keys()).filter((i) => split.labels[i] === cls).slice(0, cfg.evalLimit ?? Infinity);
  const predicted = new Array<number>(CLASSES).fill(0);
  for (let start = 0; start < rows.length; start += cfg.evalBatch) {
    const chunk = rows.subarray(start, start + cfg.evalBatch);
    const { images, shape } = selectRows(split, chunk);
    const classes = tidy(() => noGrad(() => run((m) => argmax(m.forward(tensor(images, shape))))));
    const out = await classes.toArray();
    classes.dispose();
    for (const p of out) predicted[p]++;
  }
  const share = (n: number): number => (rows.length === 0 ? 0 : n / rows.length);
  return { accuracy: share(predicted[cls]), confusion: Object.fromEntries(predicted.map((n, c) => [`class-${c}`, share(n)])) };
}

export const cnnClassRemoval: ExperimentDef<ClassRemovalConfig, ClassRemovalCnn, Batch> = {
  name: 'cnn-class-removal',
  aliases: ['class-removal'],
  description: 'CNN class removal: does removing the weights only one class needs destroy that class alone?',
  config: classRemovalConfig,
  modes: ['dropout', 'no-dropout'],
  model: (cfg) => new ClassRemovalCnn({ inChannels: cfg.dataset === 'cifar10' ? 3 : 1, classes: CLASSES, channels: cfg.channels, dropout: cfg.dropout && cfg.mode !== 'no-dropout' }),
  stages: STAGES,
  evalSets: STAGES.slice(1),
  compared: ['full', 'class-0'],
  batch: trainBatch,
  regRows: (cfg) => cfg.batch,
  loss: (model, b) => crossEntropy(model.forward(b.x), b.y),
  evaluate,
  evalMasks: (st) => Object.fromEntries([['none', null], ...STAGES.map((s) => [s, st[s].keep()])]),
  halfMask: false,
  maskBiases: true,
  derived: (accuracy) => ({ classRemoval: classRemovalDrops(accuracy) }),
  stageSetup: (stage, set, earlier) => (stage === 'full' ? [] : set.copyFrom(earlier.full, OUTPUT_LAYER)),
  prepare: (cfg) => prepareImages(cfg),
};
