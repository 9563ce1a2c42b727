/**
 * The authors' LSTM initialisation (RobertCsordas/modules, framework/utils/lstm_init.py), used by the
 * paper's LSTM experiments: biases 0 except the forget gate's recurrent bias 1; weights normal with
 * std √(1 / (H + fan_in)) (Xavier for four stacked gates, sigmoid gain 1); the cell-input gate g gets tanh
 * gain 5/3 on its input weights and an orthogonal recurrent block with gain (5/3)/√2.
 * Drawn on the host from the engine's counter RNG, so a seed gives the same weights on every backend.
 */
import { tensor } from '../engine/create.js';
import { nextRandomStream } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { normalCpu } from '../engine/random.js';

const TANH_GAIN = 5 / 3;

function normal(size: number): Float32Array {
  const { seed, stream } = nextRandomStream();
  return normalCpu(size, seed, stream);
}

/** A random n×n orthogonal matrix (row-major): Gram–Schmidt on a normal matrix, as QR with sign fix. */
export function orthogonal(n: number): Float64Array {
  const a = Float64Array.from(normal(n * n));
  // Orthonormalise the columns in turn (modified Gram–Schmidt, twice for stability).
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += a[i * n + j] * a[i * n + k];
        for (let i = 0; i < n; i++) a[i * n + j] -= dot * a[i * n + k];
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += a[i * n + j] ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) a[i * n + j] /= norm;
  }
  return a;
}

/** weight_ih [4H, fanIn] or weight_hh [4H, H] (recurrent = true). */
export function paperLstmWeight(hidden: number, fanIn: number, recurrent: boolean): Tensor {
  const std = Math.sqrt(1 / (hidden + fanIn));
  const w = normal(4 * hidden * fanIn).map((v) => v * std);
  const g = w.subarray(2 * hidden * fanIn, 3 * hidden * fanIn);
  if (recurrent) {
    const q = orthogonal(hidden);
    const gain = TANH_GAIN / Math.SQRT2;
    for (let i = 0; i < g.length; i++) g[i] = gain * q[i];
  } else {
    for (let i = 0; i < g.length; i++) g[i] *= TANH_GAIN;
  }
  return tensor(w, [4 * hidden, fanIn]);
}

/** bias_ih all 0; bias_hh 0 with the forget gate (second quarter) at 1. */
export function paperLstmBias(hidden: number, recurrent: boolean): Tensor {
  const b = new Float32Array(4 * hidden);
  if (recurrent) b.fill(1, hidden, 2 * hidden);
  return tensor(b, [4 * hidden]);
}
