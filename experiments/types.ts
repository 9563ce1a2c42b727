/** What an experiment recipe provides to the generic runner (experiments/runner.ts). */
import type { Tensor } from '../engine/tensor.js';
import type { Batch } from '../masking/train-stage.js';
import type { BinaryMasks, MaskSet } from '../masking/mask-set.js';
import type { MLP } from '../models/mlp.js';
import type { Confusion } from '../masking/report-types.js';

export type Size = 'small' | 'paper';

export interface ArithConfig {
  /** Hidden layer widths of the MLP. */
  hidden: number[];
  batch: number;
  baseSteps: number;
  baseLr: number;
  baseClip: number;
  maskSteps: number;
  maskLr: number;
  /** β, mask_loss_weight. */
  beta: number;
  /** K, mask samples per step. */
  samples: number;
  maskClip: number;
  trainSize: number;
  validSize: number;
  /** Rows per evaluation forward pass. */
  evalBatch: number;
}

/** The model's forward pass, under whatever parameter substitutes the caller set up. */
export type Forward = (x: Tensor) => Tensor;

export interface EvalResult {
  accuracy: number;
  /** Per true op: how often the prediction equals the + result, the × result, or neither. */
  confusion?: Confusion[string];
}

export interface ExperimentDef {
  name: string;
  aliases: readonly string[];
  description: string;
  config(size: Size): ArithConfig;
  model(cfg: ArithConfig): MLP;
  /** Mask stages in order; the first is the control mask on the whole task. */
  stages: readonly string[];
  evalSets: readonly string[];
  /** The two task masks whose overlap the report measures. */
  compared: readonly [string, string];
  /** A training batch for 'base' or a mask stage, drawn with replacement, repeatable from (seed, step). */
  batch(cfg: ArithConfig, seed: number, phase: string, step: number): Batch;
  /** Rows the logit regulariser β/B divides by (the batch size in samples). */
  regRows(cfg: ArithConfig): number;
  loss(forward: Forward, batch: Batch): Tensor;
  evaluate(forward: Forward, cfg: ArithConfig, seed: number, evalSet: string): Promise<EvalResult>;
  /** Masks evaluated in the report: name → 0/1 masks per target, or null for the unmasked net. */
  evalMasks(stages: Record<string, MaskSet>, targetNames: readonly string[]): Record<string, BinaryMasks | null>;
  /** An optional change to the base net after training (the double-add copy-weights control). */
  afterBase?(model: MLP, control: string | undefined): Promise<void>;
}
