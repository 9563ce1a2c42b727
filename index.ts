/** maskscope: the public API, PyTorch-like. Everything here runs in Node and in browsers. */
export { Tensor } from './engine/tensor.js';
export type { DType } from './engine/dtype.js';
export type { Backend, BackendName, MemoryInfo } from './engine/backend.js';
export { setBackend, getBackend, type BackendChoice } from './engine/setup.js';
export { tensor, zeros, ones, full, rand, randn } from './engine/create.js';
export { noGrad, tidy, manualSeed } from './engine/state.js';
export { argmax, crossEntropy, embedding, where, matmul, maskedWeights, type MatmulOptions } from './engine/ops.js';
export { concat, split, stack, unstack } from './engine/ops-concat.js';
export { conv2d, maxPool2d, type Conv2dOptions } from './engine/ops-conv.js';
export { layerNorm, type LayerNormOptions } from './engine/ops-norm.js';
export { scaledDotProductAttention, type AttentionOptions } from './engine/ops-attention.js';
export { lstmCell } from './engine/ops-lstm.js';
export { encodeSafetensors, decodeSafetensors, saveTensors, loadTensors } from './engine/io/safetensors.js';
import { Linear } from './models/linear.js';
import { MLP } from './models/mlp.js';
import { LSTM } from './models/lstm.js';
import { Module } from './models/module.js';
import { ArithLstm } from './models/arith-lstm.js';
import { Seq2SeqLstm } from './models/seq2seq-lstm.js';
import { Conv2d } from './models/conv2d.js';
import { ClassRemovalCnn } from './models/cnn.js';
import { Seq2SeqTransformer } from './models/transformer.js';
import { Adam } from './engine/optim/adam.js';
import { SGD } from './engine/optim/sgd.js';
import { clipGradNorm, clipCoefficient } from './engine/optim/clip.js';

export const nn = { Linear, MLP, LSTM, Conv2d, ArithLstm, Seq2SeqLstm, Seq2SeqTransformer, ClassRemovalCnn, Module };
export const optim = { Adam, SGD, clipGradNorm, clipCoefficient };
export { Linear, MLP, LSTM, Conv2d, ArithLstm, Seq2SeqLstm, Seq2SeqTransformer, ClassRemovalCnn, Module, Adam, SGD, clipGradNorm, clipCoefficient };

// The mask method (docs/method.md): mask logits, sampling, stage training, evaluation masks and statistics.
export { withParams, param } from './models/param-override.js';
export { MaskSet, maskTargets, applyMasks, type MaskTarget, type MaskFilter, type BinaryMasks } from './masking/mask-set.js';
export { MaskStageTrainer, disposeBatch, type MaskStageConfig, type Batch } from './masking/train-stage.js';
export { iouPerLayer, iominPerLayer, keptCounts, totalShared, sharedFractions, probabilityHistogram } from './masking/analysis.js';
// The shape of report.json.
export type { Report } from './report/types.js';
