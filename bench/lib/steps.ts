/**
 * For the step benchmarks: one base-training step and one mask-stage step of an experiment, set up as a
 * run sets up its phases (experiments/phase-setup.ts; a freshly initialised net stands in for a trained
 * one), and the backends to run them on.
 */
import type { Backend } from '../../engine/backend.js';
import { setBackend } from '../../engine/setup.js';
import type { Tensor } from '../../engine/tensor.js';
import { BaseTrainer } from '../../experiments/train-base.js';
import type { AnyExperiment, BaseConfig } from '../../experiments/types.js';
import { freezeForMasks, stageTargets, stageTrainer } from '../../experiments/phase-setup.js';
import { MaskSet } from '../../masking/mask-set.js';
import type { Batch } from '../../masking/train-stage.js';
import type { Runner } from './timing.js';

export interface TimedStep {
  step(b: Batch): Tensor;
  dispose(): void;
}

/** The base-training step: every parameter trained, the model in training mode (dropout on). */
export function baseStep(def: AnyExperiment, cfg: BaseConfig): TimedStep {
  const model = def.model(cfg).train();
  const trainer = new BaseTrainer(def, model, cfg);
  return {
    step: (b) => trainer.step(b, 0), // the lr of the first step: a bench times steps, not a schedule
    dispose: () => {
      trainer.dispose();
      model.dispose();
    },
  };
}

/** MaskStageTrainer.step over the frozen net in evaluation mode, logits on every weight but the biases. */
export function maskStep(def: AnyExperiment, cfg: BaseConfig): TimedStep {
  const model = def.model(cfg);
  freezeForMasks(model);
  const set = new MaskSet(stageTargets(def, model));
  const trainer = stageTrainer(def, cfg, set);
  return {
    step: (b) => trainer.step(b, (bb) => def.loss(model, bb, cfg)),
    dispose: () => {
      trainer.dispose();
      set.dispose();
      model.dispose();
    },
  };
}

export interface BackendPlanOptions {
  backend: 'cpu' | 'webgpu' | 'all';
  allowSoftware: boolean;
}

/**
 * The backends a step benchmark runs and its cases on each: the CPU with all cases; webgpu with all on a
 * hardware adapter, or with `softwareCases` on SwiftShader when --allow-software is given (else skipped;
 * an error when webgpu alone was asked for).
 */
export async function planBackends<T>(
  bench: string, opts: BackendPlanOptions, cases: T[], softwareCases: T[], softwareNote: string,
): Promise<{ backend: Backend; cases: T[] }[]> {
  const out: { backend: Backend; cases: T[] }[] = [];
  if (opts.backend !== 'webgpu') out.push({ backend: await setBackend('cpu'), cases });
  if (opts.backend === 'cpu') return out;
  const auto = await setBackend('auto');
  const gpu = auto.name === 'webgpu' ? auto : await setBackend('webgpu').catch(() => null);
  const adapter = gpu?.description ?? 'none';
  if (auto.name === 'webgpu') {
    console.log(`# webgpu: ${adapter}`);
    out.push({ backend: auto, cases });
  } else if (gpu && opts.allowSoftware) {
    console.log(`# webgpu: software adapter ${adapter}: ${softwareNote}`);
    out.push({ backend: gpu, cases: softwareCases });
  } else {
    const why = gpu ? `only a software adapter (${adapter}); --allow-software runs ${softwareNote}` : 'no adapter';
    if (opts.backend === 'webgpu') throw new Error(`${bench}: webgpu: ${why}`);
    console.log(`# webgpu: skipped, ${why}`);
  }
  return out;
}

/**
 * A timing runner over a pool of prepared batches: each of its steps trains on the next `perStep` batches
 * in turn (disposing the previous loss); sync reads the last loss back.
 */
export function lossRunner(pool: Batch[], step: (b: Batch) => Tensor, perStep = 1): Runner & { lastLoss: number } {
  let i = 0;
  let last: Tensor | null = null;
  const r = {
    lastLoss: NaN,
    step: () => {
      for (let k = 0; k < perStep; k++) {
        last?.dispose();
        last = step(pool[i++ % pool.length]);
      }
    },
    sync: async () => {
      if (!last) return;
      r.lastLoss = await last.item();
      last.dispose();
      last = null;
    },
  };
  return r;
}
