/**
 * The shape of DIR/report.json, the file users script against and that report.html and the web demo
 * render. Fractions are in [0, 1]. Optional parts appear when the run produced them.
 */
import type { Settling } from '../masking/settling.js';

export type { Settling };

/** mean ± std over seeds; std is 0 for a single seed. */
export interface Stat {
  mean: number;
  std: number;
}

export interface LayerReport {
  /** Parameter name, e.g. "layers.0.weight". */
  name: string;
  /** Number of scalar weights in the tensor. */
  weights: number;
  /** Weights kept (logit > 0) by each mask, e.g. kept.add, kept.mul, kept.full (mean over seeds). */
  kept: Record<string, number>;
  /** IoU / IoMin of the experiment's two task masks (+ vs ×, or pair 1 vs pair 2) on this tensor. */
  iou: number;
  iomin: number;
  /** Present with several seeds. */
  iouStd?: number;
  iominStd?: number;
}

/**
 * confusion[trueKey][outcome]: the share of predictions with each outcome. addmul: per true op, the
 * outcomes add / mul / neither (the output equals the + result, the × result, or neither); class removal:
 * per true class (class-c), the predicted class (class-c), i.e. the row-normalised confusion matrix.
 */
export type Confusion = Record<string, Record<string, number>>;

/** Class removal, per removed class: relative drops against the full mask, (ref − new) / ref. */
export interface ClassDrop {
  /** The removed class's own relative drop (1 = it is never recognised any more). */
  removedDrop: number;
  /** The largest relative drop of any other class (negative when every other class improved). */
  worstOtherDrop: number;
  /** Which class that is. */
  worstOtherClass: string;
}

export interface Histogram {
  /** Bin edges of the keep probability σ(logit), length bins + 1, from 0 to 1. */
  edges: number[];
  /** Counts per bin for each mask (stage-0 masks at least). */
  counts: Record<string, number[]>;
}

export interface SweepPoint {
  /** The swept value (β for a β sweep, hidden width for a width sweep). */
  value: number;
  totalShared: Stat;
  /** accuracy[mask][evalSet] at this point. */
  accuracy: Record<string, Record<string, Stat>>;
}

export interface LossPoint {
  step: number;
  loss: number;
}

export interface Report {
  experiment: string;
  size: 'small' | 'paper';
  /** The first seed; `seeds` lists all of them when several were run. */
  seed: number;
  seeds: number[];
  backend: 'cpu' | 'webgpu';
  /** Device description (GPU adapter or CPU). */
  device: string;
  /** Wall time of the whole run, all phases. */
  seconds: number;
  /** The resolved configuration (model sizes, steps, β, learning rates, batch, K …). */
  config: Record<string, unknown>;
  /** accuracy[mask][evalSet], mean over seeds; masks e.g. none, full, add, not_add, mul, not_mul. */
  accuracy: Record<string, Record<string, number>>;
  /** Standard deviation over seeds, same keys as accuracy (zeros for one seed). */
  accuracyStd: Record<string, Record<string, number>>;
  layers: LayerReport[];
  /** Σ|A∩B| / Σ|A| over all masked tensors, A = first task mask (+ or pair 1), B = the other. */
  totalShared: number;
  totalSharedStd?: number;
  /** Shared fraction of each task mask: |M_i ∩ ∪_{j≠i} M_j| / |M_i|. */
  sharedFraction?: Record<string, number>;
  /** confusion[mask][trueKey][outcome]: addmul (masks none, full, add, mul at least) and class removal (every mask). */
  confusion?: Record<string, Confusion>;
  /**
   * cnn-class-removal: per removed class (class-c), its relative drop and the worst other class's, each
   * against the full mask's per-class accuracy (computed from the mean accuracies over seeds).
   */
  classRemoval?: Record<string, ClassDrop>;
  /**
   * permuted-transfer: reuse[layer][task] = the share of task p's kept weights that lie in U, the union of
   * the masks of tasks 0 … p−1 (tasks from 1 on; mean over seeds).
   */
  reuse?: Record<string, Record<string, number>>;
  /** permuted-transfer: U's share of each layer, per task: the reuse a mask blind to U would show by chance. */
  reuseChance?: Record<string, Record<string, number>>;
  histogram?: Histogram;
  /** Half-mask test: accuracy[variant][evalSet] with only the early or only the late half of the layers masked. */
  halfMask?: Record<string, Record<string, number>>;
  sweeps?: { beta?: SweepPoint[]; width?: SweepPoint[] };
  /**
   * scan-lstm: per output token, the percent of its decoder output-row weights kept by the full mask that
   * the jump mask removes (mean over seeds).
   */
  tokenRemoved?: Record<string, number>;
  /**
   * How the masks moved with more steps: at a few step counts of every stage, the share of all masked weights
   * each stage keeps (kept[stage][i]) and total shared of the compared masks (shared[i]); mean over seeds.
   */
  settling?: Settling;
  /** Loss curves of base training and of each mask stage (first seed). */
  training?: { base: LossPoint[]; stages: Record<string, LossPoint[]> };
}

/** One grid point of a sweep (report.json of `maskscope sweep`): mean ± std over the seeds that finished. */
export interface SweepReportPoint {
  /** The grid's values at this point, by the sweep file's names (e.g. { beta: 0.0001, hidden: [256, 256] }). */
  settings: Record<string, unknown>;
  /** How many of the point's runs (one per seed) have finished; the figures below cover those. */
  runs: number;
  /** The seeds that finished. */
  seeds: number[];
  /** The resolved configuration of the point's runs. */
  config: Record<string, unknown>;
  /** The figures, present once a run has finished: as in a run's report.json. */
  accuracy?: Record<string, Record<string, number>>;
  accuracyStd?: Record<string, Record<string, number>>;
  totalShared?: number;
  totalSharedStd?: number;
  sharedFraction?: Record<string, number>;
  layers?: LayerReport[];
}

/** A curve against β or hidden width, at fixed values of the grid's other fields. */
export interface SweepCurve {
  kind: 'beta' | 'width';
  /** The other grid fields' values along this curve ({} when the grid varies only this one). */
  fixed: Record<string, unknown>;
  points: SweepPoint[];
}

/** report.json of a sweep: every grid point and the curves; no wall times, so any two builds from the same results are equal. */
export interface SweepReport {
  experiment: string;
  size: 'small' | 'paper';
  seeds: number[];
  /** The sweep file's fixed settings and grid, as written there. */
  set: Record<string, unknown>;
  grid: Record<string, unknown[]>;
  /** Runs in the sweep (grid points × seeds), and how many have finished. */
  runs: number;
  finished: number;
  /** The two masks whose overlap totalShared measures. */
  compared: [string, string];
  /** Backends and devices the finished runs ran on, e.g. "cpu: Node.js WebAssembly SIMD". */
  devices: string[];
  points: SweepReportPoint[];
  curves: SweepCurve[];
}
