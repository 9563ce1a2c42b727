/**
 * Property tests (fast-check) over the space of shapes and op chains: broadcasting follows NumPy's rule
 * element by element, and random chains of ops agree between the webgpu backend and the CPU reference,
 * forward and backward.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import type { Backend } from '../engine/backend.js';
import { CpuBackend } from '../kernels/cpu/backend.js';
import { expectClose } from './checks/kernel-checks.js';
import { gpuBackend } from './gpu.js';

const cpu = new CpuBackend();

/** Two shapes that broadcast: each of b's trailing dims equals a's or is 1 (or a's is 1). */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 })
  .chain((a) =>
    fc.tuple(
      fc.constant(a),
      fc.integer({ min: 0, max: a.length }).chain((dropped) =>
        fc.tuple(...a.slice(dropped).map((d) => fc.constantFrom(d, 1))).map((dims) => dims as number[]),
      ),
      fc.boolean(),
    ),
  )
  .map(([a, b, swap]) => (swap ? [b, a] : [a, b]) as [number[], number[]]);

function indexOf(flat: number, shape: number[]): number[] {
  const idx: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    idx.unshift(flat % shape[i]);
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}

function flatOf(outIndex: number[], shape: number[]): number {
  const offset = outIndex.length - shape.length;
  return shape.reduce((acc, d, i) => acc * d + (d === 1 ? 0 : outIndex[offset + i]), 0);
}

describe('broadcasting (cpu)', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });
  it('sub matches an element-by-element NumPy-rule computation', async () => {
    await fc.assert(
      fc.asyncProperty(broadcastPair, async ([sa, sb]) => {
        const a = ms.rand(sa);
        const b = ms.rand(sb);
        const out = a.sub(b);
        const rank = Math.max(sa.length, sb.length);
        const expectedShape = Array.from({ length: rank }, (_, i) => Math.max(sa[sa.length - rank + i] ?? 1, sb[sb.length - rank + i] ?? 1));
        expect(out.shape).toEqual(expectedShape);
        const [va, vb, vo] = await Promise.all([a.toArray(), b.toArray(), out.toArray()]);
        for (let i = 0; i < vo.length; i++) {
          const idx = indexOf(i, expectedShape);
          expect(vo[i]).toBe(Math.fround(va[flatOf(idx, sa)] - vb[flatOf(idx, sb)]));
        }
      }),
      { numRuns: 100 },
    );
  });
});

type Step = { kind: 'unary'; op: 'exp' | 'tanh' | 'sigmoid' | 'relu' | 'square' } | { kind: 'binary'; op: 'add' | 'mul' | 'sub'; shape: 'row' | 'col' | 'full' }
  | { kind: 'transpose' } | { kind: 'sum'; axis: 0 | 1 } | { kind: 'matmul'; n: number } | { kind: 'softmax' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('unary' as const), op: fc.constantFrom('exp' as const, 'tanh' as const, 'sigmoid' as const, 'relu' as const, 'square' as const) }),
  fc.record({ kind: fc.constant('binary' as const), op: fc.constantFrom('add' as const, 'mul' as const, 'sub' as const), shape: fc.constantFrom('row' as const, 'col' as const, 'full' as const) }),
  fc.record({ kind: fc.constant('transpose' as const) }),
  fc.record({ kind: fc.constant('sum' as const), axis: fc.constantFrom(0 as const, 1 as const) }),
  fc.record({ kind: fc.constant('matmul' as const), n: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('softmax' as const) }),
);

/** Applies a chain to a 2-D input; a sum keeps the result 2-D (keepDims) so every step stays valid. */
function applyChain(x: ms.Tensor, steps: Step[]): ms.Tensor {
  let h = x;
  for (const s of steps) {
    const [r, c] = h.shape;
    if (s.kind === 'unary') h = s.op === 'exp' ? h.tanh().exp() : h[s.op]();
    else if (s.kind === 'binary') h = h[s.op](ms.rand(s.shape === 'row' ? [c] : s.shape === 'col' ? [r, 1] : [r, c]));
    else if (s.kind === 'transpose') h = h.transpose();
    else if (s.kind === 'sum') h = h.sum(s.axis, true);
    else if (s.kind === 'matmul') h = h.matmul(ms.rand([c, s.n]).sub(0.5));
    else h = h.softmax();
  }
  return h;
}

async function runChain(backend: Backend, shape: number[], steps: Step[]): Promise<Float32Array[]> {
  await ms.setBackend(backend);
  ms.manualSeed(5);
  const outs = ms.tidy(() => {
    const x = ms.rand(shape).requireGrad();
    const y = applyChain(x, steps);
    y.mul(ms.rand(y.shape)).sum().backward();
    return [y.detach(), x.grad!];
  });
  const arrays: Float32Array[] = [];
  for (const t of outs) arrays.push(Float32Array.from(await t.toArray()));
  outs.forEach((t) => t.dispose());
  return arrays;
}

describe('random op chains: webgpu equals the CPU reference', () => {
  let gpu: Backend;
  beforeAll(async () => {
    gpu = await gpuBackend();
  });
  it('forward and backward', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })),
        fc.array(step, { minLength: 1, maxLength: 6 }),
        async (shape, steps) => {
          const expected = await runChain(cpu, shape, steps);
          const actual = await runChain(gpu, shape, steps);
          expected.forEach((e, i) => expectClose(actual[i], e, 1e-4, `chain ${JSON.stringify(steps)} on ${JSON.stringify(shape)}, output ${i}`));
        },
      ),
      { numRuns: 30 },
    );
  });
});
