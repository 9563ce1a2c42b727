/**
 * The mask logits of one stage: one real logit per masked scalar weight (docs/method.md), and the ways a stage's
 * mask is applied — K stochastic samples for training, the deterministic 1[l ≥ 0] for evaluation, the
 * inverted 1[l ≤ 0] for removal tests.
 */
import { full, ones } from '../engine/create.js';
import { maskedWeights } from '../engine/ops.js';
import { noGrad } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import type { Module } from '../models/module.js';

export interface MaskTarget {
  /** Parameter name, e.g. "layers.0.weight". */
  name: string;
  param: Tensor;
}

export interface MaskFilter {
  /** Mask biases too (CNN, permuted MNIST) or not (arithmetic, SCAN). */
  biases: boolean;
  /** Names (or name prefixes) of parameters never to mask. */
  exclude?: readonly string[];
}

/** The parameters a stage masks: all weights; biases per the filter; embeddings never. */
export function maskTargets(model: Module, filter: MaskFilter): MaskTarget[] {
  return model
    .namedParameters()
    .filter(([name]) => !/(^|[._])embedding/i.test(name))
    .filter(([name]) => filter.biases || !/(^|\.)bias(_|$)/.test(name))
    .filter(([name]) => !(filter.exclude ?? []).some((e) => name === e || name.startsWith(`${e}.`)))
    .map(([name, param]) => ({ name, param }));
}

export const INITIAL_LOGIT = 2;

/** 0/1 keep masks (f32), one per target in order. */
export type BinaryMasks = Tensor[];

export class MaskSet {
  readonly logits: Tensor[];

  /** Fresh logits at `init` (2.0, docs/method.md#init), or the given ones (e.g. loaded from a checkpoint). */
  constructor(readonly targets: readonly MaskTarget[], logits?: Tensor[], init = INITIAL_LOGIT) {
    this.logits = logits ?? targets.map((t) => full(t.param.shape, init).keep());
    this.logits.forEach((l, i) => {
      if (l.shape.join() !== targets[i].param.shape.join()) {
        throw new Error(`MaskSet: logits for ${targets[i].name} have shape [${l.shape}], the parameter [${targets[i].param.shape}]`);
      }
      l.keep().requireGrad();
    });
  }

  /** Parameter substitutes for one training step: K masked samples of every target. */
  sample(samples: number): Map<Tensor, Tensor> {
    return new Map(this.targets.map((t, i) => [t.param, maskedWeights(this.logits[i], t.param, samples)]));
  }

  /**
   * Like sample, with gradients for the weights too (training weights and mask together): the K samples of
   * the mask alone (drawn as sample draws them), times the weight. Costs one more [K, …weight] tensor.
   */
  sampleTrainable(samples: number): Map<Tensor, Tensor> {
    // The all-ones "weights" the masks are drawn over: made once, not at every step.
    this.unitWeights ??= this.targets.map((t) => ones(t.param.shape).keep());
    const unit = this.unitWeights;
    return new Map(this.targets.map((t, i) => [t.param, maskedWeights(this.logits[i], unit[i], samples).mul(t.param)]));
  }
  private unitWeights?: Tensor[];

  /** The evaluation mask 1[l ≥ 0] (docs/method.md). */
  keep(): BinaryMasks {
    return noGrad(() => this.logits.map((l) => l.ge(0)));
  }

  /** The removal-test mask 1[l ≤ 0]: keeps only what the mask dropped. */
  inverted(): BinaryMasks {
    return noGrad(() => this.logits.map((l) => l.le(0)));
  }

  /** 1[l > 0] on the host, per target: what statistics and exports count as kept. */
  async kept(): Promise<Uint8Array[]> {
    return Promise.all(this.logits.map(async (l) => Uint8Array.from(await l.toArray(), (v) => (v > 0 ? 1 : 0))));
  }

  /**
   * Copies the logits of the named targets from another stage (e.g. the output layer's mask from the full
   * mask, for class removal, docs/experiments.md#class-removal); returns frozen flags for MaskStageTrainer that keep them fixed.
   */
  copyFrom(other: MaskSet, names: readonly string[]): boolean[] {
    for (const name of names) {
      const i = this.targets.findIndex((t) => t.name === name);
      const j = other.targets.findIndex((t) => t.name === name);
      if (i < 0 || j < 0) throw new Error(`MaskSet.copyFrom: no masked parameter named '${name}' in both stages`);
      this.logits[i].assign(noGrad(() => other.logits[j].add(0)).keep());
    }
    return this.targets.map((t) => names.includes(t.name));
  }

  named(): Record<string, Tensor> {
    return Object.fromEntries(this.targets.map((t, i) => [t.name, this.logits[i]]));
  }

  dispose(): void {
    this.unitWeights?.forEach((u) => u.dispose());
    this.logits.forEach((l) => {
      l.grad?.dispose();
      l.dispose();
    });
  }
}

/** Parameter substitutes W ⊙ m for fixed 0/1 masks (evaluation). */
export function applyMasks(targets: readonly MaskTarget[], masks: BinaryMasks): Map<Tensor, Tensor> {
  return noGrad(() => new Map(targets.map((t, i) => [t.param, t.param.mul(masks[i])])));
}
