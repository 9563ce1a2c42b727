/** Multi-layer perceptron: Linear layers with ReLU between them (none after the last). */
import type { Tensor } from '../engine/tensor.js';
import { Linear } from './linear.js';
import { Module, childParameters } from './module.js';
import { checkOptions } from '../engine/options.js';

export class MLP extends Module {
  readonly layers: Linear[];

  /** sizes = [input, hidden..., output], e.g. [42, 256, 256, 20]. */
  constructor(readonly sizes: readonly number[], opts: { bias?: boolean } = {}) {
    super();
    checkOptions('MLP', opts, { bias: 'boolean' });
    if (sizes.length < 2) throw new Error(`MLP: sizes needs an input and an output size, got [${sizes.join(',')}]`);
    this.layers = sizes.slice(1).map((out, i) => new Linear(sizes[i], out, opts));
  }

  /** The input-layer weight (columns = inputs) and the output layer, for the copy-weights control. */
  get inputWeight(): Tensor {
    return this.layers[0].weight;
  }

  get outputLayer(): Linear {
    return this.layers[this.layers.length - 1];
  }

  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((layer, i) => {
      h = layer.forward(h);
      if (i < this.layers.length - 1) h = h.relu();
    });
    return h;
  }

  namedParameters(): [string, Tensor][] {
    return this.layers.flatMap((l, i) => childParameters(`layers.${i}`, l));
  }
}
