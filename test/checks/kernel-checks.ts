/**
 * Every kernel, forward and backward, run on a GPU backend and on the CPU reference with the same
 * inputs, outputs compared. Inputs come from the counter-based RNG, which gives bit-identical uniforms
 * on both backends. Shapes are odd on purpose (1, 3, 17, 65 …): WGSL reads out of bounds as 0 silently.
 *
 * Browser-safe (no Node imports): the same list runs under vitest in Node and in headless Chromium.
 */
import type { Backend } from '../../engine/backend.js';
import { dropoutFactors, full, ones, rand, randn, tensor, zeros } from '../../engine/create.js';
import * as ops from '../../engine/ops.js';
import { conv2d, maxPool2d } from '../../engine/ops-conv.js';
import { layerNorm } from '../../engine/ops-norm.js';
import { scaledDotProductAttention } from '../../engine/ops-attention.js';
import { clipGradNorm } from '../../engine/optim/clip.js';
import { Adam } from '../../engine/optim/adam.js';
import { manualSeed, tidy, useBackend } from '../../engine/state.js';
import type { Tensor } from '../../engine/tensor.js';

export interface KernelCheck {
  name: string;
  run(gpu: Backend, cpu: Backend): Promise<void>;
}

/** A uniform input in (-1, 1), or in (lo, hi), that requires grad. */
export const input = (shape: number[], lo = -1, hi = 1): Tensor => rand(shape).mul(hi - lo).add(lo).requireGrad();

/** Output and input gradients for the scalar loss sum(y · w) with a fixed random w. */
export function withGrads(y: Tensor, inputs: Tensor[]): Tensor[] {
  const w = rand(y.shape);
  y.mul(w).sum().backward();
  return [y, ...inputs.map((x) => x.grad ?? ops.fill(x.backend, x.shape, 0))];
}

async function runOn(backend: Backend, build: () => Tensor[]): Promise<Float32Array[]> {
  useBackend(backend);
  manualSeed(1234);
  const outs = tidy(() => build().map((t) => t.detach()));
  const arrays = await Promise.all(outs.map(async (t) => Float32Array.from(await t.toArray())));
  outs.forEach((t) => t.dispose());
  return arrays;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const bothNaN = Number.isNaN(a) && Number.isNaN(e);
    if (!bothNaN && !(Math.abs(a - e) <= tol * (1 + Math.abs(e))) && a !== e) {
      throw new Error(`${label}: element ${i} is ${a}, expected ${e} (tolerance ${tol})`);
    }
  }
}

function compare(name: string, build: () => Tensor[], tol = 1e-5): KernelCheck {
  return {
    name,
    async run(gpu, cpu) {
      const expected = await runOn(cpu, build);
      const actual = await runOn(gpu, build);
      expected.forEach((e, i) => expectClose(actual[i], e, tol, `${name} [output ${i}] on ${gpu.name}`));
    },
  };
}

const unary = (op: 'neg' | 'exp' | 'log' | 'relu' | 'sigmoid' | 'tanh' | 'softplus' | 'abs' | 'sqrt' | 'square', lo = -1, hi = 1): KernelCheck =>
  compare(`${op} [17,3]`, () => {
    const x = input([17, 3], lo, hi);
    return withGrads(x[op](), [x]);
  }, 1e-4);

const binary = (op: 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum', a: number[], b: number[], lo = -1): KernelCheck =>
  compare(`${op} ${JSON.stringify(a)}·${JSON.stringify(b)}`, () => {
    const x = input(a, lo, 1);
    const y = input(b, 0.5, 2);
    return withGrads(x[op](y), [x, y]);
  }, 1e-4);

const convCases: [name: string, x: number[], w: number[], opts: Parameters<typeof conv2d>[3], bias: boolean][] = [
  ['3×3 pad 1', [2, 3, 7, 5], [4, 3, 3, 3], { padding: 1 }, true],
  ['3×3 stride 2, rectangular', [3, 2, 9, 6], [5, 2, 3, 2], { stride: [2, 1] }, false],
  ['1×1 groups 2', [1, 4, 5, 3], [6, 2, 1, 1], { groups: 2 }, true],
  ['5×5 stride 2 pad 2', [2, 1, 11, 13], [3, 1, 5, 5], { stride: 2, padding: 2 }, true],
  ['K = 2 weight samples over batch slices', [4, 3, 6, 6], [2, 5, 3, 3, 3], { padding: 1 }, true],
];

export const kernelChecks: KernelCheck[] = [
  ...convCases.map(([name, xs, ws, opts, bias]) =>
    compare(`conv2d ${name} ${JSON.stringify(xs)}·${JSON.stringify(ws)}`, () => {
      const x = input(xs);
      const w = input(ws);
      const b = bias ? input(ws.length === 5 ? [ws[0], ws[1]] : [ws[0]]) : null;
      return withGrads(conv2d(x, w, b, opts), b ? [x, w, b] : [x, w]);
    }, 1e-4)),
  ...(['torch', 'paper'] as const).flatMap((variant) => [
    compare(`layerNorm ${variant} [3,7,25]`, () => {
      const [x, w, b] = [input([3, 7, 25]), input([25], 0.5, 1.5), input([25])];
      return withGrads(layerNorm(x, w, b, { variant }), [x, w, b]);
    }, 1e-4),
    compare(`layerNorm ${variant} with K = 2 samples [4,3,1]·[2,1] and [6,100]·[2,100]`, () => {
      const [x, w, b] = [input([4, 3, 1]), input([2, 1], 0.5, 1.5), input([2, 1])];
      const [x2, w2, b2] = [input([6, 100]), input([2, 100], 0.5, 1.5), input([2, 100])];
      return [...withGrads(layerNorm(x, w, b, { variant, eps: 1e-3 }), [x, w, b]), ...withGrads(layerNorm(x2, w2, b2, { variant }), [x2, w2, b2])];
    }, 1e-4),
  ]),
  ...([
    ['T 1, d 8', [2, 3, 1, 8], [2, 3, 1, 8], false, null],
    ['Tq 7 Tk 33, d 25, key lengths (one row all padding)', [3, 2, 7, 25], [3, 2, 33, 25], false, [33, 0, 5]],
    ['T 33, d 25, causal', [1, 2, 33, 25], [1, 2, 33, 25], true, null],
    ['T 17, d 64, causal and key lengths', [2, 1, 17, 64], [2, 1, 17, 64], true, [9, 17]],
    ['T 130, d 8, key lengths', [1, 2, 130, 8], [1, 2, 130, 8], false, [100], 0],
    ['Tq 5 Tk 9, d 25, causal, dropout 0.3 on the probabilities', [2, 2, 5, 25], [2, 2, 9, 25], true, [9, 4], 0.3],
  ] as [string, number[], number[], boolean, number[] | null, number?][]).map(([name, qs, ks, causal, lengths, dropout]) =>
    compare(`scaledDotProductAttention ${name}`, () => {
      const [q, k, v] = [input(qs), input(ks), input(ks)];
      const keyLengths = lengths ? tensor(lengths, [lengths.length], 'i32') : undefined;
      return withGrads(scaledDotProductAttention(q, k, v, { causal, keyLengths, dropout }), [q, k, v]);
    }, 1e-4)),
  compare('maxPool2d 2×2, 3×3 stride 2 (overlapping windows), odd sizes', () => {
    const x = input([2, 3, 7, 9]);
    const y = input([1, 2, 9, 5]);
    return [...withGrads(maxPool2d(x, 2), [x]), ...withGrads(maxPool2d(y, 3, 2), [y])];
  }),
  unary('neg'), unary('exp'), unary('log', 0.1, 3), unary('relu'), unary('sigmoid', -8, 8), unary('tanh', -20, 20),
  unary('softplus', -30, 30),
  unary('abs'), unary('sqrt', 0.1, 4), unary('square'),
  binary('add', [3, 1, 5], [4, 5]), binary('sub', [1, 7], [5, 1]), binary('mul', [65], [65]),
  binary('div', [2, 3, 4], [3, 1]), binary('pow', [4, 5], [5], 0.1), binary('maximum', [3, 17], [17]),
  binary('minimum', [1], [3, 3]),
  compare('scalar operands', () => {
    const x = input([5, 3]);
    return withGrads(x.add(2).mul(-3).sub(0.5).div(4).pow(2).maximum(0.2).minimum(3), [x]);
  }),
  compare('pow with negative base and integer exponent', () => [input([9], -2, 2).pow(3), input([4], -2, -1).pow(2)]),
  compare('comparisons', () => {
    const x = rand([4, 6]).mul(4).toInt().toFloat();
    const y = rand([6]).mul(4).toInt().toFloat();
    return [x.eq(y), x.ne(y), x.lt(y), x.le(y), x.gt(y), x.ge(y), x.gt(1)];
  }),
  compare('where [3,1]·[1,4]·[3,4]', () => {
    const a = input([1, 4]);
    const b = input([3, 4]);
    return withGrads(ops.where(rand([3, 1]).gt(0.5), a, b), [a, b]);
  }),
  compare('transpose last two axes', () => {
    const x = input([3, 17, 5]);
    return withGrads(x.transpose(), [x]);
  }),
  compare('permute [2,0,1]', () => {
    const x = input([3, 4, 5]);
    return withGrads(x.transpose(2, 0, 1), [x]);
  }),
  compare('i32 transpose and casts', () => {
    const idx = rand([3, 5]).mul(100).toInt();
    return [idx.transpose().toFloat(), rand([7]).mul(9).sub(4.5).toInt().toFloat()];
  }),
  compare('broadcastTo and reshape', () => {
    const x = input([3, 1]);
    return withGrads(x.broadcastTo([2, 3, 4]).reshape(6, 4).reshape(-1), [x]);
  }),
  compare('sum / mean / max over axes', () => {
    const x = input([3, 5, 7]);
    const outs = [x.sum(), x.sum(1), x.sum([0, 2], true), x.mean(-1), x.mean([0, 1]), x.max(0), x.max([1, 2], true)];
    const total = outs.map((o) => o.sum()).reduce((s, o) => s.add(o));
    total.backward();
    return [...outs, x.grad!];
  }),
  compare('long and short reductions', () => [rand([300, 3]).sum(1), rand([1000, 300]).sum(), rand([5, 200]).max(1), rand([65, 70]).sum(0)], 1e-4),
  ...[
    [1, 1, 1], [3, 5, 7], [17, 65, 33], [65, 17, 130], [64, 64, 64], [2, 300, 1],
  ].flatMap(([m, k, n]) =>
    [[false, false], [true, false], [false, true], [true, true]].map(([ta, tb]) =>
      compare(`matmul m=${m} k=${k} n=${n} transA=${ta} transB=${tb}`, () => {
        const a = input(ta ? [k, m] : [m, k]);
        const b = input(tb ? [n, k] : [k, n]);
        return withGrads(a.matmul(b, { transA: ta, transB: tb }), [a, b]);
      }, 1e-4),
    ),
  ),
  compare('batched matmul [3,5,7]·[3,7,2] and broadcast [4,3,5]·[5,6]', () => {
    const a = input([3, 5, 7]);
    const b = input([3, 7, 2]);
    const c = input([4, 3, 5]);
    const d = input([5, 6]);
    const e = input([5, 3]);
    const f = input([2, 3, 4]);
    return [...withGrads(a.matmul(b), [a, b]), ...withGrads(c.matmul(d), [c, d]), ...withGrads(e.matmul(f), [e, f])];
  }, 1e-4),
  compare('softmax and logSoftmax [7,10], [2,3,5]', () => {
    const x = input([7, 10], -5, 5);
    const y = input([2, 3, 5], -5, 5);
    return [...withGrads(x.softmax(), [x]), ...withGrads(y.logSoftmax(), [y])];
  }, 1e-4),
  compare('crossEntropy [33,10] and [2,3,20]', () => {
    const x = input([33, 10], -4, 4);
    const t = rand([33]).mul(10).toInt();
    const y = input([2, 3, 20], -4, 4);
    const u = rand([2, 3]).mul(20).toInt();
    const l1 = ops.crossEntropy(x, t);
    const l2 = ops.crossEntropy(y, u);
    l1.add(l2.mul(3)).backward();
    return [l1, l2, x.grad!, y.grad!];
  }, 1e-4),
  compare('crossEntropy with ignored (negative) targets', () => {
    const x = input([6, 5], -3, 3);
    const loss = ops.crossEntropy(x, tensor([2, -1, 0, -1, 4, 1], [6], 'i32'));
    loss.backward();
    return [loss, x.grad!];
  }, 1e-4),
  compare('argmax [37,9], [2,3,1] and rows with ties (first index wins)', () => {
    const ties = tensor([1, 3, 3, 0, 2, 2, 2, 2, -1, 5, 5, -1], [3, 4]);
    return [ops.argmax(input([37, 9], -3, 3)), ops.argmax(input([2, 3, 1])), ops.argmax(ties)];
  }, 0),
  compare('embedding [11,6] with repeated indices', () => {
    const table = input([11, 6]);
    const idx = tensor([[0, 3, 3], [10, 0, 3]], [2, 3], 'i32');
    return withGrads(ops.embedding(table, idx), [table]);
  }),
  compare('maskedWeights: K samples and the straight-through logit gradient', () => {
    const logits = input([17, 5], -3, 3);
    const weight = input([17, 5]);
    return withGrads(ops.maskedWeights(logits, weight, 4), [logits]);
  }, 1e-4),
  compare('rand and randn', () => [rand([1000]), randn([300]), rand([3, 7])], 2e-3),
  compare('dropout factors at rates 0.1 and 0.5, [1000] and [3, 7]', () => [dropoutFactors([1000], 0.1), dropoutFactors([3, 7], 0.5)], 0),
  compare('zeros, ones, full of every dtype', () => [
    zeros([5]), ones([3, 3]), full([2], -7.5), full([4], 3, 'i32').toFloat(),
  ]),
  compare('Adam, 4 steps with weight decay and a gradient scale', () => {
    const p = input([7, 3]);
    const opt = new Adam([p], { lr: 0.05, weightDecay: 0.1 });
    for (let step = 0; step < 4; step++) {
      opt.zeroGrad();
      p.square().mul(rand([7, 3])).sum().backward();
      opt.step(tensor([0.5]));
    }
    opt.dispose();
    return [p];
  }),
  compare('clipGradNorm', () => {
    const a = input([5, 4]);
    const b = input([9]);
    a.mul(10).sum().add(b.square().sum()).backward();
    const norm = clipGradNorm([a, b], 1);
    return [norm, a.grad!, b.grad!];
  }),
];

// ---- LSTM cell and the concat/split copies (imports kept with the checks that use them) ----------------
import { concat, split } from '../../engine/ops-concat.js';
import { lstmCell } from '../../engine/ops-lstm.js';
import { LSTM } from '../../models/lstm.js';

/** The fused cell forward and backward; `use` picks which outputs the loss sees (an unused one gets zeros). */
const lstmCellCheck = (batch: number, hidden: number, use: 'h' | 'c' | 'both' = 'both'): KernelCheck =>
  compare(`lstmCell B=${batch} H=${hidden}${use === 'both' ? '' : ` (${use} only)`}`, () => {
    const gates = input([batch, 4 * hidden], -4, 4);
    const cPrev = input([batch, hidden], -2, 2);
    const { h, c } = lstmCell(gates, cPrev);
    const used = use === 'both' ? [h, c] : [use === 'h' ? h : c];
    used.map((t) => t.mul(rand(t.shape)).sum()).reduce((a, b) => a.add(b)).backward();
    return [h, c, gates.grad!, cPrev.grad!];
  }, 1e-4);

kernelChecks.push(
  lstmCellCheck(3, 5), lstmCellCheck(7, 17), lstmCellCheck(33, 33), lstmCellCheck(1, 1, 'h'), lstmCellCheck(5, 3, 'c'),
  compare('split [3,7,5] along axis 1 into [2,0,4,1], one piece unused; concat back', () => {
    const x = input([3, 7, 5]);
    const [a, b, , d] = split(x, [2, 0, 4, 1], 1);
    const y = input([3, 1, 5]);
    const joined = concat([d, y, a, b], 1);
    return withGrads(joined, [x, y]);
  }),
  compare('split and concat of i32, along the first and last axes', () => {
    const idx = rand([5, 3, 9]).mul(100).toInt();
    const [p, q] = split(idx, [2, 3], 0);
    const [r, s] = split(idx, [4, 5], -1);
    return [concat([q, p], 0).toFloat(), concat([s, r], 2).toFloat()];
  }),
  compare('LSTM 2 layers, B=3 T=3 in=4 H=5, lengths [3,1,2], from a given state', () => {
    const lstm = new LSTM(4, 5, 2);
    const x = input([3, 3, 4]);
    const h0 = input([2, 3, 5]);
    const c0 = input([2, 3, 5]);
    const { output, h, c } = lstm.forward(x, { h: h0, c: c0 }, [3, 1, 2]);
    output.sum().add(h.mul(rand(h.shape)).sum()).add(c.mul(rand(c.shape)).sum()).backward();
    return [output, h, c, x.grad!, h0.grad!, c0.grad!, ...lstm.parameters().map((p) => p.grad!)];
  }, 1e-4),
);
