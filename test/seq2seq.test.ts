/**
 * The SCAN encoder–decoder (models/seq2seq-lstm.ts) against its PyTorch twin
 * (test/fixtures/make_seq2seq_fixture.py) on both backends: teacher-forced logits, the SCAN loss and every
 * parameter's gradient, greedy decoding; sampled weights cutting the batch into slices; and teacher forcing
 * fed the greedy choices reproducing the greedy logits.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import type { Tensor } from '../index.js';
import { stack } from '../engine/ops-concat.js';
import { withParams } from '../models/param-override.js';
import { Seq2SeqLstm } from '../models/seq2seq-lstm.js';
import { expectClose } from './checks/kernel-checks.js';
import { gpuBackend } from './gpu.js';

interface Fixture {
  inVocab: number; outVocab: number; embedding: number; hidden: number; layers: number; sos: number;
  B: number; Tin: number; T: number; steps: number; weights: Record<string, number[]>;
  src: number[]; lengths: number[]; decoderInputs: number[]; y: number[];
  logits: number[]; loss: number; grads: Record<string, number[]>;
  greedy: { logits: number[]; tokens: number[] };
}

const fx = JSON.parse(readFileSync(new URL('./fixtures/seq2seq.json', import.meta.url), 'utf8')) as Fixture;

const f32 = async (t: Tensor): Promise<Float32Array> => Float32Array.from(await t.toArray());
const ids = (data: readonly number[], shape: number[]): Tensor => ms.tensor(Int32Array.from(data), shape);
/** The weight matrices (LSTM and output layer), the parameters that masks substitute in test 3. */
const isMatrix = (name: string): boolean => name.includes('weight') && !name.includes('embedding');

/** The fixture's model in eval mode (dropout set but unused), weight matrices scaled by `scale`. */
function fixtureModel(scale = 1): Seq2SeqLstm {
  const model = new Seq2SeqLstm({
    inputVocab: fx.inVocab, outputVocab: fx.outVocab, embedding: fx.embedding,
    hidden: new Array<number>(fx.layers).fill(fx.hidden), dropout: 0.5, sos: fx.sos,
  }).eval();
  for (const [name, p] of model.namedParameters()) {
    const w = ms.tensor(fx.weights[name], p.shape);
    p.assign(isMatrix(name) && scale !== 1 ? ms.noGrad(() => w.mul(scale)) : w);
  }
  return model;
}

describe.each(['cpu', 'webgpu'] as const)('Seq2SeqLstm matches PyTorch on %s', (name) => {
  beforeAll(async () => {
    await ms.setBackend(name === 'webgpu' ? await gpuBackend() : 'cpu');
  });
  const src = () => ids(fx.src, [fx.B, fx.Tin]);

  it('teacher forcing: logits, the SCAN loss and every parameter gradient', async () => {
    const model = fixtureModel();
    const logits = model.decodeForced(model.encode(src(), fx.lengths), ids(fx.decoderInputs, [fx.B, fx.T]));
    expect(logits.shape).toEqual([fx.B, fx.T, fx.outVocab]);
    expectClose(await f32(logits), fx.logits, 1e-5, 'logits');
    // As experiments/scan-lstm.ts: the mean over the scored tokens × tokens / B = Σ token losses / B.
    const tokens = fx.y.filter((t) => t >= 0).length;
    const loss = ms.crossEntropy(logits, ids(fx.y, [fx.B, fx.T])).mul(tokens / fx.B);
    expectClose(await f32(loss), [fx.loss], 1e-5, 'loss');
    loss.backward();
    for (const [n, p] of model.namedParameters()) expectClose(await f32(p.grad!), fx.grads[n], 1e-4, `∂L/∂${n}`);
  });

  it('greedy decoding: logits and tokens', async () => {
    const model = fixtureModel();
    const { logits, tokens } = ms.noGrad(() => model.decodeGreedy(model.encode(src(), fx.lengths), fx.steps));
    expect(logits.shape).toEqual([fx.B, fx.steps, fx.outVocab]);
    expect(tokens.dtype).toBe('i32');
    expectClose(await f32(logits), fx.greedy.logits, 1e-5, 'greedy logits');
    expect(Array.from(await tokens.toArray())).toEqual(fx.greedy.tokens);
  });

  it('sampled weight matrices: batch slice k decodes as the model with version k', async () => {
    // Versions: the fixture's matrices (k = 0) and half of them (k = 1); biases and embeddings shared.
    const [per, steps] = [2, fx.steps];
    const srcRows = [[3, 6, 5, 5], [2, 1, 0, 0], [5, 1, 4, 0], [6, 2, 3, 1]];
    const lengths = [4, 2, 3, 4];
    const model = fixtureModel();
    const matrices = model.namedParameters().filter(([n]) => isMatrix(n)).map(([, p]) => p);
    expect(matrices.length).toBe(4 * fx.layers + 1);
    const stacked = new Map(matrices.map((p) => [p, ms.noGrad(() => stack([p, p.mul(0.5)]))]));
    const all = ms.noGrad(() =>
      withParams(stacked, () => model.decodeGreedy(model.encode(ids(srcRows.flat(), [4, fx.Tin]), lengths), steps)),
    );
    const [logits, tokens] = [await f32(all.logits), Array.from(await all.tokens.toArray())];
    for (const [k, scale] of [1, 0.5].entries()) {
      const plain = fixtureModel(scale);
      const slice = srcRows.slice(k * per, (k + 1) * per);
      const alone = ms.noGrad(() =>
        plain.decodeGreedy(plain.encode(ids(slice.flat(), [per, fx.Tin]), lengths.slice(k * per, (k + 1) * per)), steps),
      );
      const [from, to] = [k * per * steps, (k + 1) * per * steps];
      expect(tokens.slice(from, to), `slice ${k} tokens`).toEqual(Array.from(await alone.tokens.toArray()));
      expectClose(logits.slice(from * fx.outVocab, to * fx.outVocab), await f32(alone.logits), 1e-5, `slice ${k} logits`);
    }
  });
});

describe('Seq2SeqLstm consistency (cpu)', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('teacher forcing fed [SOS, greedy tokens] gives the greedy logits', async () => {
    const model = fixtureModel();
    const state = model.encode(ids(fx.src, [fx.B, fx.Tin]), fx.lengths);
    const greedy = ms.noGrad(() => model.decodeGreedy(state, fx.steps));
    const chosen = Array.from(await greedy.tokens.toArray());
    const inputs = Array.from({ length: fx.B }, (_, b) => [fx.sos, ...chosen.slice(b * fx.steps, (b + 1) * fx.steps - 1)]);
    const forced = ms.noGrad(() => model.decodeForced(state, ids(inputs.flat(), [fx.B, fx.steps])));
    expectClose(await f32(forced), await f32(greedy.logits), 1e-6, 'forced vs greedy logits');
  });
});
