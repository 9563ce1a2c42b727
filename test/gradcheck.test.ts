/**
 * Finite-difference gradient checks on the CPU backend: every differentiable op's backward rule against
 * central differences (L(x+h) − L(x−h)) / 2h of the scalar loss L = Σ f(x) · w.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import type { Tensor } from '../index.js';

const H = 1e-2;

interface Input {
  shape: number[];
  lo?: number;
  hi?: number;
  /** Keep values at least this far from 0 (kinks of relu/abs). */
  awayFromZero?: number;
}

async function gradcheck(inputs: Input[], fn: (...xs: Tensor[]) => Tensor, tol = 5e-3): Promise<void> {
  ms.manualSeed(99);
  const datas = await Promise.all(inputs.map(async (inp) => {
    const lo = inp.lo ?? -1;
    const hi = inp.hi ?? 1;
    const values = Float32Array.from(await ms.rand(inp.shape).mul(hi - lo).add(lo).toArray());
    const gap = inp.awayFromZero ?? 0;
    return values.map((v) => (Math.abs(v) < gap ? (v < 0 ? -gap : gap) : v));
  }));
  const leaves = datas.map((d, i) => ms.tensor(d, inputs[i].shape).requireGrad());
  const y = fn(...leaves);
  const w = ms.rand(y.shape).add(0.5);
  y.mul(w).sum().backward();
  const loss = async (ds: Float32Array[]): Promise<number> =>
    ms.noGrad(() => fn(...ds.map((d, i) => ms.tensor(d, inputs[i].shape))).mul(w).sum()).item();
  for (let i = 0; i < leaves.length; i++) {
    const analytic = await leaves[i].grad!.toArray();
    for (let j = 0; j < datas[i].length; j++) {
      const plus = datas.map((d) => d.slice());
      const minus = datas.map((d) => d.slice());
      plus[i][j] += H;
      minus[i][j] -= H;
      const numeric = ((await loss(plus)) - (await loss(minus))) / (2 * H);
      const ok = Math.abs(numeric - analytic[j]) <= tol * (1 + Math.abs(numeric));
      expect(ok, `input ${i} element ${j}: analytic ${analytic[j]}, numeric ${numeric}`).toBe(true);
    }
  }
}

describe('gradients match finite differences (cpu)', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });
  const s = [3, 4];
  it('neg exp log', () => gradcheck([{ shape: s, lo: 0.2, hi: 2 }], (x) => x.neg().exp().add(x.log())));
  it('relu abs', () => gradcheck([{ shape: s, awayFromZero: 0.05 }], (x) => x.relu().add(x.abs().mul(0.5))));
  it('sigmoid tanh', () => gradcheck([{ shape: s, lo: -3, hi: 3 }], (x) => x.sigmoid().mul(x.tanh())));
  it('softplus', () => gradcheck([{ shape: s, lo: -4, hi: 4 }], (x) => x.softplus().mul(x)));
  it('conv2d with stride, padding, groups and bias', () =>
    gradcheck([{ shape: [2, 4, 5, 4] }, { shape: [6, 2, 3, 2] }, { shape: [6] }], (x, w, b) => ms.conv2d(x, w, b, { stride: [2, 1], padding: 1, groups: 2 })));
  it('conv2d with K weight samples', () => gradcheck([{ shape: [4, 2, 4, 4] }, { shape: [2, 3, 2, 3, 3] }, { shape: [2, 3] }], (x, w, b) => ms.conv2d(x, w, b, { padding: 1 })));
  it('maxPool2d (distinct values, overlapping windows)', () => gradcheck([{ shape: [2, 2, 5, 5] }], (x) => ms.maxPool2d(x, 3, 2)));
  for (const variant of ['torch', 'paper'] as const) {
    it(`layerNorm ${variant}, also with K = 2 gain/bias samples`, async () => {
      await gradcheck([{ shape: [3, 2, 6] }, { shape: [6], lo: 0.5, hi: 1.5 }, { shape: [6] }], (x, w, b) => ms.layerNorm(x, w, b, { variant }));
      await gradcheck([{ shape: [4, 5] }, { shape: [2, 5], lo: 0.5, hi: 1.5 }, { shape: [2, 5] }], (x, w, b) => ms.layerNorm(x, w, b, { variant }));
    });
  }
  it('scaledDotProductAttention, causal and with key lengths', async () => {
    const shapes = [{ shape: [2, 2, 3, 4] }, { shape: [2, 2, 5, 4] }, { shape: [2, 2, 5, 4] }];
    await gradcheck(shapes, (q, k, v) => ms.scaledDotProductAttention(q, k, v, { keyLengths: ms.tensor([5, 2], [2], 'i32') }));
    await gradcheck(shapes.map(() => ({ shape: [1, 2, 4, 3] })), (q, k, v) => ms.scaledDotProductAttention(q, k, v, { causal: true }));
    // Dropout on the probabilities: the same stream (seed) on every evaluation, so the same keys drop.
    const dropped = (q: Tensor, k: Tensor, v: Tensor) => {
      ms.manualSeed(21);
      return ms.scaledDotProductAttention(q, k, v, { dropout: 0.4 });
    };
    await gradcheck(shapes, dropped);
  });
  it('sqrt square', () => gradcheck([{ shape: s, lo: 0.3, hi: 2 }], (x) => x.sqrt().add(x.square())));
  it('add sub with broadcasting', () => gradcheck([{ shape: [3, 1, 4] }, { shape: [2, 4] }], (a, b) => a.add(b).sub(b.mul(a))));
  it('mul div with broadcasting', () => gradcheck([{ shape: [3, 4] }, { shape: [4], lo: 0.5, hi: 2 }], (a, b) => a.mul(b).div(b.add(a.square()))));
  it('pow with tensor and scalar exponents', () => gradcheck([{ shape: s, lo: 0.5, hi: 2 }, { shape: [4], lo: -1, hi: 2 }], (a, b) => a.pow(b).add(a.pow(3))));
  // |a| ≥ 0.2 > |2b|: no input sits within H of a kink, and each side wins somewhere.
  it('maximum minimum', () =>
    gradcheck([{ shape: s, awayFromZero: 0.2 }, { shape: s, lo: -0.05, hi: 0.05 }], (a, b) => a.maximum(b).add(a.minimum(b.mul(2)))));
  it('where', () => gradcheck([{ shape: s }, { shape: [4] }], (a, b) => ms.where(a.gt(0), a, b)));
  it('transpose and permute', () => gradcheck([{ shape: [2, 3, 4] }], (x) => x.transpose().mul(x.transpose(2, 0, 1).reshape(2, 4, 3))));
  it('broadcastTo reshape', () => gradcheck([{ shape: [3, 1] }], (x) => x.broadcastTo([2, 3, 4]).reshape(4, 6).square()));
  it('sum mean', () => gradcheck([{ shape: [2, 3, 4] }], (x) => x.sum(1).square().add(x.mean([0, 2], true).reshape(3, 1).sum())));
  it('max over an axis', () => gradcheck([{ shape: [3, 5] }], (x) => x.max(1).square()));
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    it(`matmul transA=${ta} transB=${tb}`, () =>
      gradcheck([{ shape: ta ? [4, 3] : [3, 4] }, { shape: tb ? [5, 4] : [4, 5] }], (a, b) => a.matmul(b, { transA: ta, transB: tb })));
  }
  it('batched and broadcast matmul', () => gradcheck([{ shape: [2, 3, 4] }, { shape: [4, 2] }], (a, b) => a.matmul(b).square()));
  it('softmax', () => gradcheck([{ shape: [3, 5], lo: -2, hi: 2 }], (x) => x.softmax()));
  it('logSoftmax', () => gradcheck([{ shape: [3, 5], lo: -2, hi: 2 }], (x) => x.logSoftmax()));
  it('crossEntropy', () => gradcheck([{ shape: [4, 6], lo: -2, hi: 2 }], (x) => ms.crossEntropy(x, ms.tensor([0, 5, 2, 2], [4], 'i32'))));
  it('crossEntropy with ignored rows', () => gradcheck([{ shape: [4, 6], lo: -2, hi: 2 }], (x) => ms.crossEntropy(x, ms.tensor([0, -1, 2, -1], [4], 'i32'))));
  it('embedding', () => gradcheck([{ shape: [5, 3] }], (t) => ms.embedding(t, ms.tensor([4, 0, 4, 1], [2, 2], 'i32')).square()));
  it('a small MLP end to end', () => {
    ms.manualSeed(3);
    const mlp = new ms.nn.MLP([4, 6, 3]);
    const [w0, b0, w1, b1] = mlp.parameters();
    return gradcheck([{ shape: [5, 4] }], (x) =>
      x.matmul(w0.detach(), { transB: true }).add(b0.detach()).tanh().matmul(w1.detach(), { transB: true }).add(b1.detach()));
  });
});

describe('crossEntropy ignores negative targets like PyTorch ignore_index', () => {
  it('equals the loss over the counted rows only', async () => {
    await ms.setBackend('cpu');
    ms.manualSeed(4);
    const x = ms.rand([5, 3]);
    const kept = ms.tensor(Float32Array.from(await x.toArray()).slice(3, 12), [3, 3]);
    const withIgnored = await ms.crossEntropy(x, ms.tensor([-1, 2, 0, 1, -1], [5], 'i32')).item();
    const subset = await ms.crossEntropy(kept, ms.tensor([2, 0, 1], [3], 'i32')).item();
    expect(withIgnored).toBeCloseTo(subset, 6);
  });
});
