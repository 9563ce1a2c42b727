/**
 * Every differentiable operation: shape checks, the backend call, and the backward rule next to it.
 * Backward rules are written with these same ops, except for fused kernels (cross-entropy, gather).
 */
import type { Backend, BinaryOp, MapInput, MapOp, ReduceOp, Storage, UnaryOp } from './backend.js';
import type { DType } from './dtype.js';
import { broadcastAxes, broadcastShapes, broadcastStrides, fmt, normalizeAxes, sameShape, sizeOf, stridesOf } from './shape.js';
import { checkOptions } from './options.js';
import { gradEnabled, nextRandomStream, noGrad } from './state.js';
import { StorageRef, Tensor, type GradNode } from './tensor.js';

// ---- plumbing ----------------------------------------------------------------------------------------

export function fromStorage(backend: Backend, storage: Storage, shape: readonly number[]): Tensor {
  return new Tensor(new StorageRef(backend, storage), shape);
}

export function record(out: Tensor, op: string, inputs: Tensor[], backward: GradNode['backward']): Tensor {
  if (gradEnabled() && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, backward };
  }
  return out;
}

export function backendOf(op: string, tensors: readonly Tensor[]): Backend {
  const b = tensors[0].live(op).backend;
  for (const t of tensors) {
    const tb = t.live(op).backend;
    if (tb !== b) {
      const which = tb.name === b.name ? `two ${b.name} backend instances` : `${b.name} and ${tb.name}`;
      throw new Error(`${op}: tensors live on different backends (${which})`);
    }
  }
  return b;
}

export function expectDtype(op: string, t: Tensor, dtype: DType, what = 'input'): void {
  if (t.dtype !== dtype) throw new Error(`${op}: ${what} of shape ${fmt(t.shape)} has dtype ${t.dtype}, expected ${dtype}`);
}

const view = (t: Tensor, outShape: readonly number[]): MapInput => ({ storage: t.storage, strides: broadcastStrides(t.shape, outShape) });

/** Sums a broadcast gradient back down to `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const axes = broadcastAxes(shape, g.shape);
  return reduce('sum', g, axes, false).reshape(shape);
}

// ---- elementwise -------------------------------------------------------------------------------------

function unary(op: UnaryOp, x: Tensor, backward: ((g: Tensor, y: Tensor) => Tensor) | null, outDtype: DType = 'f32'): Tensor {
  const b = backendOf(op, [x]);
  if (outDtype === 'f32' && op !== 'toF32') expectDtype(op, x, 'f32');
  const y = fromStorage(b, b.map(op, [{ storage: x.storage, strides: stridesOf(x.shape) }], x.shape, outDtype), x.shape);
  return backward ? record(y, op, [x], (g) => [backward(g, y)]) : y;
}

export const neg = (x: Tensor): Tensor => unary('neg', x, (g) => neg(g));
export const exp = (x: Tensor): Tensor => unary('exp', x, (g, y) => g.mul(y));
export const log = (x: Tensor): Tensor => unary('log', x, (g) => g.div(x));
export const relu = (x: Tensor): Tensor => unary('relu', x, (g) => g.mul(step(x)));
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x, (g, y) => g.mul(y.mul(y.neg().add(1))));
export const tanh = (x: Tensor): Tensor => unary('tanh', x, (g, y) => g.mul(y.square().neg().add(1)));
/** log(1 + eˣ), computed without overflow; its derivative is σ(x). */
export const softplus = (x: Tensor): Tensor => unary('softplus', x, (g) => g.mul(sigmoid(x)));
export const abs = (x: Tensor): Tensor => unary('abs', x, (g) => g.mul(sign(x)));
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, (g, y) => g.div(y.mul(2)));
export const square = (x: Tensor): Tensor => unary('square', x, (g) => g.mul(x.mul(2)));
/** 1 where x > 0, else 0 (the derivative of relu). */
export const step = (x: Tensor): Tensor => unary('step', x, null);
const sign = (x: Tensor): Tensor => noGrad(() => step(x).sub(step(x.neg())));

export function cast(x: Tensor, dtype: 'f32' | 'i32'): Tensor {
  backendOf('cast', [x]);
  if (x.dtype === dtype) return x.detach();
  return unary(dtype === 'f32' ? 'toF32' : 'toI32', x, null, dtype);
}

function binary(op: BinaryOp, a: Tensor, bIn: Tensor | number, outDtype: DType = 'f32'): { out: Tensor; other: Tensor | null } {
  if (typeof bIn === 'number') {
    const be = backendOf(op, [a]);
    expectDtype(op, a, 'f32');
    const out = be.map(op, [view(a, a.shape), { scalar: bIn }], a.shape, outDtype);
    return { out: fromStorage(be, out, a.shape), other: null };
  }
  const be = backendOf(op, [a, bIn]);
  expectDtype(op, a, 'f32', 'left operand');
  expectDtype(op, bIn, 'f32', 'right operand');
  const shape = broadcastShapes(op, a.shape, bIn.shape);
  const out = be.map(op, [view(a, shape), view(bIn, shape)], shape, outDtype);
  return { out: fromStorage(be, out, shape), other: bIn };
}

type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor | number, out: Tensor) => [Tensor | null, Tensor | null];

function binaryWithGrad(op: BinaryOp, a: Tensor, b: Tensor | number, grad: BinaryGrad): Tensor {
  const { out, other } = binary(op, a, b);
  const inputs = other ? [a, other] : [a];
  return record(out, op, inputs, (g) => {
    const [ga, gb] = grad(g, a, b, out);
    return [ga && sumTo(ga, a.shape), other && gb ? sumTo(gb, other.shape) : null];
  });
}

export const add = (a: Tensor, b: Tensor | number): Tensor => binaryWithGrad('add', a, b, (g) => [g, g]);
export const sub = (a: Tensor, b: Tensor | number): Tensor => binaryWithGrad('sub', a, b, (g) => [g, neg(g)]);
export const mul = (a: Tensor, b: Tensor | number): Tensor =>
  binaryWithGrad('mul', a, b, (g) => [g.mul(b), typeof b === 'number' ? null : g.mul(a)]);
export const div = (a: Tensor, b: Tensor | number): Tensor =>
  binaryWithGrad('div', a, b, (g, _a, _b, out) => [g.div(b), typeof b === 'number' ? null : g.mul(out).div(b).neg()]);
export const pow = (a: Tensor, b: Tensor | number): Tensor =>
  binaryWithGrad('pow', a, b, (g, _a, _b, out) => [
    g.mul(b).mul(a.pow(typeof b === 'number' ? b - 1 : b.sub(1))),
    typeof b === 'number' ? null : g.mul(out).mul(a.log()),
  ]);
/** Gradient goes to the larger operand (to the left one on ties, like a where(a >= b)). */
export const maximum = (a: Tensor, b: Tensor | number): Tensor =>
  binaryWithGrad('maximum', a, b, (g) => {
    const pick = noGrad(() => compare('ge', a, b));
    return [g.mul(pick), g.mul(pick.neg().add(1))];
  });
export const minimum = (a: Tensor, b: Tensor | number): Tensor =>
  binaryWithGrad('minimum', a, b, (g) => {
    const pick = noGrad(() => compare('le', a, b));
    return [g.mul(pick), g.mul(pick.neg().add(1))];
  });

/** Comparisons give 1.0 / 0.0 in f32 and are not differentiable. */
export function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', a: Tensor, b: Tensor | number): Tensor {
  return binary(op, a, b).out;
}

/** cond ? a : b elementwise, with broadcasting over all three. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const be = backendOf('where', [cond, a, b]);
  expectDtype('where', cond, 'f32', 'condition');
  expectDtype('where', a, 'f32', 'first branch');
  expectDtype('where', b, 'f32', 'second branch');
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  const out = fromStorage(be, be.map('where', [view(cond, shape), view(a, shape), view(b, shape)], shape, 'f32'), shape);
  return record(out, 'where', [cond, a, b], (g) => {
    const zero = noGrad(() => g.mul(0));
    return [null, sumTo(where(cond, g, zero), a.shape), sumTo(where(cond, zero, g), b.shape)];
  });
}

// ---- shape -------------------------------------------------------------------------------------------

export function reshape(x: Tensor, shapeIn: readonly number[]): Tensor {
  const ref = x.live('reshape');
  const shape = [...shapeIn];
  const unknown = shape.indexOf(-1);
  if (unknown >= 0) {
    const known = sizeOf(shape.filter((_, i) => i !== unknown));
    shape[unknown] = known === 0 ? 0 : x.size / known;
  }
  if (shape.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(shape) !== x.size) {
    throw new Error(`reshape: cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shapeIn)}`);
  }
  const out = new Tensor(ref.retain(), shape);
  return record(out, 'reshape', [x], (g) => [g.reshape(x.shape)]);
}

/** transpose() swaps the last two axes, transpose(i, j) swaps i and j, transpose(...perm) permutes all. */
export function transpose(x: Tensor, axes: readonly number[]): Tensor {
  x.live('transpose');
  const rank = x.rank;
  let perm: number[];
  if (axes.length === rank && rank > 2) perm = normalizePerm(x, axes);
  else {
    if (rank < 2 && axes.length === 0) return x.reshape(x.shape);
    const [i, j] = (axes.length === 0 ? [-2, -1] : axes).map((a) => (a < 0 ? a + rank : a));
    if (axes.length > 2 || axes.length === 1 || !(i >= 0 && i < rank && j >= 0 && j < rank)) {
      throw new Error(`transpose: axes [${axes.join(',')}] are invalid for shape ${fmt(x.shape)}`);
    }
    perm = x.shape.map((_, k) => k);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const srcStrides = stridesOf(x.shape);
  const shape = perm.map((p) => x.shape[p]);
  const be = x.backend;
  const out = fromStorage(be, be.map('identity', [{ storage: x.storage, strides: perm.map((p) => srcStrides[p]) }], shape, x.dtype), shape);
  const inverse = perm.map((_, k) => perm.indexOf(k));
  return record(out, 'transpose', [x], (g) => [transpose(g, inverse)]);
}

function normalizePerm(x: Tensor, axes: readonly number[]): number[] {
  const perm = axes.map((a) => (a < 0 ? a + x.rank : a));
  const ok = [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok) throw new Error(`transpose: [${axes.join(',')}] is not a permutation of the axes of ${fmt(x.shape)}`);
  return perm;
}

export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  const be = backendOf('broadcastTo', [x]);
  const target = broadcastShapes('broadcastTo', x.shape, shape);
  if (!sameShape(target, shape)) throw new Error(`broadcastTo: cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
  const out = fromStorage(be, be.map('identity', [view(x, shape)], shape, x.dtype), shape);
  return record(out, 'broadcastTo', [x], (g) => [sumTo(g, x.shape)]);
}

/** A tensor sharing x's data with no gradient history. */
export function detach(x: Tensor): Tensor {
  return new Tensor(x.live('detach').retain(), x.shape);
}

// ---- reductions --------------------------------------------------------------------------------------

export function reduce(op: Exclude<ReduceOp, 'sumsq'>, x: Tensor, axesIn?: number | readonly number[], keepDims = false): Tensor {
  const be = backendOf(op, [x]);
  expectDtype(op, x, 'f32');
  const axes = normalizeAxes(op, x.shape, axesIn);
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !axes.includes(i));
  const out = fromStorage(be, be.reduce(op, x.storage, x.shape, axes), outShape);
  return record(out, op, [x], (g) => {
    const gFull = g.reshape(keptShape).broadcastTo(x.shape);
    if (op === 'sum') return [gFull];
    const isMax = noGrad(() => compare('eq', x, out.reshape(keptShape)));
    return [gFull.mul(isMax)];
  });
}

export function mean(x: Tensor, axesIn?: number | readonly number[], keepDims = false): Tensor {
  const axes = normalizeAxes('mean', x.shape, axesIn);
  const count = sizeOf(axes.map((a) => x.shape[a]));
  return reduce('sum', x, axes, keepDims).mul(1 / count);
}

// ---- matmul ------------------------------------------------------------------------------------------

export interface MatmulOptions {
  /** Use the transpose of a (its last two axes) without copying it. */
  transA?: boolean;
  /** Use the transpose of b (its last two axes) without copying it. */
  transB?: boolean;
}

const MATMUL_OPTIONS = { transA: 'boolean', transB: 'boolean' } as const;

/**
 * Matrix product over the last two axes; leading (batch) axes must match, or one operand is a plain
 * matrix used for every batch entry. Transposed operands are read in place.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const be = backendOf('matmul', [a, b]);
  checkOptions('matmul', opts, MATMUL_OPTIONS);
  expectDtype('matmul', a, 'f32', 'left operand');
  expectDtype('matmul', b, 'f32', 'right operand');
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands need at least 2 dimensions, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (k !== k2 || (batchA.length > 0 && batchB.length > 0 && !sameShape(batchA, batchB))) {
    const ta = transA ? 'ᵀ' : '';
    const tb = transB ? 'ᵀ' : '';
    throw new Error(`matmul: shapes ${fmt(a.shape)}${ta} and ${fmt(b.shape)}${tb} are incompatible (inner ${k} vs ${k2}, batch ${fmt(batchA)} vs ${fmt(batchB)})`);
  }
  const batchShape = batchA.length > 0 ? batchA : batchB;
  const batch = sizeOf(batchShape);
  const spec = {
    batch, m, n, k, transA, transB,
    batchStrideA: batchA.length > 0 ? m * k : 0,
    batchStrideB: batchB.length > 0 ? k * n : 0,
  };
  const outShape = [...batchShape, m, n];
  const out = fromStorage(be, be.matmul(a.storage, b.storage, spec), outShape);
  return record(out, 'matmul', [a, b], (g, needs) => {
    // Each gradient is a full product: skip the ones nobody needs (data inputs, frozen weights).
    const ga = !needs[0] ? null : transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB });
    const gb = !needs[1] ? null : transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA });
    return [ga && sumLeading(ga, a.rank), gb && sumLeading(gb, b.rank)];
  });
}

/** Sums away batch axes that an operand did not have (it was broadcast over the batch). */
function sumLeading(g: Tensor, rank: number): Tensor {
  if (g.rank === rank) return g;
  return reduce('sum', g, g.shape.slice(0, g.rank - rank).map((_, i) => i));
}

// ---- softmax and cross-entropy ----------------------------------------------------------------------

export function softmax(x: Tensor, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  const be = backendOf(op, [x]);
  expectDtype(op, x, 'f32');
  if (x.rank === 0) throw new Error(`${op}: needs at least one dimension`);
  const cols = x.shape[x.rank - 1];
  const out = fromStorage(be, be.softmax(x.storage, x.size / cols, cols, log), x.shape);
  return record(out, op, [x], (g) => {
    if (log) return [g.sub(out.exp().mul(g.sum(-1, true)))];
    return [out.mul(g.sub(g.mul(out).sum(-1, true)))];
  });
}

/** Index of the largest value along the last axis (the first on ties): i32, shape without that axis; no gradient. */
export function argmax(x: Tensor): Tensor {
  const be = backendOf('argmax', [x]);
  expectDtype('argmax', x, 'f32');
  if (x.rank === 0 || x.shape[x.rank - 1] === 0) throw new Error(`argmax: needs a non-empty last axis, got ${fmt(x.shape)}`);
  const cols = x.shape[x.rank - 1];
  return fromStorage(be, be.argmax(x.storage, x.size / cols, cols), x.shape.slice(0, -1));
}

/**
 * Mean cross-entropy of logits [..., C] against integer class targets [...] (i32), like
 * torch.nn.functional.cross_entropy. A negative target is ignored (PyTorch's ignore_index): the mean is
 * over the other rows. Forward and backward are fused kernels.
 */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const be = backendOf('crossEntropy', [logits, targets]);
  expectDtype('crossEntropy', logits, 'f32', 'logits');
  expectDtype('crossEntropy', targets, 'i32', 'targets');
  const cols = logits.shape[logits.rank - 1];
  if (logits.rank < 1 || !sameShape(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(`crossEntropy: logits ${fmt(logits.shape)} need targets of shape ${fmt(logits.shape.slice(0, -1))}, got ${fmt(targets.shape)}`);
  }
  const rows = targets.size;
  // The number of counted rows stays on the device: no read-back in a training step.
  const counted = noGrad(() => {
    const asFloat = targets.toFloat();
    const valid = asFloat.ge(0);
    asFloat.dispose();
    const sum = valid.sum();
    valid.dispose();
    return sum;
  });
  const perRow = fromStorage(be, be.crossEntropy(logits.storage, targets.storage, rows, cols), [rows]);
  const out = noGrad(() => perRow.sum().div(counted));
  perRow.dispose();
  return record(out, 'crossEntropy', [logits, targets], (g) => {
    const scale = g.div(counted);
    const grad = be.crossEntropyBackward(logits.storage, targets.storage, scale.storage, rows, cols);
    scale.dispose();
    return [fromStorage(be, grad, logits.shape), null];
  });
}

// ---- gather ------------------------------------------------------------------------------------------

/** Rows of a [rows, cols] table picked by i32 indices of any shape: result [...idx.shape, cols]. */
export function embedding(table: Tensor, idx: Tensor): Tensor {
  const be = backendOf('embedding', [table, idx]);
  expectDtype('embedding', table, 'f32', 'table');
  expectDtype('embedding', idx, 'i32', 'indices');
  if (table.rank !== 2) throw new Error(`embedding: table must be [rows, cols], got ${fmt(table.shape)}`);
  const [rows, cols] = table.shape;
  const out = fromStorage(be, be.gather(table.storage, idx.storage, rows, cols, idx.size), [...idx.shape, cols]);
  return record(out, 'embedding', [table, idx], (g) => [
    fromStorage(be, be.scatterAdd(g.storage, idx.storage, rows, cols, idx.size), table.shape),
    null,
  ]);
}

// ---- weight masks ------------------------------------------------------------------------------------

/**
 * `samples` hard Gumbel-sigmoid samples of a binary mask over `weight`, applied to it: result
 * [samples, ...weight.shape] with P(keep) = σ(logits). The gradient reaches the logits only, through the
 * straight-through estimator ∂m/∂l = s(1 − s) (docs/method.md); the noise is regenerated in the backward.
 */
export function maskedWeights(logits: Tensor, weight: Tensor, samples: number): Tensor {
  const be = backendOf('maskedWeights', [logits, weight]);
  expectDtype('maskedWeights', logits, 'f32', 'logits');
  expectDtype('maskedWeights', weight, 'f32', 'weight');
  if (!sameShape(logits.shape, weight.shape)) {
    throw new Error(`maskedWeights: logits ${fmt(logits.shape)} and weight ${fmt(weight.shape)} must have the same shape`);
  }
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`maskedWeights: samples must be a positive integer, got ${samples}`);
  const { seed, stream } = nextRandomStream();
  const out = fromStorage(be, be.maskSample(logits.storage, weight.storage, samples, seed, stream), [samples, ...weight.shape]);
  return record(out, 'maskedWeights', [logits, weight], (g) => [
    fromStorage(be, be.maskSampleBackward(g.storage, logits.storage, weight.storage, samples, seed, stream), logits.shape),
    null,
  ]);
}

// ---- autograd ----------------------------------------------------------------------------------------

/**
 * Reverse-mode differentiation from `root`: accumulates into `.grad` of every leaf with requiresGrad.
 * Intermediate gradients are disposed as soon as they have been propagated.
 */
export function backward(root: Tensor, seed?: Tensor): void {
  root.live('backward');
  if (!root.requiresGrad) throw new Error(`backward: tensor of shape ${fmt(root.shape)} does not require grad (no input had requiresGrad)`);
  if (!seed && root.size !== 1) throw new Error(`backward: output of shape ${fmt(root.shape)} is not a scalar; pass the gradient explicitly`);
  const order = topologicalOrder(root);
  const grads = new Map<Tensor, Tensor>();
  noGrad(() => {
    // The seed is a view, so every gradient in the map can be disposed once propagated.
    grads.set(root, seed ? seed.detach() : fill(root.backend, root.shape, 1));
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        accumulateLeaf(t, g);
        continue;
      }
      const inputGrads = t.node.backward(g, t.node.inputs.map((input) => input.requiresGrad));
      // A rule may return g itself, or one tensor for several inputs (x + y → g, g): each input gets its
      // own view, so summing into one input's gradient never releases another's.
      t.node.inputs.forEach((input, j) => {
        const gi = inputGrads[j];
        if (!gi || !input.requiresGrad) return;
        const prev = grads.get(input);
        const own = gi.detach();
        grads.set(input, prev ? addAndRelease(prev, own) : own);
      });
      new Set([g, ...inputGrads]).forEach((x) => x?.dispose());
    }
  });
}

function addAndRelease(prev: Tensor, next: Tensor): Tensor {
  const sum = add(prev, next);
  prev.dispose();
  next.dispose();
  return sum;
}

function accumulateLeaf(t: Tensor, g: Tensor): void {
  let own = g;
  if (!sameShape(g.shape, t.shape)) {
    own = g.reshape(t.shape);
    g.dispose();
  }
  if (t.grad) {
    const old = t.grad;
    t.grad = add(old, own).keep();
    old.dispose();
    own.dispose();
  } else {
    t.grad = own.keep();
  }
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].node?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !seen.has(next)) {
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

// ---- creation ----------------------------------------------------------------------------------------

export function fill(backend: Backend, shape: readonly number[], value: number, dtype: DType = 'f32'): Tensor {
  return fromStorage(backend, backend.fill(dtype, sizeOf(shape), value), shape);
}

export type { MapOp };
