/** Base class of layers and networks: named parameters, train/eval mode, disposal. */
import type { Tensor } from '../engine/tensor.js';

export abstract class Module {
  training = true;

  /** Parameters by dotted name (e.g. "layers.0.weight"), in a stable order. */
  abstract namedParameters(): [string, Tensor][];

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  train(on = true): this {
    this.training = on;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
  }
}

/** Prefixes the parameter names of a child module. */
export function childParameters(prefix: string, child: Module): [string, Tensor][] {
  return child.namedParameters().map(([n, p]) => [`${prefix}.${n}`, p]);
}
