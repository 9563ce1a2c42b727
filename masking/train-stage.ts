/**
 * Training one mask stage (docs/method.md): fresh Adam over the stage's logits only, K mask samples per step,
 * loss L_task + (β/B)·Σ l, gradient-norm clipping of the logit gradients, a fixed number of steps.
 * The base network is frozen and in evaluation mode; the caller supplies batches and the task loss.
 * With `weights` the masked weights train together with the logits (permuted transfer,
 * docs/experiments.md#permuted-transfer): one Adam over both, the clipping over both, and the weights
 * marked frozen never move (their gradients are zeroed, so their Adam moments stay zero).
 */
import { Adam } from '../engine/optim/adam.js';
import { clipCoefficient, clipGradNorm } from '../engine/optim/clip.js';
import { noGrad, tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { withParams } from '../models/param-override.js';
import type { MaskSet } from './mask-set.js';

export interface MaskStageConfig {
  steps: number;
  /** Mask samples per step, K (the batch is cut into K slices). */
  samples: number;
  /** β, the weight of the logit regulariser. */
  beta: number;
  lr: number;
  /** Maximum global norm of the logit gradients. */
  clip: number;
  /**
   * The authors' clipping: their frozen weights keep requires_grad, so each step adds the weights' gradient
   * (through the masked product) to what is there, and clip_grad_norm_ over every parameter counts that sum
   * and scales it in place with the logits' gradients. Their IoUs depend on it (bench/RESULTS.md, addmul
   * fidelity point 5). The sum starts empty at each stage (theirs also carries over between stages).
   */
  authorsClip?: boolean;
}

export interface Batch {
  x: Tensor;
  y: Tensor;
  /** Further tensors the loss reads (e.g. a decoder's inputs); disposed with the batch. */
  aux?: Tensor[];
}

export function disposeBatch(b: Batch): void {
  b.x.dispose();
  b.y.dispose();
  b.aux?.forEach((t) => t.dispose());
}

/** The task loss of one batch, evaluated by the caller's model (it runs under the sampled masks). */
export type TaskLoss = (batch: Batch) => Tensor;

/** Training produced a NaN or infinite loss: it stops there (nothing after that step is kept). */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  /** `phase` names what was training (e.g. 'base', 'mask-add'), when the caller knows. */
  constructor(readonly step: number, readonly value: number, readonly phase?: string) {
    super(`${phase ? `${phase}: ` : ''}the loss is ${value} at step ${step}: training diverged`);
  }
}

export interface StageProgress {
  step: number;
  /** Present every `logEvery` steps (reading the loss back costs a sync). */
  loss?: number;
}

/** Training the masked weights with the mask: per target, 1 where the weight stays fixed, 0 where it trains. */
export interface WeightTraining {
  frozen: Tensor[];
}

export class MaskStageTrainer {
  private readonly opt: Adam;
  private readonly trainable: Tensor[];
  /** Per target, 1 where the weight trains (weight training only). */
  private readonly weightUpdates: Tensor[] | null;
  /** authorsClip: the frozen weights whose gradients accumulate and count in the clip. */
  private readonly accumulating: Tensor[] | null;

  /**
   * `frozen[i]` keeps logits i fixed (e.g. a layer's mask copied from another stage). `regRows` is the B
   * of β/B (default: the rows of each batch).
   */
  constructor(
    readonly set: MaskSet, readonly config: MaskStageConfig, frozen: readonly boolean[] = [], private readonly regRows?: number,
    weights?: WeightTraining,
  ) {
    this.trainable = set.logits.filter((_, i) => !frozen[i]);
    set.logits.forEach((l, i) => l.requireGrad(!frozen[i]));
    if (config.authorsClip && weights) throw new Error('MaskStageTrainer: authorsClip clips frozen weights, it cannot be combined with weight training');
    this.weightUpdates = weights ? tidy(() => noGrad(() => weights.frozen.map((f) => f.neg().add(1).keep()))) : null;
    this.accumulating = config.authorsClip ? set.targets.map((t) => t.param) : null;
    this.accumulating?.forEach((p) => {
      p.grad?.dispose();
      p.grad = null;
      p.requireGrad(true);
    });
    if (weights) {
      set.targets.forEach((t) => t.param.requireGrad(true));
      this.trainable.push(...set.targets.map((t) => t.param));
    }
    this.opt = new Adam(this.trainable, { lr: config.lr });
  }

  /** One step; returns the total loss (a scalar tensor the caller disposes). */
  step(batch: Batch, taskLoss: TaskLoss): Tensor {
    return tidy(() => {
      this.opt.zeroGrad();
      const rows = this.regRows ?? batch.x.shape[0];
      const withWeightGrads = this.weightUpdates !== null || this.accumulating !== null;
      const samples = withWeightGrads ? this.set.sampleTrainable(this.config.samples) : this.set.sample(this.config.samples);
      const task = withParams(samples, () => taskLoss(batch));
      const logitSum = this.set.logits.map((l) => l.sum()).reduce((a, b) => a.add(b));
      const total = task.add(logitSum.mul(this.config.beta / rows));
      total.backward();
      if (this.weightUpdates) this.zeroFrozenWeightGrads(this.weightUpdates);
      if (this.accumulating) {
        clipGradNorm([...this.trainable, ...this.accumulating], this.config.clip);
        this.opt.step();
        return total;
      }
      const { coef } = clipCoefficient(this.trainable, this.config.clip);
      this.opt.step(coef);
      return total;
    });
  }

  private zeroFrozenWeightGrads(updates: Tensor[]): void {
    noGrad(() => this.set.targets.forEach(({ param }, i) => {
      if (!param.grad) return;
      const kept = param.grad.mul(updates[i]).keep();
      param.grad.dispose();
      param.grad = kept;
    }));
  }

  /**
   * Runs every step; after each, `onStep` gets the step's loss, which it owns (reads it when it wants —
   * each read is a sync — then disposes it). Batches come from `batchAt(step)`.
   */
  async runSteps(batchAt: (step: number) => Batch, taskLoss: TaskLoss, onStep: (step: number, loss: Tensor) => Promise<void>): Promise<void> {
    for (let step = 0; step < this.config.steps; step++) {
      const batch = batchAt(step);
      const loss = this.step(batch, taskLoss);
      disposeBatch(batch);
      await onStep(step, loss);
    }
  }

  /** Runs every step, reading the loss every `logEvery` steps and at the end; a NaN or infinite one read stops it (NonFiniteLossError). */
  async run(batchAt: (step: number) => Batch, taskLoss: TaskLoss, opts: { logEvery?: number; onProgress?: (p: StageProgress) => void } = {}): Promise<void> {
    const logEvery = opts.logEvery ?? 100;
    await this.runSteps(batchAt, taskLoss, async (step, loss) => {
      const last = step === this.config.steps - 1;
      const value = step % logEvery === 0 || last ? await loss.item() : undefined;
      loss.dispose();
      if (value !== undefined && !Number.isFinite(value)) throw new NonFiniteLossError(step, value);
      opts.onProgress?.({ step, loss: value });
    });
  }

  dispose(): void {
    this.opt.dispose();
    this.weightUpdates?.forEach((t) => t.dispose());
    this.accumulating?.forEach((p) => {
      p.grad?.dispose();
      p.grad = null;
      p.requireGrad(false);
    });
  }
}
