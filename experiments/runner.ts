/**
 * Runs an experiment for one seed in Node (experiments/phases.ts runs the phases): every phase is
 * checkpointed in DIR/seed-<s>/ as it finishes, so running the same command again resumes after the last
 * finished phase with identical results; progress goes out as RunEvents.
 */
import { join } from 'node:path';
import { loadCheckpoint, saveCheckpoint } from '../engine/io/checkpoint.js';
import type { LossPoint } from '../report/types.js';
import { runPhases, type PhaseRecord, type SeedResult } from './phases.js';
import type { AnyExperiment, BaseConfig } from './types.js';
import { loadWeightsFile } from './weights-file.js';

export type RunEvent =
  | { kind: 'phase'; seed: number; phase: string; total: number; resumed: boolean }
  | { kind: 'step'; seed: number; phase: string; step: number; loss?: number }
  | { kind: 'note'; message: string };

export interface SeedRunOptions {
  def: AnyExperiment;
  cfg: BaseConfig;
  seed: number;
  /** The run folder; this seed's checkpoints go to DIR/seed-<seed>. */
  out: string;
  weights?: string;
  control?: string;
  /** Take the base network from this seed folder's finished base phase (a β sweep shares the main run's). */
  baseDir?: string;
  onEvent?: (e: RunEvent) => void;
}

/** What a checkpoint's JSON keeps besides the tensors. */
interface PhaseState {
  seconds: number;
  curve: LossPoint[];
}

export async function runSeed(opts: SeedRunOptions): Promise<SeedResult> {
  const { def, cfg, seed, control } = opts;
  const dir = join(opts.out, `seed-${seed}`);
  const emit = opts.onEvent ?? (() => {});
  return runPhases({ def, cfg, seed, control }, {
    restore: async (phase): Promise<PhaseRecord | null> => {
      const shared = phase === 'base' ? opts.baseDir : undefined;
      const saved = await loadCheckpoint(shared ?? dir, phase);
      if (shared && !saved) throw new Error(`runSeed: ${shared} has no finished base phase to share`);
      if (!saved) return null;
      const state = saved.state as PhaseState;
      return { tensors: saved.tensors, curve: state.curve, seconds: state.seconds };
    },
    loadBase: async (model) => {
      if (!opts.weights) return false;
      const how = await loadWeightsFile(model, opts.weights);
      emit({ kind: 'note', message: `base network loaded from ${opts.weights} (${how})` });
      return true;
    },
    onPhase: ({ phase, total }, resumed) => emit({ kind: 'phase', seed, phase, total, resumed }),
    onStep: ({ phase }, step, loss) => emit({ kind: 'step', seed, phase, step, loss }),
    onFinished: ({ phase }, { tensors, curve, seconds }) => saveCheckpoint(dir, phase, tensors, { seconds, curve } satisfies PhaseState),
  });
}
