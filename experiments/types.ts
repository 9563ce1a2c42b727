/** What an experiment recipe provides to the generic runner (experiments/runner.ts). */
import type { Tensor } from '../engine/tensor.js';
import type { Batch } from '../masking/train-stage.js';
import type { BinaryMasks, MaskSet } from '../masking/mask-set.js';
import type { Masked } from '../masking/masked-run.js';
import type { Module } from '../models/module.js';
import type { PhaseHooks, PhaseRun, SeedResult } from './phases.js';
import type { Confusion, Report } from '../report/types.js';

export type Size = 'small' | 'paper';

/** The settings every experiment has: what the runner, the trainers and the CLI read. */
export interface BaseConfig {
  /** Hidden widths: one per MLP hidden layer, or one per LSTM layer. */
  hidden: number[];
  batch: number;
  baseSteps: number;
  baseLr: number;
  /**
   * The last fraction of the base steps (in [0, 1)) over which the lr falls linearly from baseLr towards 0,
   * so that training ends on a settled network rather than wherever the last steps left it. Absent or 0:
   * constant, as the paper.
   */
  baseLrDecay?: number;
  baseClip: number;
  maskSteps: number;
  maskLr: number;
  /** β, mask_loss_weight. */
  beta: number;
  /** K, mask samples per step. */
  samples: number;
  maskClip: number;
  /**
   * Clip mask gradients as the authors' code does (docs/method.md#deviations): the frozen weights' gradients
   * accumulate over a stage's steps and count in the global-norm clip, which scales them in place. Absent: the
   * clip covers the logits alone.
   */
  authorsClip?: boolean;
  /** Rows per evaluation forward pass. */
  evalBatch: number;
}

export interface ArithConfig extends BaseConfig {
  trainSize: number;
  validSize: number;
  /** Recurrent variants: time steps per input (addmul: 3; double-add: 3 per pair). */
  steps?: number;
  /** double-add-lstm: how the pairs are fed (docs/experiments.md#double-add). */
  mode?: string;
}

/** A model that maps a batch of input rows to output rows (MLPs, the arithmetic LSTMs). */
export interface RowModel extends Module {
  forward(x: Tensor): Tensor;
}

/** The model's forward pass, under whatever parameter substitutes the caller set up. */
export type Forward = (x: Tensor) => Tensor;

export interface EvalResult {
  accuracy: number;
  /** The share of predictions per outcome (report/types.ts Confusion: a row of the confusion table). */
  confusion?: Confusion[string];
}

export interface ExperimentDef<C extends BaseConfig = ArithConfig, M extends Module = RowModel, B extends Batch = Batch> {
  name: string;
  aliases: readonly string[];
  description: string;
  config(size: Size): C;
  /** Values `--mode` accepts (the first is the default); absent when the experiment has no modes. */
  modes?: readonly string[];
  model(cfg: C): M;
  /** Mask stages in order; the first is the control mask on the whole task. */
  stages: readonly string[];
  evalSets: readonly string[];
  /** The two masks whose overlap the report measures. */
  compared: readonly [string, string];
  /** A training batch for 'base' or a mask stage, drawn with replacement, repeatable from (seed, step). */
  batch(cfg: C, seed: number, phase: string, step: number): B;
  /** Rows the logit regulariser β/B divides by (the batch size in samples). */
  regRows(cfg: C): number;
  /** The task loss; the model runs under whatever masks the caller set up. */
  loss(model: M, batch: B, cfg: C): Tensor;
  evaluate(run: Masked<M>, cfg: C, seed: number, evalSet: string): Promise<EvalResult>;
  /** Masks evaluated in the report: name → 0/1 masks per target, or null for the unmasked net. */
  evalMasks(stages: Record<string, MaskSet>, targetNames: readonly string[]): Record<string, BinaryMasks | null>;
  /** Whether the report has the half-mask test (default yes; SCAN leaves it out: its evaluation is costly). */
  halfMask?: boolean;
  /** Report fields derived from the mean accuracies (class removal: the relative drops per class). */
  derived?(accuracy: Record<string, Record<string, number>>): Partial<Report>;
  /** Experiment-specific figures for the report (SCAN: the output tokens' removed weights). */
  extra?(stages: Record<string, MaskSet>, cfg: C): Promise<ExtraAnalysis>;
  /** Called once before a run uses the data (scan-lstm: reads SCAN files from a folder the user named). */
  prepare?(cfg: C): Promise<void>;
  /** Whether the stages mask biases too (class removal: yes; arithmetic and SCAN: no, the default). */
  maskBiases?: boolean;
  /**
   * Called with a stage's fresh mask before it trains, and the stages trained before it; returns frozen
   * flags per target (class removal copies the output layer's mask from the full stage and freezes it).
   */
  stageSetup?(stage: string, set: MaskSet, earlier: Readonly<Record<string, MaskSet>>): boolean[];
  /**
   * The checkpoint names of a run, in order, when they are not 'base' then 'mask-<stage>' (permuted
   * transfer: one per task, and how many is a setting).
   */
  phases?(cfg: C): string[];
  /**
   * Runs a seed's phases itself, when they are not "train a base net, then mask it stage by stage"
   * (permuted transfer trains weights and masks together, task by task), with the same hooks.
   */
  runPhases?(run: PhaseRun, hooks: PhaseHooks): Promise<SeedResult>;
  /** An optional change to the base net after training (the double-add copy-weights control). */
  afterBase?(model: M, control: string | undefined): Promise<void>;
}

export interface ExtraAnalysis {
  /** Permuted transfer: per layer and task, the share of the task's mask inside the earlier tasks' union, and the union's share of the layer. */
  reuse?: { inside: Record<string, Record<string, number>>; union: Record<string, Record<string, number>> };
  /** Percent of each output token's decoder-row weights the jump mask removes compared with the full mask. */
  tokenRemoved?: Record<string, number>;
}

/** Any experiment, whatever its config, model and batch types (the registry, runner and CLI hold them all). */
export type AnyExperiment = ExperimentDef<any, any, any>;
