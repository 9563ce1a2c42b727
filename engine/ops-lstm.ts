/**
 * The fused LSTM cell as an autograd op: one kernel per step forward and one backward, instead of the
 * dozen elementwise ops (and their saved intermediates) of the unfused formula. Its two outputs share one
 * backward (multi-output.ts), which receives ∂L/∂h and ∂L/∂c together.
 */
import { tensor, zeros } from './create.js';
import { recordMulti } from './multi-output.js';
import { concat, split, stack, unstack } from './ops-concat.js';
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

/**
 * Which rows one step computes: in each of the K mask-sample slices of S rows (K = 1 without samples), the
 * first `rows`, the shortest prefix that holds every row of every slice still running (t < its length).
 */
interface StepRows {
  rows: number;
  /** [K·rows, 1] 0/1 flags of the computed rows still running; null when all of them are. */
  running: Tensor | null;
}

/**
 * The rows of every step. Rows past their length are skipped where they end a slice: a batch whose rows
 * are sorted longest first within each slice (as SCAN's training batches are) computes no finished row,
 * as PyTorch's packed sequences do; in any other order the finished rows inside the prefix are computed
 * and then masked, which gives the same result.
 */
function stepRows(lengths: Int32Array | null, samples: number, batch: number, steps: number): StepRows[] {
  const slice = batch / samples;
  return Array.from({ length: steps }, (_, t): StepRows => {
    if (!lengths) return { rows: slice, running: null };
    let rows = 0;
    for (let k = 0; k < samples; k++) {
      for (let i = slice - 1; i >= rows; i--) {
        if (lengths[k * slice + i] > t) {
          rows = i + 1;
          break;
        }
      }
    }
    const flags = new Float32Array(samples * rows);
    for (let k = 0; k < samples; k++) for (let i = 0; i < rows; i++) flags[k * rows + i] = lengths[k * slice + i] > t ? 1 : 0;
    return { rows, running: flags.every((f) => f === 1) ? null : tensor(flags, [samples * rows, 1]) };
  });
}

/**
 * Rows [0, rows) of each of the K slices of x [B, n], as [K·rows, n]; always a new tensor (maybe a view).
 * Called under noGrad only (the forward's steps and the recorded backward), so it copies with the backend's
 * slice directly rather than through split, which would also copy the rest.
 */
function leadingRows(x: Tensor, samples: number, rows: number): Tensor {
  const [batch, n] = x.shape;
  const slice = batch / samples;
  if (rows === slice) return x.reshape(batch, n);
  const be = x.backend;
  return fromStorage(be, be.slice(x.storage, samples, slice, n, 0, rows), [samples * rows, n]);
}

/** x [B, n] with rows [0, rows) of each of the K slices replaced by `lead` [K·rows, n]; a new tensor. Under noGrad. */
function withLeadingRows(lead: Tensor, x: Tensor, samples: number, rows: number): Tensor {
  const [batch, n] = x.shape;
  const slice = batch / samples;
  if (rows === slice) return lead.reshape(batch, n);
  if (rows === 0) return x.reshape(batch, n);
  const be = x.backend;
  const rest = be.slice(x.storage, samples, slice, n, rows, slice - rows);
  const joined = be.concat([lead.storage, rest], samples, [rows, slice - rows], n);
  be.release(rest);
  return fromStorage(be, joined, [batch, n]);
}

/** What the forward keeps of one step that ran rows, for the backward (each over the step's K·rows rows). */
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
 * per-row lengths (each in 0..T): past its length a row's output is 0 and its state stays. Returns the
 * output [B, T, H] and the final h and c.
 *
 * The steps run eagerly without recording a graph per op, each on the rows stepRows picks; the backward
 * walks the steps in reverse with the fused cell backward, and forms the recurrent weight's gradient as
 * one product over all steps, Σ_t dgates_tᵀ h_{t−1}, and the projection's gradient as one [B, T, 4H] tensor.
 */
export function lstmSequence(
  xProj: Tensor, weightHh: Tensor, h0: Tensor, c0: Tensor, lengths: Int32Array | null,
): { output: Tensor; h: Tensor; c: Tensor } {
  const be = backendOf('lstmSequence', [xProj, weightHh, h0, c0]);
  const [batch, steps, four] = xProj.shape;
  const hidden = h0.shape[1];
  if (xProj.rank !== 3 || four !== 4 * hidden || weightHh.shape[weightHh.rank - 2] !== four || weightHh.shape[weightHh.rank - 1] !== hidden
    || h0.shape.join() !== `${batch},${hidden}` || c0.shape.join() !== `${batch},${hidden}`) {
    throw new Error(`lstmSequence: projected input ${fmt(xProj.shape)}, W_hh ${fmt(weightHh.shape)}, h0 ${fmt(h0.shape)}, c0 ${fmt(c0.shape)} do not fit [B, T, 4H], [4H, H], [B, H]`);
  }
  const samples = weightHh.rank === 3 ? weightHh.shape[0] : 1;
  if (batch % samples !== 0) {
    throw new Error(`lstmSequence: batch of ${batch} rows cannot be cut into ${samples} mask-sample slices (it must be divisible by K)`);
  }
  if (lengths && (lengths.length !== batch || lengths.some((l) => !(l >= 0 && l <= steps)))) {
    throw new Error(`lstmSequence: lengths [${Array.from(lengths).join(',')}] must be ${batch} integers in [0, ${steps}]`);
  }
  const plan = stepRows(lengths, samples, batch, steps);
  const needGrad = gradEnabled() && [xProj, weightHh, h0, c0].some((t) => t.requiresGrad);
  const saved: (SavedStep | null)[] = [];
  const { outputs, h, c } = noGrad(() => {
    const projected = unstack(xProj, 1);
    const none = zeros([batch, hidden]);
    let h = h0;
    let c = c0;
    const outputs = projected.map((xt, t) => {
      const { rows, running } = plan[t];
      if (rows === 0) {
        saved.push(null);
        return none;
      }
      const [hRun, cRun] = [leadingRows(h, samples, rows), leadingRows(c, samples, rows)];
      const gates = leadingRows(xt, samples, rows).add(recurrentProduct(hRun, weightHh));
      const out = be.lstmCell(gates.storage, cRun.storage, samples * rows, hidden, needGrad);
      const [hCell, cCell] = [fromStorage(be, out.h, hRun.shape), fromStorage(be, out.c, cRun.shape)];
      saved.push(needGrad ? { gates, hPrev: hRun, cPrev: cRun, acts: out.saved ? fromStorage(be, out.saved, [out.saved.size]) : null } : null);
      const [hNext, cNext] = running ? [where(running, hCell, hRun), where(running, cCell, cRun)] : [hCell, cCell];
      [h, c] = [withLeadingRows(hNext, h, samples, rows), withLeadingRows(cNext, c, samples, rows)];
      return withLeadingRows(running ? hCell.mul(running) : hCell, none, samples, rows);
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
    const noGates = zeros([batch, four]);
    const dX: Tensor[] = new Array<Tensor>(steps);
    // The steps that ran: their rows' gate gradients and previous h, for the weight's gradient.
    const ran: { dGates: Tensor; hPrev: Tensor }[] = [];
    for (let t = steps - 1; t >= 0; t--) {
      const { rows, running } = plan[t];
      if (rows === 0) {
        // No row ran: the step's output was a constant 0, and h and c passed through unchanged.
        dX[t] = noGates.reshape(batch, four);
        continue;
      }
      // Each step's temporaries are released as soon as the step is done: a long sequence would otherwise
      // hold a handful of [B, H] gradients per step until the caller's tidy ends.
      const temps: Tensor[] = [];
      const temp = (x: Tensor): Tensor => (temps.push(x), x);
      // The gradient reaching h_t from the step's output and from the next step, on the rows that ran.
      const dhIn = dOuts ? temp(dh.add(temp(dOuts[t].reshape(batch, hidden)))) : dh;
      let dhCell = temp(leadingRows(dhIn, samples, rows));
      let dcCell = temp(leadingRows(dc, samples, rows));
      let dhSkip: Tensor | null = null;
      let dcSkip: Tensor | null = null;
      if (running) {
        // A finished row passes its state's gradient straight to the previous step (its output was 0, so
        // none comes from there); its cell gets none.
        const stopped = temp(temp(running.mul(-1)).add(1));
        [dhSkip, dcSkip] = [temp(temp(leadingRows(dh, samples, rows)).mul(stopped)), temp(dcCell.mul(stopped))];
        [dhCell, dcCell] = [temp(dhCell.mul(running)), temp(dcCell.mul(running))];
      }
      const s = saved[t]!;
      const g = be.lstmCellBackward(s.gates.storage, s.cPrev.storage, dhCell.storage, dcCell.storage, samples * rows, hidden, s.acts?.storage);
      const dGates = fromStorage(be, g.dgates, [samples * rows, four]);
      const dcPrev = temp(fromStorage(be, g.dcPrev, [samples * rows, hidden]));
      const dhPrev = temp(recurrentProductBackward(dGates, weightHh));
      ran.push({ dGates, hPrev: s.hPrev });
      dX[t] = withLeadingRows(dGates, noGates, samples, rows);
      // Rows that did not run keep the gradient of h and c they had (not the output's: that was a constant 0).
      const nextDh = withLeadingRows(dhSkip ? temp(dhPrev.add(dhSkip)) : dhPrev, dh, samples, rows);
      const nextDc = withLeadingRows(dcSkip ? temp(dcPrev.add(dcSkip)) : dcPrev, dc, samples, rows);
      temps.push(dh, dc);
      if (dOuts) temps.push(dOuts[t]);
      temps.forEach((x) => x.dispose());
      [dh, dc] = [nextDh, nextDc];
    }
    const dXProj = stack(dX, 1);
    dX.forEach((d) => d.dispose());
    noGates.dispose();
    let dW: Tensor | null = null;
    if (needs[1]) {
      // Σ_t dgates_tᵀ h_{t−1} over the rows that ran, as one product per mask sample: [K, Σ rows, ·] each.
      const bySample = (xs: Tensor[]): Tensor => {
        const views = xs.map((x) => x.reshape(samples, -1, x.shape[1]));
        const joined = concat(views, 1);
        views.forEach((v) => v.dispose());
        return joined;
      };
      const [a, b] = [bySample(ran.map((r) => r.dGates)), bySample(ran.map((r) => r.hPrev))];
      const product = a.matmul(b, { transA: true });
      dW = weightHh.rank === 2 ? product.reshape(four, hidden) : product;
      [a, b].forEach((x) => x.dispose());
      if (dW !== product) product.dispose();
    }
    ran.forEach((r) => r.dGates.dispose());
    return [needs[0] ? dXProj : null, dW, needs[2] ? dh : null, needs[3] ? dc : null];
  });
  return { output, h: hOut, c: cOut };
}
