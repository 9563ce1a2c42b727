/**
 * permuted-transfer (docs/experiments.md#permuted-transfer): does a network that learns a sequence of tasks
 * reuse the weights the earlier tasks needed? An MLP 784-800-800-64-10 learns Fashion-MNIST under a
 * sequence of pixel permutations (task 0 the identity, task p a seeded permutation). For each task, the
 * weights inside U, the union of the earlier tasks' masks, are kept and frozen; all others are drawn afresh
 * (the first layer always); then the weights and the task's own mask train together. The report gives,
 * per layer and task, how much of the new mask lies inside U. The phases are experiments/permuted-phases.ts.
 */
import { tensor } from '../engine/create.js';
import { argmax, crossEntropy } from '../engine/ops.js';
import { noGrad, tidy } from '../engine/state.js';
import { drawIndex } from '../data/arithmetic.js';
import { seededPermutation } from '../data/permutation.js';
import type { ImageSet, ImageSplit } from '../data/image-split.js';
import { loadedImages, prepareImages, type ImageDataConfig, type LoadedImages } from './image-data.js';
import type { Masked } from '../masking/masked-run.js';
import type { Batch } from '../masking/train-stage.js';
import { MLP } from '../models/mlp.js';
import { xavierParameters } from '../models/xavier.js';
import { runPermutedPhases, taskNames } from './permuted-phases.js';
import type { BaseConfig, EvalResult, ExperimentDef, Size } from './types.js';

export interface PermutedConfig extends BaseConfig, ImageDataConfig {
  /** Which image set: fashion-mnist (the default, from its Debian package) or mnist (from --data-dir). */
  dataset: 'fashion-mnist' | 'mnist';
  /** Tasks, the first being the unpermuted images. */
  tasks: number;
  /** Initial mask logit of the weights outside U (2, 0 or -1 in the authors' three variants). */
  newMaskInit: number;
  /** Initial mask logit of the weights inside U. */
  usedMaskInit: number;
  /** Evaluate each task on at most this many test rows (all when absent). */
  evalLimit?: number;
}

const PIXELS = 28 * 28;
const CLASSES = 10;
/** Seed stream of the task permutations: they depend on the task only, as the authors' (the same for every run seed). */
const PERMUTATION_STREAM = 0x7e11;

/**
 * Paper: the authors' configuration (11 tasks × 30,000 steps; there is no separate base training).
 * Small: hidden 256, 256, 64, 4 tasks × 1,000 steps, 2,000 test rows per task, for 2 CPU cores
 * (docs/experiments.md#sizes).
 */
export function permutedConfig(size: Size): PermutedConfig {
  // baseSteps, baseLr and baseClip are unused (no base training): maskLr and maskClip drive the joint Adam.
  const common = {
    dataset: 'fashion-mnist' as const, hidden: [800, 800, 64], batch: 128, baseSteps: 0, baseLr: 1e-2, baseClip: 1,
    maskLr: 1e-2, beta: 1.28e-3, samples: 8, maskClip: 1, evalBatch: 1000, newMaskInit: 2, usedMaskInit: 2, splitSeed: 0,
  };
  return size === 'paper'
    ? { ...common, tasks: 11, maskSteps: 30_000 }
    : { ...common, hidden: [256, 256, 64], tasks: 4, maskSteps: 1_000, evalLimit: 2_000 };
}

/** Task p's pixel order: identity for task 0, else a permutation seeded by p. */
const permutations = new Map<number, Int32Array>();
function pixelOrder(task: number): Int32Array {
  let order = permutations.get(task);
  if (!order) {
    order = task === 0 ? Int32Array.from({ length: PIXELS }, (_, i) => i) : seededPermutation(PIXELS, task, PERMUTATION_STREAM);
    permutations.set(task, order);
  }
  return order;
}

/** Rows of a split as [n, 784] under task p's permutation: pixel j of a row is the image's pixel order[j]. */
function permutedRows(split: ImageSplit, rows: ArrayLike<number>, task: number): Float32Array {
  const order = pixelOrder(task);
  const out = new Float32Array(rows.length * PIXELS);
  for (let r = 0; r < rows.length; r++) {
    const from = rows[r] * PIXELS;
    for (let j = 0; j < PIXELS; j++) out[r * PIXELS + j] = split.images[from + order[j]];
  }
  return out;
}

const data = (cfg: PermutedConfig): LoadedImages => loadedImages('permuted-transfer', cfg);

/** 28×28 grey images only: the permutations and the first layer are made for 784 pixels. */
function checkPixels(cfg: PermutedConfig) {
  return (set: ImageSet): void => {
    const [, c, h, w] = set.train.shape;
    if (c * h * w !== PIXELS) throw new Error(`permuted-transfer: needs 28×28 grey images (MNIST, Fashion-MNIST), ${cfg.dataset} has ${c}×${h}×${w}`);
  };
}

/** Phase `task-p`, step `step`: a batch of train rows drawn with replacement, under permutation p. */
function trainBatch(cfg: PermutedConfig, seed: number, phase: string, step: number): Batch {
  const task = Number(phase.slice(5));
  const split = data(cfg).train;
  const rows = Array.from({ length: cfg.batch }, (_, r) => drawIndex(seed, task + 1, step, r, split.labels.length));
  return { x: tensor(permutedRows(split, rows, task), [cfg.batch, PIXELS]), y: tensor(Int32Array.from(rows, (i) => split.labels[i]), [cfg.batch]) };
}

/** Accuracy on the test set of the task named by `evalSet` (task-p), at most cfg.evalLimit rows. */
async function evaluate(run: Masked<MLP>, cfg: PermutedConfig, _seed: number, evalSet: string): Promise<EvalResult> {
  const task = Number(evalSet.slice(5));
  const split = data(cfg).test;
  const count = Math.min(split.labels.length, cfg.evalLimit ?? Infinity);
  let correct = 0;
  for (let start = 0; start < count; start += cfg.evalBatch) {
    const rows = Array.from({ length: Math.min(cfg.evalBatch, count - start) }, (_, i) => start + i);
    const predicted = tidy(() => noGrad(() => run((m) => argmax(m.forward(tensor(permutedRows(split, rows, task), [rows.length, PIXELS]))))));
    const out = await predicted.toArray();
    predicted.dispose();
    correct += rows.filter((row, i) => out[i] === split.labels[row]).length;
  }
  return { accuracy: count === 0 ? 0 : correct / count };
}

function model(cfg: PermutedConfig): MLP {
  const mlp = new MLP([PIXELS, ...cfg.hidden, CLASSES]);
  for (const [param, value] of xavierParameters(mlp)) param.assign(value);
  return mlp;
}

export const permutedTransfer: ExperimentDef<PermutedConfig, MLP, Batch> = {
  name: 'permuted-transfer',
  aliases: ['permuted-mnist'],
  description: 'Permuted Fashion-MNIST: do later tasks reuse the weights that earlier tasks needed?',
  config: permutedConfig,
  model,
  // The tasks are the stages; their number is a setting (phases), so this lists the paper's eleven.
  stages: taskNames(permutedConfig('paper')),
  phases: (cfg) => taskNames(cfg),
  evalSets: ['test'],
  compared: ['task-0', 'task-1'],
  batch: trainBatch,
  regRows: (cfg) => cfg.batch,
  loss: (m, b) => crossEntropy(m.forward(b.x), b.y),
  evaluate,
  evalMasks: () => ({}),
  halfMask: false,
  maskBiases: true,
  runPhases: runPermutedPhases,
  prepare: (cfg) => prepareImages(cfg, checkPixels(cfg)),
};
