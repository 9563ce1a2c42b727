/**
 * Runs an experiment for one seed in Node (experiments/phases.ts runs the phases): every phase is
 * checkpointed in DIR/seed-<s>/ as it finishes, with the settings that produced it, so running the same
 * command again resumes after the last finished phase with identical results, and a run with other
 * settings is refused instead of mixing with them; the seed's analysis is kept in DIR/seed-<s>/result.json
 * (experiments/seed-results.ts); progress goes out as RunEvents.
 */
import { resolve } from 'node:path';
import { join } from 'node:path';
import { getBackend } from '../engine/setup.js';
import { loadCheckpoint, saveCheckpoint } from '../engine/io/checkpoint.js';
import type { LossPoint } from '../report/types.js';
import { runPhases, type PhaseRecord, type SeedResult } from './phases.js';
import { checkRecorded, phaseSettings, type RunSettings } from './run-settings.js';
import { writeSeedResult } from './seed-results.js';
import type { AnyExperiment, BaseConfig } from './types.js';
import { loadWeightsFile, readWeightsFile } from './weights-file.js';

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
  /** Accept checkpoints that record no settings (maskscope 0.1 wrote none): the caller vouches for them. */
  trustUnrecorded?: boolean;
  onEvent?: (e: RunEvent) => void;
}

/** What a checkpoint's JSON keeps besides the tensors. */
interface PhaseState {
  seconds: number;
  curve: LossPoint[];
  /** What produced the phase (absent in checkpoints of maskscope 0.1). */
  settings?: Partial<RunSettings>;
}

/** The settings of one seed's run: what every checkpoint and the result record. */
export async function seedSettings(opts: Pick<SeedRunOptions, 'def' | 'cfg' | 'seed' | 'weights' | 'control'>): Promise<RunSettings> {
  const weights = opts.weights ? { file: resolve(opts.weights), sha256: (await readWeightsFile(opts.weights)).sha256 } : null;
  return { experiment: opts.def.name, config: opts.cfg, weights, control: opts.control ?? null, seed: opts.seed };
}

/**
 * Lets the event loop run at least every 50 ms. On the CPU backend every await of a run settles as a
 * microtask, so without this a signal (Ctrl-C) or a timer would wait until the run ends.
 */
function loopBreaks(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 50) return;
    await new Promise((ok) => setImmediate(ok));
    last = performance.now();
  };
}

export async function runSeed(opts: SeedRunOptions): Promise<SeedResult> {
  const { cfg, seed, control } = opts;
  const dir = join(opts.out, `seed-${seed}`);
  const emit = opts.onEvent ?? (() => {});
  const settings = await seedSettings(opts);
  const breathe = loopBreaks();
  // The analysis evaluates mask after mask: the loop runs between them too.
  const def: AnyExperiment = { ...opts.def, evaluate: async (...args: Parameters<AnyExperiment['evaluate']>) => (await breathe(), opts.def.evaluate(...args)) };
  const result = await runPhases({ def, cfg, seed, control }, {
    restore: async (phase): Promise<PhaseRecord | null> => {
      const shared = phase === 'base' ? opts.baseDir : undefined;
      const saved = await loadCheckpoint(shared ?? dir, phase);
      if (shared && !saved) throw new Error(`runSeed: ${shared} has no finished base phase to share`);
      if (!saved) return null;
      const state = saved.state as PhaseState;
      try {
        checkRecorded(`checkpoint ${join(shared ?? dir, phase)}`, state.settings, phaseSettings(settings, phase), opts.trustUnrecorded ?? false);
      } catch (e) {
        Object.values(saved.tensors).forEach((t) => t.dispose());
        throw e;
      }
      return { tensors: saved.tensors, curve: state.curve, seconds: state.seconds };
    },
    loadBase: async (model) => {
      if (!opts.weights) return false;
      const how = await loadWeightsFile(model, opts.weights);
      emit({ kind: 'note', message: `base network loaded from ${opts.weights} (${how})` });
      return true;
    },
    onPhase: ({ phase, total }, resumed) => emit({ kind: 'phase', seed, phase, total, resumed }),
    onStep: async ({ phase }, step, loss) => {
      emit({ kind: 'step', seed, phase, step, loss });
      await breathe();
    },
    onFinished: ({ phase }, { tensors, curve, seconds }) =>
      saveCheckpoint(dir, phase, tensors, { seconds, curve, settings: phaseSettings(settings, phase) } satisfies PhaseState),
  });
  const backend = getBackend();
  await writeSeedResult(dir, { settings, backend: backend.name, device: backend.description, result });
  return result;
}
