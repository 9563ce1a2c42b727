/** Messages between the page (web/app.ts) and the training worker (web/worker.ts). */
import type { ArithConfig } from '../experiments/types.js';
import type { Report } from '../report/types.js';
import type { PresetName } from './presets.js';

export type BackendPick = 'auto' | 'webgpu' | 'cpu';

export interface StartMessage {
  kind: 'start';
  preset: PresetName;
  /** β (mask loss weight); the rest of the configuration is the preset's. */
  beta: number;
  seed: number;
  backend: BackendPick;
}

/** One layer's keep probabilities σ(logit), averaged over blocks of rowBlock × colBlock weights. */
export interface HeatMap {
  layer: string;
  /** The weight tensor's shape [out, in]. */
  shape: [number, number];
  rows: number;
  cols: number;
  rowBlock: number;
  colBlock: number;
  /** rows × cols means, row-major. */
  values: Float32Array;
}

export interface LayerInfo {
  name: string;
  shape: [number, number];
  weights: number;
}

/** A look at the current stage's mask: kept weights per layer, heat maps, overlap with the other task mask. */
export interface MaskSnapshot {
  stage: string;
  kept: number[];
  heat: HeatMap[];
  /** IoU / IoMin per layer against the finished other task mask (while × trains: + vs ×). */
  iou?: number[];
  iomin?: number[];
  totalShared?: number;
}

export type DemoEvent =
  | { kind: 'ready'; backend: 'cpu' | 'webgpu'; device: string; layers: LayerInfo[]; stages: string[]; cfg: ArithConfig }
  | { kind: 'phase'; phase: string; total: number }
  /** Throttled progress; `losses` are the loss read-backs since the last event (step, value). */
  | { kind: 'step'; phase: string; step: number; losses: [number, number][] }
  /** Accuracy on a fixed slice of the validation set (per op), and the current mask, every so often. */
  | { kind: 'probe'; phase: string; step: number; accuracy: Record<string, number>; masks?: MaskSnapshot; final: boolean }
  | { kind: 'done'; report: Report; seconds: number }
  | { kind: 'error'; message: string };
