/**
 * The SCAN Transformer (models/transformer.ts) against a PyTorch re-implementation of the authors' model
 * (test/fixtures/make_transformer_fixture.py), dropout off, on both backends: teacher-forced logits, the
 * loss and every gradient, and greedy decoding with per-layer caches; and K mask samples over batch slices.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { Seq2SeqTransformer } from '../models/transformer.js';
import { withParams } from '../models/param-override.js';
import { expectClose } from './checks/kernel-checks.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/transformer.json', import.meta.url), 'utf8')) as {
  params: Record<string, { shape: number[]; data: number[] }>;
  src: number[]; srcShape: number[]; srcLengths: number[]; target: number[]; decoderIn: number[]; sos: number;
  logits: number[]; loss: number; grads: Record<string, number[]>; greedyLogits: number[]; greedyTokens: number[];
};

const small = () => new Seq2SeqTransformer({ inputVocab: 7, outputVocab: 6, size: 8, heads: 2, ff: 12, encoderLayers: 2, decoderLayers: 2, dropout: 0.1, sos: fx.sos });

function loaded(): Seq2SeqTransformer {
  const net = small().eval();
  const named = net.namedParameters();
  expect(named.map(([n]) => n).sort()).toEqual(Object.keys(fx.params).sort());
  named.forEach(([n, p]) => p.assign(ms.tensor(fx.params[n].data, fx.params[n].shape)));
  return net;
}

for (const backend of ['cpu', 'webgpu'] as const) {
  describe(`SCAN Transformer on ${backend}`, () => {
    it('teacher forcing: logits, loss and every gradient equal the authors’ model in PyTorch', async () => {
      await ms.setBackend(backend);
      const net = loaded();
      const src = ms.tensor(fx.src, fx.srcShape, 'i32');
      const lengths = ms.tensor(fx.srcLengths, [3], 'i32');
      const logits = net.decodeForced(net.encode(src, lengths), lengths, ms.tensor(fx.decoderIn, [3, 4], 'i32'));
      const target = ms.tensor(fx.target, [3, 4], 'i32');
      const tokens = fx.target.filter((t) => t >= 0).length;
      const loss = ms.crossEntropy(logits, target).mul(tokens / 3);
      loss.backward();
      expectClose(await logits.toArray(), fx.logits, 1e-4, 'logits');
      expect(await loss.item()).toBeCloseTo(fx.loss, 4);
      for (const [n, p] of net.namedParameters()) expectClose(await p.grad!.toArray(), fx.grads[n], 2e-4, `grad ${n}`);
    });

    it('greedy decoding from cached keys and values equals the authors’ one-step decoding', async () => {
      await ms.setBackend(backend);
      const net = loaded();
      const lengths = ms.tensor(fx.srcLengths, [3], 'i32');
      const { logits, tokens } = ms.noGrad(() => net.decodeGreedy(net.encode(ms.tensor(fx.src, fx.srcShape, 'i32'), lengths), lengths, 5));
      expectClose(await logits.toArray(), fx.greedyLogits, 1e-4, 'greedy logits');
      expect(Array.from(await tokens.toArray())).toEqual(fx.greedyTokens);
    });

    it('dropout on the attention probabilities drops keys at the rate and rescales the rest', async () => {
      await ms.setBackend(backend);
      ms.manualSeed(9);
      // Uniform probabilities over 1000 keys of ones: each row's output is 2 × (kept share) ≈ 1 at rate 0.5.
      const out = await ms.scaledDotProductAttention(ms.zeros([1, 2, 8, 4]), ms.zeros([1, 2, 1000, 4]), ms.ones([1, 2, 1000, 4]), { dropout: 0.5 }).toArray();
      expect(Math.max(...out.map((x) => Math.abs(x - 1)))).toBeLessThan(0.15);
      expect(new Set(Array.from(out)).size).toBeGreaterThan(1);
    });

    it('K = 3 mask samples: batch slice k runs with sample k', async () => {
      await ms.setBackend(backend);
      ms.manualSeed(5);
      const net = loaded();
      const params = net.namedParameters().filter(([n]) => !n.includes('embedding')).map(([, p]) => p);
      const samples = params.map((p) => ms.stack([0, 1, 2].map(() => p.mul(ms.rand(p.shape).gt(0.2))), 0));
      const src = ms.tensor([...fx.src, ...fx.src.slice(0, 5), ...fx.src.slice(5, 10), ...fx.src.slice(10)], [6, 5], 'i32');
      const lengths = ms.tensor([...fx.srcLengths, ...fx.srcLengths], [6], 'i32');
      const dec = ms.tensor([...fx.decoderIn, ...fx.decoderIn], [6, 4], 'i32');
      const run = (map: Map<ms.Tensor, ms.Tensor>, s: ms.Tensor, l: ms.Tensor, d: ms.Tensor) =>
        withParams(map, () => net.decodeForced(net.encode(s, l), l, d)).toArray();
      const together = await run(new Map(params.map((p, i) => [p, samples[i]])), src, lengths, dec);
      for (const k of [0, 1, 2]) {
        const own = new Map(params.map((p, i) => [p, ms.split(samples[i], [1, 1, 1], 0)[k].reshape(p.shape)]));
        const rows = (t: ms.Tensor) => ms.split(t, [2, 2, 2], 0)[k];
        const alone = await run(own, rows(src), rows(lengths), rows(dec));
        expectClose(together.slice(k * 48, (k + 1) * 48), alone, 1e-5, `slice ${k}`);
      }
    });
  });
}
