/**
 * The engine against independent expected values from PyTorch (test/fixtures/pytorch.json, written by
 * test/fixtures/make_fixtures.py), on both backends. Gradient cases use the loss (out * w).sum().
 * The webgpu suite needs an adapter (SwiftShader in CI); when there is none it fails, it does not skip.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2d, crossEntropy, scaledDotProductAttention, embedding, getBackend, layerNorm, maxPool2d, MLP, Linear, optim, setBackend, tensor, where, type Conv2dOptions, type LayerNormOptions, type Tensor } from '../index.js';

interface Arr {
  shape: number[];
  data: number[];
  dtype?: 'i32';
}
interface GradCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: Record<string, Arr>;
  out: Arr;
  w: Arr;
  grads: Record<string, Arr>;
}
interface AdamCase {
  name: string;
  op: 'adam';
  params: { lr: number; betas: [number, number]; eps: number; weightDecay: number };
  init: Arr[];
  grads: Arr[][];
  after: Arr[][];
}
interface ClipCase {
  name: string;
  op: 'clipGradNorm';
  params: { maxNorm: number };
  inputs: Arr[];
  grads: Arr[];
  norm: Arr;
  clipped: Arr[];
}
type Case = GradCase | AdamCase | ClipCase;

const fixture = JSON.parse(readFileSync(new URL('./fixtures/pytorch.json', import.meta.url), 'utf8')) as { cases: Case[] };
const cases = fixture.cases;

interface Tol {
  abs: number;
  rel: number;
}
const TOL: Tol = { abs: 1e-4, rel: 1e-4 };
const COMPOUND: Tol = { abs: 1e-4, rel: 1e-3 };
/** Adam parameters are O(1) and move by ~1e-2 a step: a tight bound, so a wrong update rule shows. */
const ADAM: Tol = { abs: 1e-5, rel: 1e-5 };

/** Checks |a − b| ≤ abs + rel·|b| everywhere; reports the first mismatching index and the worst one. */
function expectClose(actual: ArrayLike<number>, expected: Arr, tol: Tol, label: string): void {
  const want = expected.data;
  if (actual.length !== want.length) {
    expect.fail(`${label}: ${actual.length} values, expected ${want.length} (shape [${expected.shape.join(',')}])`);
  }
  let first = -1;
  let bad = 0;
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const a = actual[i];
    const b = want[i];
    const bound = tol.abs + tol.rel * Math.abs(b);
    const diff = Math.abs(a - b);
    if (!(diff <= bound)) {
      bad++;
      if (first < 0) first = i;
      const ratio = Number.isNaN(diff) ? Infinity : diff / bound;
      if (ratio > worstRatio || worst < 0) {
        worstRatio = ratio;
        worst = i;
      }
    }
  }
  if (first >= 0) {
    const at = (i: number): string => `[${unravel(i, expected.shape).join(',')}] (flat ${i}): got ${actual[i]}, expected ${want[i]}`;
    expect.fail(
      `${label}: ${bad}/${want.length} values off (tol abs ${tol.abs} rel ${tol.rel}); first at ${at(first)}` +
        (worst !== first ? `; worst at ${at(worst)}` : ''),
    );
  }
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

function make(a: Arr): Tensor {
  return a.dtype === 'i32' ? tensor(Int32Array.from(a.data), a.shape, 'i32') : tensor(Float32Array.from(a.data), a.shape);
}

async function check(t: Tensor | null, expected: Arr, tol: Tol, label: string): Promise<void> {
  if (!t) return expect.fail(`${label}: is null`);
  expect(t.shape, `${label}: shape`).toEqual(expected.shape);
  expectClose(await t.toArray(), expected, tol, label);
}

type Forward = (x: Record<string, Tensor>, p: Record<string, unknown>) => { out: Tensor; leaves?: Record<string, Tensor> };

const binary = (f: (a: Tensor, b: Tensor) => Tensor): Forward => (x) => ({ out: f(x.a, x.b) });
const scalar = (f: (a: Tensor, s: number) => Tensor): Forward => (x, p) => ({ out: f(x.a, p.scalar as number) });
const unary = (f: (x: Tensor) => Tensor): Forward => (x) => ({ out: f(x.x) });
const reduction = (f: (x: Tensor, axes: number | number[] | undefined, keep: boolean) => Tensor): Forward => (x, p) => ({
  out: f(x.x, (p.axes as number | number[] | null) ?? undefined, p.keepDims as boolean),
});

const FORWARD: Record<string, Forward> = {
  add: binary((a, b) => a.add(b)),
  sub: binary((a, b) => a.sub(b)),
  mul: binary((a, b) => a.mul(b)),
  div: binary((a, b) => a.div(b)),
  pow: binary((a, b) => a.pow(b)),
  maximum: binary((a, b) => a.maximum(b)),
  minimum: binary((a, b) => a.minimum(b)),
  addScalar: scalar((a, s) => a.add(s)),
  subScalar: scalar((a, s) => a.sub(s)),
  mulScalar: scalar((a, s) => a.mul(s)),
  divScalar: scalar((a, s) => a.div(s)),
  powScalar: scalar((a, s) => a.pow(s)),
  exp: unary((x) => x.exp()),
  log: unary((x) => x.log()),
  relu: unary((x) => x.relu()),
  sigmoid: unary((x) => x.sigmoid()),
  tanh: unary((x) => x.tanh()),
  abs: unary((x) => x.abs()),
  sqrt: unary((x) => x.sqrt()),
  neg: unary((x) => x.neg()),
  square: unary((x) => x.square()),
  softmax: unary((x) => x.softmax()),
  logSoftmax: unary((x) => x.logSoftmax()),
  where: (x) => ({ out: where(x.cond, x.a, x.b) }),
  sum: reduction((x, axes, keep) => x.sum(axes, keep)),
  mean: reduction((x, axes, keep) => x.mean(axes, keep)),
  max: reduction((x, axes, keep) => x.max(axes, keep)),
  matmul: (x, p) => ({ out: x.a.matmul(x.b, { transA: p.transA as boolean, transB: p.transB as boolean }) }),
  crossEntropy: (x) => ({ out: crossEntropy(x.logits, x.targets) }),
  conv2d: (x, p) => ({ out: conv2d(x.x, x.w, x.b, p as Conv2dOptions) }),
  attention: (x, p) => ({ out: scaledDotProductAttention(x.q, x.k, x.v, { causal: p.causal as boolean, keyLengths: x.keyLengths }) }),
  layerNorm: (x, p) => ({ out: layerNorm(x.x, x.w, x.b, p as LayerNormOptions) }),
  maxPool2d: (x, p) => ({ out: maxPool2d(x.x, p.kernel as number, p.stride as number | undefined) }),
  embedding: (x) => ({ out: embedding(x.table, x.idx) }),
  linear: (x) => {
    const [outF, inF] = x.weight.shape;
    const layer = new Linear(inF, outF);
    layer.weight.assign(x.weight.detach());
    layer.bias!.assign(x.bias.detach());
    return { out: layer.forward(x.x), leaves: { x: x.x, weight: layer.weight, bias: layer.bias! } };
  },
  mlp: (x, p) => {
    const net = new MLP(p.sizes as number[]);
    const leaves: Record<string, Tensor> = { x: x.x };
    net.layers.forEach((layer, i) => {
      layer.weight.assign(x[`w${i}`].detach());
      layer.bias!.assign(x[`b${i}`].detach());
      leaves[`w${i}`] = layer.weight;
      leaves[`b${i}`] = layer.bias!;
    });
    return { out: net.forward(x.x), leaves };
  },
};

async function runGradCase(c: GradCase): Promise<void> {
  const forward = FORWARD[c.op];
  if (!forward) return expect.fail(`no forward for op '${c.op}'`);
  const inputs: Record<string, Tensor> = {};
  for (const [k, a] of Object.entries(c.inputs)) {
    inputs[k] = make(a);
    if (k in c.grads) inputs[k].requireGrad();
  }
  const tol = c.op === 'mlp' ? COMPOUND : TOL;
  const { out, leaves = inputs } = forward(inputs, c.params);
  await check(out, c.out, tol, 'forward');
  const loss = out.mul(make(c.w)).sum();
  loss.backward();
  for (const [k, g] of Object.entries(c.grads)) await check(leaves[k].grad, g, tol, `grad of ${k}`);
}

async function runAdamCase(c: AdamCase): Promise<void> {
  const params = c.init.map((a) => make(a).keep().requireGrad());
  const { lr, betas, eps, weightDecay } = c.params;
  const opt = new optim.Adam(params, { lr, betas, eps, weightDecay });
  for (let step = 0; step < c.grads.length; step++) {
    params.forEach((p, i) => {
      p.grad?.dispose();
      p.grad = make(c.grads[step][i]).keep();
    });
    opt.step();
    for (let i = 0; i < params.length; i++) await check(params[i], c.after[step][i], ADAM, `param ${i} after step ${step + 1}`);
  }
  opt.dispose();
}

async function runClipCase(c: ClipCase): Promise<void> {
  const params = c.inputs.map((a) => make(a).keep().requireGrad());
  params.forEach((p, i) => (p.grad = make(c.grads[i]).keep()));
  const norm = optim.clipGradNorm(params, c.params.maxNorm);
  await check(norm, c.norm, TOL, 'total norm');
  for (let i = 0; i < params.length; i++) await check(params[i].grad, c.clipped[i], TOL, `clipped grad ${i}`);
}

describe('pytorch fixtures file', () => {
  it('has the expected cases', () => {
    expect(cases.length).toBeGreaterThan(80);
    const ops = new Set(cases.map((c) => c.op));
    for (const op of [...Object.keys(FORWARD), 'adam', 'clipGradNorm']) expect(ops.has(op), `a case for ${op}`).toBe(true);
  });
});

describe.each(['cpu', 'webgpu'] as const)('pytorch fixtures on %s', (name) => {
  beforeAll(async () => {
    // No skipping: CI has a WebGPU adapter (SwiftShader), so a failure to get one is a failure.
    const backend = await setBackend(name);
    expect(backend.name).toBe(name);
  }, 120_000);

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expect(getBackend().name, 'active backend').toBe(name);
    if (c.op === 'adam') await runAdamCase(c as AdamCase);
    else if (c.op === 'clipGradNorm') await runClipCase(c as ClipCase);
    else await runGradCase(c as GradCase);
  }, 60_000);
});
