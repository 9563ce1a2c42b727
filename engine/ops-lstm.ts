/**
 * The fused LSTM cell as an autograd op: one kernel per step forward and one backward, instead of the
 * dozen elementwise ops (and their saved intermediates) of the unfused formula. Its two outputs share one
 * backward (multi-output.ts), which receives ∂L/∂h and ∂L/∂c together.
 */
import { recordMulti } from './multi-output.js';
import { gradEnabled } from './state.js';
import { backendOf, expectDtype, fromStorage } from './ops.js';
import { fmt } from './shape.js';
import type { Tensor } from './tensor.js';

/**
 * One LSTM step: pre-activation gates [B, 4H] (x W_ihᵀ + b_ih + h W_hhᵀ + b_hh, PyTorch's order i, f, g, o)
 * and the previous cell state c_prev [B, H] give c = σ(f)·c_prev + σ(i)·tanh(g) and h = σ(o)·tanh(c).
 */
export function lstmCell(gates: Tensor, cPrev: Tensor): { h: Tensor; c: Tensor } {
  const be = backendOf('lstmCell', [gates, cPrev]);
  expectDtype('lstmCell', gates, 'f32', 'gates');
  expectDtype('lstmCell', cPrev, 'f32', 'previous cell state');
  if (gates.rank !== 2 || cPrev.rank !== 2 || gates.shape[0] !== cPrev.shape[0] || gates.shape[1] !== 4 * cPrev.shape[1]) {
    throw new Error(`lstmCell: gates ${fmt(gates.shape)} and c_prev ${fmt(cPrev.shape)} must be [B, 4H] and [B, H]`);
  }
  const [batch, hidden] = cPrev.shape;
  const save = gradEnabled() && (gates.requiresGrad || cPrev.requiresGrad);
  const out = be.lstmCell(gates.storage, cPrev.storage, batch, hidden, save);
  const h = fromStorage(be, out.h, cPrev.shape);
  const c = fromStorage(be, out.c, cPrev.shape);
  // What the backend keeps for the backward (the CPU: the activations), an intermediate like the gates.
  const saved = out.saved ? fromStorage(be, out.saved, [out.saved.size]) : null;
  recordMulti('lstmCell', [h, c], [gates, cPrev], ([dh, dc], needs) => {
    // An output no gradient reached (e.g. the last step's c) counts as zero.
    const zero = dh && dc ? null : be.fill('f32', batch * hidden, 0);
    const grads = be.lstmCellBackward(gates.storage, cPrev.storage, dh?.storage ?? zero!, dc?.storage ?? zero!, batch, hidden, saved?.storage);
    if (zero) be.release(zero);
    // The engine drops gradients nobody needs without disposing them: release those here.
    const keep = (s: typeof grads.dgates, need: boolean, shape: readonly number[]): Tensor | null => {
      if (need) return fromStorage(be, s, shape);
      be.release(s);
      return null;
    };
    return [keep(grads.dgates, needs[0], gates.shape), keep(grads.dcPrev, needs[1], cPrev.shape)];
  });
  return { h, c };
}
