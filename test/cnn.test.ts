/**
 * The class-removal CNN (models/cnn.ts) against the authors' module in PyTorch (test/fixtures/cnn.json),
 * on both backends; and K mask samples over batch slices equal K separate forwards.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { ClassRemovalCnn } from '../models/cnn.js';
import { withParams } from '../models/param-override.js';
import { expectClose } from './checks/kernel-checks.js';

interface Arr {
  shape: number[];
  data: number[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/cnn.json', import.meta.url), 'utf8')) as {
  params: Record<string, Arr>;
  x: Arr;
  w: number[];
  logits: number[];
  grads: Record<string, number[]>;
  dx: number[];
};

const narrow = () => new ClassRemovalCnn({ inChannels: 1, classes: 10, channels: [4, 5, 6, 7] });

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`class-removal CNN on ${backend}`, () => {
    it('matches the authors’ module in PyTorch: logits and every gradient, with the authors’ parameter names', async () => {
      await ms.setBackend(backend);
      const net = narrow().eval();
      const named = net.namedParameters();
      expect(named.map(([n]) => n)).toEqual(Object.keys(fx.params));
      named.forEach(([n, p]) => p.assign(ms.tensor(fx.params[n].data, fx.params[n].shape)));
      const x = ms.tensor(fx.x.data, fx.x.shape).requireGrad();
      const logits = net.forward(x);
      logits.mul(ms.tensor(fx.w, logits.shape)).sum().backward();
      expectClose(await logits.toArray(), fx.logits, 1e-4, 'logits');
      for (const [n, p] of named) expectClose(await p.grad!.toArray(), fx.grads[n], 1e-4, `grad ${n}`);
      expectClose(await x.grad!.toArray(), fx.dx, 1e-4, 'dx');
    });

    it('K = 2 mask samples: batch slice k runs with sample k', async () => {
      await ms.setBackend(backend);
      ms.manualSeed(3);
      const net = narrow().eval();
      const x = ms.rand([4, 1, 12, 12]);
      const params = net.parameters();
      const samples = params.map((p) => ms.stack([p.mul(ms.rand(p.shape).gt(0.3)), p.mul(ms.rand(p.shape).gt(0.3))], 0));
      const together = await withParams(new Map(params.map((p, i) => [p, samples[i]])), () => net.forward(x)).toArray();
      for (const k of [0, 1]) {
        const own = new Map(params.map((p, i) => [p, ms.split(samples[i], [1, 1], 0)[k].reshape(p.shape)]));
        const alone = await withParams(own, () => net.forward(ms.split(x, [2, 2], 0)[k])).toArray();
        expectClose(together.slice(k * 20, (k + 1) * 20), alone, 1e-5, `slice ${k}`);
      }
    });
  });
}
