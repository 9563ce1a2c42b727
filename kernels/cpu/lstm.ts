/**
 * CPU reference of the fused LSTM cell (PyTorch's gate order i, f, g, o):
 *   c = σ(f)·c_prev + σ(i)·tanh(g),   h = σ(o)·tanh(c)
 * and its backward. The CPU backend keeps the forward's activations (`acts`, [B, 5H]: σ(i), σ(f), tanh(g),
 * σ(o), tanh(c) per row) for the backward: the five transcendental functions per element are most of the
 * cell's time, and the backward would otherwise pay them again. The GPU recomputes them (cheap there).
 */

// One-sided is safe in f64 (exp overflows to Infinity, giving 0, never NaN) and faster than the
// two-sided form, which f32 kernels need; the transcendental functions are most of this kernel's time.
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The forward; with `acts` ([B, 5H]) it also stores the activations for lstmCellBackwardFromActs. */
export function lstmCellCpu(
  gates: Float32Array, cPrev: Float32Array, batch: number, hidden: number, acts?: Float32Array,
): { h: Float32Array; c: Float32Array } {
  const h = new Float32Array(batch * hidden);
  const c = new Float32Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const g0 = b * 4 * hidden;
    for (let j = 0; j < hidden; j++) {
      const e = b * hidden + j;
      const i = sigmoid(gates[g0 + j]);
      const f = sigmoid(gates[g0 + hidden + j]);
      const g = Math.tanh(gates[g0 + 2 * hidden + j]);
      const o = sigmoid(gates[g0 + 3 * hidden + j]);
      c[e] = f * cPrev[e] + i * g;
      // tanh of the stored (f32-rounded) c, as the backward and the GPU kernel see it.
      const tc = Math.tanh(c[e]);
      h[e] = o * tc;
      if (acts) {
        const a0 = b * 5 * hidden + j;
        acts[a0] = i;
        acts[a0 + hidden] = f;
        acts[a0 + 2 * hidden] = g;
        acts[a0 + 3 * hidden] = o;
        acts[a0 + 4 * hidden] = tc;
      }
    }
  }
  return { h, c };
}

/**
 * Given ∂L/∂h and ∂L/∂c (the latter from the next step) and the forward's activations, ∂L/∂gates [B, 4H]
 * and ∂L/∂c_prev [B, H]:
 *   dc_total = dc + dh·σ(o)·(1 − tanh²c)
 *   d(i, f, g, o) = dc_total·tanh(g)·σ'(i), dc_total·c_prev·σ'(f), dc_total·σ(i)·(1 − tanh²g), dh·tanh(c)·σ'(o)
 *   dc_prev = dc_total·σ(f)
 */
export function lstmCellBackwardFromActs(
  acts: Float32Array, cPrev: Float32Array, dh: Float32Array, dc: Float32Array, batch: number, hidden: number,
): { dgates: Float32Array; dcPrev: Float32Array } {
  const dgates = new Float32Array(batch * 4 * hidden);
  const dcPrev = new Float32Array(batch * hidden);
  for (let b = 0; b < batch; b++) {
    const g0 = b * 4 * hidden;
    const a0 = b * 5 * hidden;
    for (let j = 0; j < hidden; j++) {
      const e = b * hidden + j;
      const i = acts[a0 + j];
      const f = acts[a0 + hidden + j];
      const g = acts[a0 + 2 * hidden + j];
      const o = acts[a0 + 3 * hidden + j];
      const tc = acts[a0 + 4 * hidden + j];
      const dcTotal = dc[e] + dh[e] * o * (1 - tc * tc);
      dgates[g0 + j] = dcTotal * g * i * (1 - i);
      dgates[g0 + hidden + j] = dcTotal * cPrev[e] * f * (1 - f);
      dgates[g0 + 2 * hidden + j] = dcTotal * i * (1 - g * g);
      dgates[g0 + 3 * hidden + j] = dh[e] * tc * o * (1 - o);
      dcPrev[e] = dcTotal * f;
    }
  }
  return { dgates, dcPrev };
}

/** lstmCellBackwardFromActs with the activations recomputed from the gates (when the forward kept none). */
export function lstmCellBackwardCpu(
  gates: Float32Array, cPrev: Float32Array, dh: Float32Array, dc: Float32Array, batch: number, hidden: number,
): { dgates: Float32Array; dcPrev: Float32Array } {
  const acts = new Float32Array(batch * 5 * hidden);
  lstmCellCpu(gates, cPrev, batch, hidden, acts);
  return lstmCellBackwardFromActs(acts, cPrev, dh, dc, batch, hidden);
}
