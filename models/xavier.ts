/** Initial values of a feed-forward net as the authors draw them (their FeedforwardModel.reset_parameters). */
import { randn } from '../engine/create.js';
import { noGrad, tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import type { MLP } from './mlp.js';

/**
 * The authors' initialisation of the feed-forward net, as fresh tensors per parameter: Xavier-normal
 * weights (gain √2 for the ReLU layers, 1 for the output layer), zero biases.
 */
export function xavierParameters(model: MLP): Map<Tensor, Tensor> {
  const last = model.layers.length - 1;
  return new Map(tidy(() => noGrad(() => model.layers.flatMap((layer, i) => {
    const [out, inputs] = layer.weight.shape;
    const std = (i === last ? 1 : Math.SQRT2) * Math.sqrt(2 / (inputs + out));
    const fresh: [Tensor, Tensor][] = [[layer.weight, randn(layer.weight.shape).mul(std)]];
    if (layer.bias) fresh.push([layer.bias, layer.bias.mul(0)]);
    return fresh;
  }))));
}
