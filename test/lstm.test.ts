/**
 * The LSTM: the fused cell and a 2-layer net against finite differences (CPU), against torch.nn.LSTM
 * (test/fixtures/make_lstm_fixture.py) on both backends, variable lengths, sampled masks, dropout, and the
 * concat/split ops that move between [B, T, F] and per-step tensors.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import type { Tensor } from '../index.js';
import { maskedWeights } from '../engine/ops.js';
import { concat, split, stack, unstack } from '../engine/ops-concat.js';
import { lstmCell } from '../engine/ops-lstm.js';
import { LSTM } from '../models/lstm.js';
import { withParams } from '../models/param-override.js';
import { expectClose } from './checks/kernel-checks.js';
import { gpuBackend } from './gpu.js';

const f32 = async (t: Tensor): Promise<Float32Array> => Float32Array.from(await t.toArray());

/**
 * Central differences (L(x+h) − L(x−h)) / 2h of a scalar loss against the autograd gradient of every leaf.
 * `loss` builds the loss from the leaves; it is called with grad on once, then under noGrad per probe.
 */
async function gradcheck(leaves: Tensor[], loss: () => Tensor, tol = 5e-3, h = 1e-2): Promise<void> {
  leaves.forEach((l) => l.requireGrad());
  loss().backward();
  for (const [i, leaf] of leaves.entries()) {
    const analytic = await f32(leaf.grad!);
    const data = await f32(leaf);
    for (let j = 0; j < data.length; j++) {
      const probe = async (delta: number): Promise<number> => {
        const moved = data.slice();
        moved[j] += delta;
        leaf.assign(ms.tensor(moved, leaf.shape));
        return ms.noGrad(loss).item();
      };
      const numeric = ((await probe(h)) - (await probe(-h))) / (2 * h);
      leaf.assign(ms.tensor(data, leaf.shape));
      const ok = Math.abs(numeric - analytic[j]) <= tol * (1 + Math.abs(numeric));
      expect(ok, `leaf ${i} element ${j}: analytic ${analytic[j]}, numeric ${numeric}`).toBe(true);
    }
  }
}

/** Σ t·w over several outputs, w fixed per output. */
const weightedSum = (outs: Tensor[], ws: Tensor[]): Tensor => outs.map((o, i) => o.mul(ws[i]).sum()).reduce((a, b) => a.add(b));

describe('gradients match finite differences (cpu)', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('the fused cell: gates and c_prev, through h and c', async () => {
    ms.manualSeed(21);
    const gates = ms.rand([3, 12]).mul(6).sub(3);
    const cPrev = ms.rand([3, 3]).mul(2).sub(1);
    const ws = [ms.rand([3, 3]), ms.rand([3, 3])];
    await gradcheck([gates, cPrev], () => {
      const { h, c } = lstmCell(gates, cPrev);
      return weightedSum([h, c], ws);
    });
  });

  it('the cell when only h or only c is used', async () => {
    ms.manualSeed(22);
    const gates = ms.rand([2, 8]).mul(4).sub(2);
    const cPrev = ms.rand([2, 2]);
    const w = ms.rand([2, 2]);
    await gradcheck([gates, cPrev], () => lstmCell(gates, cPrev).h.mul(w).sum());
    gates.grad = null;
    cPrev.grad = null;
    await gradcheck([gates, cPrev], () => lstmCell(gates, cPrev).c.mul(w).sum());
  });

  it('a 2-step, 2-layer LSTM: input, initial state and every weight, with lengths', async () => {
    ms.manualSeed(23);
    const lstm = new LSTM(3, 4, 2);
    const x = ms.rand([3, 2, 3]).mul(2).sub(1);
    const h0 = ms.rand([2, 3, 4]).sub(0.5);
    const c0 = ms.rand([2, 3, 4]).sub(0.5);
    const ws = [ms.rand([3, 2, 4]), ms.rand([2, 3, 4]), ms.rand([2, 3, 4])];
    await gradcheck([x, h0, c0, ...lstm.parameters()], () => {
      const out = lstm.forward(x, { h: h0, c: c0 }, [2, 1, 2]);
      return weightedSum([out.output, out.h, out.c], ws);
    });
  });

  it('rows skipped past their lengths (sorted longest first, steps where no row runs): every gradient', async () => {
    ms.manualSeed(24);
    const lstm = new LSTM(3, 4, 2);
    const x = ms.rand([3, 4, 3]).mul(2).sub(1);
    const ws = [ms.rand([3, 4, 4]), ms.rand([2, 3, 4]), ms.rand([2, 3, 4])];
    await gradcheck([x, ...lstm.parameters()], () => {
      const out = lstm.forward(x, null, [3, 1, 0]);
      return weightedSum([out.output, out.h, out.c], ws);
    });
  });

  it('concat and split along a middle axis, with an unused piece', async () => {
    ms.manualSeed(24);
    const a = ms.rand([2, 3, 2]);
    const b = ms.rand([2, 1, 2]);
    const ws = [ms.rand([2, 1, 2]), ms.rand([2, 2, 2])];
    await gradcheck([a, b], () => {
      const [p, , r] = split(concat([a, b], 1).square(), [1, 1, 2], 1);
      return weightedSum([p, r], ws);
    });
  });
});

describe('stack, unstack, split and concat', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('round-trip along every axis, i32 included', async () => {
    const x = ms.tensor(Int32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    for (const axis of [0, 1, 2, -1]) {
      const pieces = unstack(x, axis);
      expect(pieces.length).toBe(x.shape[axis < 0 ? axis + 3 : axis]);
      expect(Array.from(await stack(pieces, axis).toArray())).toEqual(Array.from(await x.toArray()));
    }
    expect(Array.from(await unstack(x, 1)[2].toArray())).toEqual([8, 9, 10, 11, 20, 21, 22, 23]);
    expect(() => split(x, [1, 1], 1)).toThrow(/do not add up/);
    expect(() => concat([x, ms.zeros([2, 3, 5], 'i32')], 1)).toThrow(/does not match/);
  });

  it('leaks no buffers across forward and backward in tidy', async () => {
    const be = ms.getBackend();
    ms.manualSeed(25);
    const lstm = new LSTM(3, 4, 2);
    const x = ms.rand([2, 3, 3]);
    const step = () => ms.tidy(() => {
      const { output, h, c } = lstm.forward(x, null, [3, 2]);
      output.sum().add(h.sum()).add(c.sum()).backward();
    });
    step();
    lstm.parameters().forEach((p) => { p.grad?.dispose(); p.grad = null; });
    const before = be.memory().liveBuffers;
    step();
    lstm.parameters().forEach((p) => { p.grad?.dispose(); p.grad = null; });
    expect(be.memory().liveBuffers).toBe(before);
  });
});

interface Case {
  x: number[]; w: number[]; output: number[]; h: number[]; c: number[]; grads: Record<string, number[]>; gradX: number[];
}
interface Fixture {
  B: number; T: number; inputSize: number; hidden: number; layers: number; weights: Record<string, number[]>;
  full: Case;
  lengths: Case & { lengths: number[]; h0: number[]; c0: number[]; wh: number[]; wc: number[]; gradH0: number[]; gradC0: number[] };
}

const fx = JSON.parse(readFileSync(new URL('./fixtures/lstm.json', import.meta.url), 'utf8')) as Fixture;

function fixtureLstm(): LSTM {
  const lstm = new LSTM(fx.inputSize, fx.hidden, fx.layers);
  for (const [name, p] of lstm.namedParameters()) p.assign(ms.tensor(fx.weights[name], p.shape));
  return lstm;
}

describe.each(['cpu', 'webgpu'] as const)('LSTM matches torch.nn.LSTM on %s', (name) => {
  beforeAll(async () => {
    await ms.setBackend(name === 'webgpu' ? await gpuBackend() : 'cpu');
  });
  const seq = [fx.B, fx.T];
  const state = [fx.layers, fx.B, fx.hidden];

  async function expectGrads(lstm: LSTM, x: Tensor, expected: Case): Promise<void> {
    for (const [n, p] of lstm.namedParameters()) expectClose(await f32(p.grad!), expected.grads[n], 1e-4, `∂L/∂${n}`);
    expectClose(await f32(x.grad!), expected.gradX, 1e-4, '∂L/∂x');
  }

  it('output, final state and gradients from a zero state', async () => {
    const lstm = fixtureLstm();
    const x = ms.tensor(fx.full.x, [...seq, fx.inputSize]).requireGrad();
    const { output, h, c } = lstm.forward(x);
    expect(output.shape).toEqual([...seq, fx.hidden]);
    expect(h.shape).toEqual(state);
    expectClose(await f32(output), fx.full.output, 1e-5, 'output');
    expectClose(await f32(h), fx.full.h, 1e-5, 'h_n');
    expectClose(await f32(c), fx.full.c, 1e-5, 'c_n');
    output.mul(ms.tensor(fx.full.w, output.shape)).sum().backward();
    await expectGrads(lstm, x, fx.full);
  });

  it('lengths and an initial state: like pack_padded_sequence', async () => {
    const L = fx.lengths;
    const lstm = fixtureLstm();
    const x = ms.tensor(L.x, [...seq, fx.inputSize]).requireGrad();
    const h0 = ms.tensor(L.h0, state).requireGrad();
    const c0 = ms.tensor(L.c0, state).requireGrad();
    const { output, h, c } = lstm.forward(x, { h: h0, c: c0 }, L.lengths);
    expectClose(await f32(output), L.output, 1e-5, 'output');
    expectClose(await f32(h), L.h, 1e-5, 'h_n');
    expectClose(await f32(c), L.c, 1e-5, 'c_n');
    weightedSum([output, h, c], [ms.tensor(L.w, output.shape), ms.tensor(L.wh, state), ms.tensor(L.wc, state)]).backward();
    await expectGrads(lstm, x, L);
    expectClose(await f32(h0.grad!), L.gradH0, 1e-4, '∂L/∂h0');
    expectClose(await f32(c0.grad!), L.gradC0, 1e-4, '∂L/∂c0');
  });
});

/** Rows [from, from + n) of a [B, ...] array. */
const rows = (data: Float32Array, shape: readonly number[], from: number, n: number): Float32Array => {
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  return data.slice(from * per, (from + n) * per);
};
/** Rows [from, from + n) of every layer of a [layers, B, H] state, as [layers, n, H]. */
function stateRows(data: Float32Array, layers: number, batch: number, hidden: number, from: number, n: number): Float32Array {
  const out = new Float32Array(layers * n * hidden);
  for (let l = 0; l < layers; l++) out.set(data.subarray((l * batch + from) * hidden, (l * batch + from + n) * hidden), l * n * hidden);
  return out;
}

describe('LSTM semantics (cpu)', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('variable lengths: each row as if run alone for its own length', async () => {
    ms.manualSeed(31);
    const [B, T, I, H] = [4, 5, 3, 4];
    const lstm = new LSTM(I, H, 2);
    const x = ms.rand([B, T, I]);
    const lengths = [5, 2, 0, 3];
    const all = lstm.forward(x, null, lengths);
    const [out, h, c] = await Promise.all([all.output, all.h, all.c].map(f32));
    const xs = await f32(x);
    for (let b = 0; b < B; b++) {
      const len = lengths[b];
      const rowOut = rows(out, [B, T, H], b, 1);
      expect(Array.from(rowOut.slice(len * H)).every((v) => v === 0), `row ${b} output is zero past its length`).toBe(true);
      const zeroState = new Float32Array(2 * H);
      if (len === 0) {
        expectClose(stateRows(h, 2, B, H, b, 1), zeroState, 0, `row ${b} h stays at the initial state`);
        continue;
      }
      const xb = ms.tensor(rows(xs, [B, T, I], b, 1).slice(0, len * I), [1, len, I]);
      const alone = lstm.forward(xb);
      expectClose(rowOut.slice(0, len * H), await f32(alone.output), 1e-6, `row ${b} output`);
      expectClose(stateRows(h, 2, B, H, b, 1), await f32(alone.h), 1e-6, `row ${b} h_n`);
      expectClose(stateRows(c, 2, B, H, b, 1), await f32(alone.c), 1e-6, `row ${b} c_n`);
    }
  });

  it('rows in any order give the same outputs and gradients (rows past their length are skipped or masked)', async () => {
    // Sorted longest first within each of the K slices, the steps compute only running rows; reversed,
    // every step computes whole slices and masks the finished rows. Lengths include 0, and no row runs
    // the last step.
    const [K, per, T, I, H] = [2, 3, 6, 3, 4];
    const sorted = [5, 3, 0, 4, 4, 1];
    const order = [2, 1, 0, 5, 4, 3]; // row r of the reversed batch is row order[r] of the sorted one
    const permute = (data: Float32Array, rowSize: number, rowsOf: (r: number) => number): Float32Array => {
      const out = new Float32Array(data.length);
      for (let r = 0; r < K * per; r++) out.set(data.subarray(rowsOf(r) * rowSize, (rowsOf(r) + 1) * rowSize), r * rowSize);
      return out;
    };
    const run = async (samples: number, reversed: boolean) => {
      ms.manualSeed(33);
      const lstm = new LSTM(I, H, 2);
      const xData = await f32(ms.rand([K * per, T, I]));
      const wData = await f32(ms.rand([K * per, T, H]));
      const pick = (data: Float32Array, rowSize: number) => (reversed ? permute(data, rowSize, (r) => order[r]) : data);
      const x = ms.tensor(pick(xData, T * I), [K * per, T, I]).requireGrad();
      const w = ms.tensor(pick(wData, T * H), [K * per, T, H]);
      const hh = lstm.params.map((p) => p.weightHh);
      const sampled = hh.map((wt) => (samples === 1 ? wt : stack([wt, wt.mul(0.5)])));
      const out = withParams(new Map(hh.map((wt, i) => [wt, sampled[i]])), () =>
        lstm.forward(x, null, reversed ? order.map((r) => sorted[r]) : sorted));
      out.output.mul(w).sum().add(out.h.sum()).add(out.c.mul(2).sum()).backward();
      const unpick = (data: Float32Array, rowSize: number) => (reversed ? permute(data, rowSize, (r) => order[r]) : data);
      const states = async (t: Tensor) => {
        const d = await f32(t);
        return Float32Array.from([0, 1].flatMap((l) => Array.from(unpick(d.slice(l * K * per * H, (l + 1) * K * per * H), H))));
      };
      return {
        output: unpick(await f32(out.output), T * H), h: await states(out.h), c: await states(out.c), dx: unpick(await f32(x.grad!), T * I),
        grads: await Promise.all(lstm.parameters().map((p) => f32(p.grad!))),
      };
    };
    for (const samples of [1, K]) {
      const [skipped, masked] = [await run(samples, false), await run(samples, true)];
      for (const key of ['output', 'h', 'c', 'dx'] as const) expectClose(skipped[key], masked[key], 1e-6, `K ${samples}: ${key}`);
      skipped.grads.forEach((g, i) => expectClose(g, masked.grads[i], 1e-5, `K ${samples}: gradient ${i}`));
    }
  });

  it('sampled masks: batch slice k runs with sample k of every weight at every step', async () => {
    ms.manualSeed(32);
    const [K, B, T, I, H] = [2, 4, 3, 3, 5];
    const lstm = new LSTM(I, H, 2);
    lstm.parameters().forEach((p) => p.requireGrad(false));
    const weights = lstm.parameters();
    const logits = weights.map((w) => ms.rand(w.shape).mul(4).sub(2).requireGrad());
    const sampled = weights.map((w, i) => maskedWeights(logits[i], w, K));
    const x = ms.rand([B, T, I]);
    const all = withParams(new Map(weights.map((w, i) => [w, sampled[i]])), () => lstm.forward(x));
    const [out, h, c] = await Promise.all([all.output, all.h, all.c].map(f32));
    const xs = await f32(x);
    const per = B / K;
    for (let k = 0; k < K; k++) {
      const sampleK = await Promise.all(sampled.map(async (s, i) => ms.tensor(rows(await f32(s), s.shape, k, 1), weights[i].shape)));
      const alone = withParams(new Map(weights.map((w, i) => [w, sampleK[i]])), () =>
        lstm.forward(ms.tensor(rows(xs, [B, T, I], k * per, per), [per, T, I])),
      );
      expectClose(rows(out, [B, T, H], k * per, per), await f32(alone.output), 1e-6, `slice ${k} output over all steps`);
      expectClose(stateRows(h, 2, B, H, k * per, per), await f32(alone.h), 1e-6, `slice ${k} h_n`);
      expectClose(stateRows(c, 2, B, H, k * per, per), await f32(alone.c), 1e-6, `slice ${k} c_n`);
    }
    all.output.sum().add(all.c.sum()).backward();
    expect(logits.every((l) => l.grad !== null)).toBe(true);
    expect(weights.every((w) => w.grad === null)).toBe(true);
    expect(() => withParams(new Map(weights.map((w, i) => [w, sampled[i]])), () => lstm.forward(ms.rand([3, T, I])))).toThrow(/mask-sample slices/);
  });

  it('dropout between layers in training mode only, from the seeded RNG', async () => {
    ms.manualSeed(33);
    const lstm = new LSTM(3, 8, 2, { dropout: 0.5 });
    const x = ms.rand([4, 3, 3]);
    const run = async (seed: number) => {
      ms.manualSeed(seed);
      return f32(lstm.forward(x).output);
    };
    const [a, b, again] = [await run(1), await run(2), await run(1)];
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(Array.from(again)).toEqual(Array.from(a));
    lstm.eval();
    const [e1, e2] = [await run(1), await run(2)];
    expect(Array.from(e1)).toEqual(Array.from(e2));
    const plain = new LSTM(3, 8, 2);
    for (const [i, p] of plain.parameters().entries()) p.assign(lstm.parameters()[i].detach());
    expect(Array.from(await f32(plain.forward(x).output))).toEqual(Array.from(e1));
  });

  it('parameter names, shapes and init follow nn.LSTM', () => {
    const lstm = new LSTM(5, 6, 2);
    expect(lstm.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).toEqual([
      'weight_ih_l0:24x5', 'weight_hh_l0:24x6', 'bias_ih_l0:24', 'bias_hh_l0:24',
      'weight_ih_l1:24x6', 'weight_hh_l1:24x6', 'bias_ih_l1:24', 'bias_hh_l1:24',
    ]);
    expect(() => lstm.forward(ms.rand([2, 3, 4]))).toThrow(/expected \[B, T ≥ 1, 5\]/);
    expect(() => lstm.forward(ms.rand([2, 3, 5]), null, [1, 4])).toThrow(/lengths/);
  });

  it('init is U(−1/√H, 1/√H)', async () => {
    const lstm = new LSTM(5, 16, 1);
    for (const p of lstm.parameters()) {
      const v = await f32(p);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(0.25);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.2);
    }
  });
});
