/**
 * The models of the recurrent experiments (CPU): argmax, the paper's LSTM initialisation, an LSTM run
 * step by step equal to one sequence call (gradients too), and the arithmetic LSTM's two input schedules.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import type { Tensor } from '../index.js';
import { argmax } from '../engine/ops.js';
import { stack } from '../engine/ops-concat.js';
import { ArithLstm } from '../models/arith-lstm.js';
import { LSTM } from '../models/lstm.js';
import { orthogonal } from '../models/lstm-init.js';
import { withParams } from '../models/param-override.js';
import { expectClose } from './checks/kernel-checks.js';

const values = async (t: Tensor): Promise<number[]> => Array.from(await t.toArray());

beforeAll(async () => {
  await ms.setBackend('cpu');
});

describe('argmax', () => {
  it('gives the first index of each row’s maximum, as torch.argmax', async () => {
    const x = ms.tensor([1, 3, 3, 0, 2, 2, 2, 2, -1, 5, 5, -1, -7, -3, -9, -3], [4, 4]);
    const idx = argmax(x);
    expect(idx.dtype).toBe('i32');
    expect(await values(idx)).toEqual([1, 0, 1, 1]);
    expect(() => argmax(ms.tensor([1, 2], [2], 'i32'))).toThrow(/argmax/);
  });
});

describe('the paper’s LSTM initialisation', () => {
  it('orthogonal() gives QᵀQ = I', () => {
    ms.manualSeed(3);
    const n = 17;
    const q = orthogonal(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += q[k * n + i] * q[k * n + j];
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-9);
      }
    }
  });

  it('biases: forget gate of bias_hh at 1, the rest 0; the recurrent g block orthogonal with gain (5/3)/√2', async () => {
    ms.manualSeed(4);
    const H = 24;
    const lstm = new LSTM(10, H, 2, { init: 'paper' });
    const p = lstm.params[1];
    const bhh = await values(p.biasHh);
    expect(bhh).toEqual(Array.from({ length: 4 * H }, (_, i) => (i >= H && i < 2 * H ? 1 : 0)));
    expect((await values(p.biasIh)).every((v) => v === 0)).toBe(true);
    const whh = await values(p.weightHh);
    const g = whh.slice(2 * H * H, 3 * H * H);
    const gain = 5 / 3 / Math.SQRT2;
    for (let i = 0; i < H; i++) {
      let norm = 0;
      for (let k = 0; k < H; k++) norm += g[i * H + k] ** 2;
      expect(Math.sqrt(norm)).toBeCloseTo(gain, 4);
    }
    // The other blocks: normal with std √(1 / (H + fan_in)); a loose check of the spread.
    const wih = await values(lstm.params[0].weightIh);
    const iBlock = wih.slice(0, H * 10);
    const std = Math.sqrt(iBlock.reduce((s, v) => s + v * v, 0) / iBlock.length);
    expect(std).toBeGreaterThan(0.6 * Math.sqrt(1 / (H + 10)));
    expect(std).toBeLessThan(1.4 * Math.sqrt(1 / (H + 10)));
  });
});

describe('an LSTM run one step at a time', () => {
  it('equals one call over the whole sequence, outputs and every gradient', async () => {
    ms.manualSeed(5);
    const lstm = new LSTM(3, 4, 2);
    const x = ms.rand([2, 5, 3]);
    const w = ms.rand([2, 5, 4]);
    const whole = lstm.forward(x);
    whole.output.mul(w).sum().backward();
    const expected = await Promise.all(lstm.parameters().map((p) => values(p.grad!)));
    lstm.parameters().forEach((p) => (p.grad = null));

    let state = null;
    const outs: Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      const xt = ms.tensor(Float32Array.from(await values(x)).filter((_, i) => Math.floor(i / 3) % 5 === t), [2, 1, 3]);
      const step = lstm.forward(xt, state);
      outs.push(step.output);
      state = step;
    }
    const stepwise = stack(outs, 1).reshape(2, 5, 4);
    expectClose(await values(stepwise), await values(whole.output), 1e-6, 'outputs');
    stepwise.mul(w).sum().backward();
    for (const [i, p] of lstm.parameters().entries()) expectClose(await values(p.grad!), expected[i], 1e-5, `gradient ${i}`);
  });
});

describe('the LSTM backward', () => {
  it('releases each step’s temporaries as it goes (CPU live buffers; it held 5–11 per step before)', () => {
    ms.manualSeed(9);
    const lstm = new LSTM(4, 8, 1);
    const x = ms.rand([3, 40, 4]);
    const backend = ms.getBackend();
    ms.tidy(() => {
      const out = lstm.forward(x, null, [40, 25, 10]);
      const loss = out.output.sum().add(out.h.sum());
      const before = backend.memory().liveBuffers;
      loss.backward();
      expect(backend.memory().liveBuffers - before).toBeLessThan(80); // 40 steps
    });
  });
});

describe('a masked LSTM', () => {
  it('refuses a batch that does not split into the K mask samples', () => {
    ms.manualSeed(8);
    const lstm = new LSTM(3, 4, 1);
    const w = lstm.params[0].weightHh;
    const sampled = stack([w, w, w]);
    expect(() => withParams(new Map([[w, sampled]]), () => lstm.forward(ms.rand([4, 2, 3])))).toThrow(/lstmSequence: batch of 4 rows cannot be cut into 3 mask-sample slices/);
  });
});

describe('the arithmetic LSTM', () => {
  it('repeat: the same input at every step, read at the last', async () => {
    ms.manualSeed(6);
    const model = new ArithLstm({ inputs: 5, hidden: [6, 6], outputs: 4, steps: 3, mode: 'repeat' });
    const x = ms.rand([3, 5]);
    const y = model.forward(x);
    const seq = stack([x, x, x], 1);
    const h = model.lstm.forward(seq).output;
    const last = ms.tensor(Float32Array.from(await values(h)).filter((_, i) => Math.floor(i / 6) % 3 === 2), [3, 6]);
    expectClose(await values(y), await values(model.out.forward(last)), 1e-6, 'output');
  });

  it('only_one_io: pair 1 is read before pair 2 enters, pair 2 never sees pair 1’s inputs directly', async () => {
    ms.manualSeed(7);
    const model = new ArithLstm({ inputs: 8, hidden: [5], outputs: 6, steps: 2, tuples: 2, mode: 'only_one_io' });
    const x = ms.rand([4, 8]);
    const base = await values(model.forward(x));
    const changed = Float32Array.from(await values(x));
    for (let r = 0; r < 4; r++) changed.fill(0.5, r * 8 + 4, r * 8 + 8); // pair 2's inputs
    const other = await values(model.forward(ms.tensor(changed, [4, 8])));
    for (let r = 0; r < 4; r++) {
      expect(other.slice(r * 6, r * 6 + 3)).toEqual(base.slice(r * 6, r * 6 + 3)); // pair 1's outputs
      expect(other.slice(r * 6 + 3, r * 6 + 6)).not.toEqual(base.slice(r * 6 + 3, r * 6 + 6));
    }
  });

  it('refuses layers of different widths and inputs that do not split into tuples', () => {
    expect(() => new ArithLstm({ inputs: 5, hidden: [4, 6], outputs: 2, steps: 3, mode: 'repeat' })).toThrow(/same width/);
    expect(() => new ArithLstm({ inputs: 5, hidden: [4], outputs: 2, steps: 3, tuples: 2, mode: 'only_one_io' })).toThrow(/tuples/);
  });
});
