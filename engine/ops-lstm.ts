/**
 * The fused LSTM cell as an autograd op: one kernel per step forward and one backward, instead of the
 * dozen elementwise ops (and their saved intermediates) of the unfused formula. Its two outputs share one
 * backward (multi-output.ts), which receives ∂L/∂h and ∂L/∂c together.
 */
import { zeros } from './create.js';
import { recordMulti } from './multi-output.js';
import { split, stack, unstack } from './ops-concat.js';
import { gradEnabled, noGrad } from './state.js';
import { backendOf, expectDtype, fromStorage, where } from './ops.js';
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

/** One recurrent product h W_hhᵀ; a sampled W [K, 4H, H] cuts the batch into K slices (as models/linear.ts). */
function recurrentProduct(h: Tensor, weightHh: Tensor): Tensor {
  if (weightHh.rank === 2) return h.matmul(weightHh, { transB: true });
  const samples = weightHh.shape[0];
  return h.reshape(samples, -1, h.shape[1]).matmul(weightHh, { transB: true }).reshape(h.shape[0], -1);
}

/** g · W_hh, the gradient of recurrentProduct with respect to h. */
function recurrentProductBackward(g: Tensor, weightHh: Tensor): Tensor {
  if (weightHh.rank === 2) return g.matmul(weightHh);
  const samples = weightHh.shape[0];
  return g.reshape(samples, -1, g.shape[1]).matmul(weightHh).reshape(g.shape[0], -1);
}

/** What the forward keeps of one step for the backward. */
interface SavedStep {
  gates: Tensor;
  hPrev: Tensor;
  cPrev: Tensor;
  /** The backend's saved activations (CPU), or null (recomputed from the gates). */
  acts: Tensor | null;
}

/**
 * One LSTM layer over a whole sequence as one autograd op: `xProj` [B, T, 4H] (the input projection of
 * every step with both biases, computed outside in one product), the recurrent weight [4H, H] (or K sampled
 * copies [K, 4H, H]: batch slice k uses copy k at every step), the initial h0, c0 [B, H], and optional
 * per-step [B, 1] 0/1 masks of the rows still running (past its length a row's output is 0 and its state
 * stays). Returns the output [B, T, H] and the final h and c.
 *
 * The steps run eagerly without recording a graph per op; the backward walks the steps in reverse with the
 * fused cell backward, and forms the recurrent weight's gradient as one product over all steps,
 * Σ_t dgates_tᵀ h_{t−1}, and the projection's gradient as one [B, T, 4H] tensor.
 */
export function lstmSequence(
  xProj: Tensor, weightHh: Tensor, h0: Tensor, c0: Tensor, valid: readonly (Tensor | null)[] | null,
): { output: Tensor; h: Tensor; c: Tensor } {
  const be = backendOf('lstmSequence', [xProj, weightHh, h0, c0]);
  const [batch, steps, four] = xProj.shape;
  const hidden = h0.shape[1];
  if (xProj.rank !== 3 || four !== 4 * hidden || weightHh.shape[weightHh.rank - 2] !== four || weightHh.shape[weightHh.rank - 1] !== hidden
    || h0.shape.join() !== `${batch},${hidden}` || c0.shape.join() !== `${batch},${hidden}`) {
    throw new Error(`lstmSequence: projected input ${fmt(xProj.shape)}, W_hh ${fmt(weightHh.shape)}, h0 ${fmt(h0.shape)}, c0 ${fmt(c0.shape)} do not fit [B, T, 4H], [4H, H], [B, H]`);
  }
  if (weightHh.rank === 3 && batch % weightHh.shape[0] !== 0) {
    throw new Error(`lstmSequence: batch of ${batch} rows cannot be cut into ${weightHh.shape[0]} mask-sample slices (it must be divisible by K)`);
  }
  const needGrad = gradEnabled() && [xProj, weightHh, h0, c0].some((t) => t.requiresGrad);
  const saved: SavedStep[] = [];
  const { outputs, h, c } = noGrad(() => {
    const projected = unstack(xProj, 1);
    let h = h0;
    let c = c0;
    const outputs: Tensor[] = [];
    projected.forEach((xt, t) => {
      const gates = xt.add(recurrentProduct(h, weightHh));
      const out = be.lstmCell(gates.storage, c.storage, batch, hidden, needGrad);
      const next = { h: fromStorage(be, out.h, c.shape), c: fromStorage(be, out.c, c.shape) };
      if (needGrad) saved.push({ gates, hPrev: h, cPrev: c, acts: out.saved ? fromStorage(be, out.saved, [out.saved.size]) : null });
      const mask = valid?.[t];
      outputs.push(mask ? next.h.mul(mask) : next.h);
      [h, c] = mask ? [where(mask, next.h, h), where(mask, next.c, c)] : [next.h, next.c];
    });
    return { outputs, h, c };
  });
  const output = stack(outputs, 1);
  if (!needGrad) return { output, h, c };
  // The outputs above were made under noGrad: copies of h and c get the op's node (h may be h0 itself).
  const [hOut, cOut] = [h.detach(), c.detach()];
  recordMulti('lstmSequence', [output, hOut, cOut], [xProj, weightHh, h0, c0], ([dOut, dhN, dcN], needs) => {
    let dh = dhN ? dhN.detach() : zeros([batch, hidden]);
    let dc = dcN ? dcN.detach() : zeros([batch, hidden]);
    // Per step [B, 1, H] pieces (split, not unstack: a piece and its reshaped view are both released).
    const dOuts = dOut ? split(dOut, new Array<number>(steps).fill(1), 1) : null;
    const dGates: Tensor[] = new Array<Tensor>(steps);
    // Each step's temporaries are released as soon as the step is done: a long sequence would otherwise
    // hold a handful of [B, H] gradients per step until the caller's tidy ends.
    const release = (keep: Tensor, ...ts: (Tensor | null)[]): void => new Set(ts).forEach((t) => t && t !== keep && t.dispose());
    for (let t = steps - 1; t >= 0; t--) {
      const mask = valid?.[t];
      // The gradient reaching h_t from the step's output and from the next step.
      const dOutStep = dOuts ? dOuts[t].reshape(batch, hidden) : null;
      const dhIn = dOutStep ? dh.add(dOutStep) : dh;
      let dhCell = dhIn;
      let dcCell = dc;
      let dhSkip: Tensor | null = null;
      let dcSkip: Tensor | null = null;
      if (mask) {
        // A row past its length passes its state's gradient straight to the previous step (its output was
        // 0, so none comes from there); its cell gets none.
        const negated = mask.mul(-1);
        const stopped = negated.add(1);
        [dhCell, dcCell, dhSkip, dcSkip] = [dhIn.mul(mask), dc.mul(mask), dh.mul(stopped), dc.mul(stopped)];
        [negated, stopped].forEach((m) => m.dispose());
      }
      const s = saved[t];
      const g = be.lstmCellBackward(s.gates.storage, s.cPrev.storage, dhCell.storage, dcCell.storage, batch, hidden, s.acts?.storage);
      dGates[t] = fromStorage(be, g.dgates, [batch, four]);
      const dcPrev = fromStorage(be, g.dcPrev, [batch, hidden]);
      const dhPrev = recurrentProductBackward(dGates[t], weightHh);
      const [nextDh, nextDc] = [dhSkip ? dhPrev.add(dhSkip) : dhPrev, dcSkip ? dcPrev.add(dcSkip) : dcPrev];
      release(nextDh, dh, dhIn, dhCell, dhSkip, dhPrev, dOutStep, dOuts?.[t] ?? null);
      release(nextDc, dc, dcCell, dcSkip, dcPrev);
      [dh, dc] = [nextDh, nextDc];
    }
    const dX = stack(dGates, 1);
    dGates.forEach((d) => d.dispose());
    let dW: Tensor | null = null;
    if (needs[1]) {
      const hPrev = stack(saved.map((s) => s.hPrev), 1);
      // Σ_t dgates_tᵀ h_{t−1} as one product (per mask sample: rows of slice k are contiguous in [B, T, ·]).
      dW = weightHh.rank === 2
        ? dX.reshape(-1, four).matmul(hPrev.reshape(-1, hidden), { transA: true })
        : dX.reshape(weightHh.shape[0], -1, four).matmul(hPrev.reshape(weightHh.shape[0], -1, hidden), { transA: true });
      hPrev.dispose();
    }
    return [needs[0] ? dX : null, dW, needs[2] ? dh : null, needs[3] ? dc : null];
  });
  return { output, h: hOut, c: cOut };
}
