/** maskscope: the public API, PyTorch-like. */
export { Tensor } from './engine/tensor.js';
export type { DType } from './engine/dtype.js';
export type { Backend, BackendName, MemoryInfo } from './engine/backend.js';
export { setBackend, getBackend, type BackendChoice } from './engine/setup.js';
export { tensor, zeros, ones, full, rand, randn } from './engine/create.js';
export { noGrad, tidy, manualSeed } from './engine/state.js';
export { crossEntropy, embedding, where, matmul, type MatmulOptions } from './engine/ops.js';
import { Linear } from './models/linear.js';
import { MLP } from './models/mlp.js';
import { Module } from './models/module.js';
import { Adam } from './engine/optim/adam.js';
import { SGD } from './engine/optim/sgd.js';
import { clipGradNorm, clipCoefficient } from './engine/optim/clip.js';

export const nn = { Linear, MLP, Module };
export const optim = { Adam, SGD, clipGradNorm, clipCoefficient };
export { Linear, MLP, Module, Adam, SGD, clipGradNorm, clipCoefficient };
