/** The CPU's fused WebAssembly attention (kernels/cpu/attention.fast.ts, wasm/attention.wat) against the reference loops (attention.ts). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AttentionSpec } from '../engine/backend.js';
import { uniformCpu } from '../engine/random.js';
import { attentionBackwardCpu, attentionCpu } from '../kernels/cpu/attention.js';
import { attentionBackwardFast, attentionFast, wasmAttentionAvailable } from '../kernels/cpu/attention.fast.js';
import { expectClose } from './checks/kernel-checks.js';

const spec = (batch: number, heads: number, tq: number, tk: number, dHead: number, causal: boolean, hasLengths: boolean, rate = 0): AttentionSpec =>
  ({ batch, heads, tq, tk, dHead, causal, hasLengths, dropout: { rate, seed: 4, stream: 2 } });

const cases: [string, AttentionSpec, number[]][] = [
  ['T 1, d 8', spec(2, 3, 1, 1, 8, false, false), []],
  ['Tq 7 Tk 33, d 25, key lengths with an empty row', spec(3, 2, 7, 33, 25, false, true), [33, 0, 5]],
  ['T 33, causal, dropout 0.2', spec(1, 2, 33, 33, 25, true, false, 0.2), []],
  ['T 50, d 25, SCAN-sized with key lengths and dropout 0.1', spec(8, 4, 50, 50, 25, false, true, 0.1), [50, 12, 7, 50, 33, 1, 2, 49]],
  ['decoding: Tq 1, Tk 30, d 16 (whole blocks of 4 keys)', spec(5, 4, 1, 30, 16, false, true), [30, 28, 4, 3, 1]],
  ['decoding: Tq 1, Tk 37, d 25, dropout 0.3, key lengths off the blocks of 4', spec(4, 2, 1, 37, 25, false, true, 0.3), [37, 0, 6, 1]],
  ['decoding: Tq 1, Tk 300 (past one k block of the GEMM), d 7', spec(2, 2, 1, 300, 7, false, true), [300, 257]],
  ['Tq 6 Tk 9, d 64, causal with key lengths and dropout 0.5', spec(3, 2, 6, 9, 64, true, true, 0.5), [9, 5, 2]],
];

describe('attention in WebAssembly SIMD', () => {
  it('runs the wasm kernels in Node 20 (not the fallback), and the committed module is attention.wat assembled', () => {
    expect(wasmAttentionAvailable()).toBe(true);
    const committed = readFileSync(fileURLToPath(new URL('../kernels/cpu/wasm/attention.wasm.ts', import.meta.url)), 'utf8');
    const script = fileURLToPath(new URL('../kernels/cpu/wasm/build-wasm.mjs', import.meta.url));
    expect(committed, 'attention.wasm.ts is stale: run `node kernels/cpu/wasm/build-wasm.mjs`').toBe(
      execFileSync(process.execPath, [script, '--stdout', 'attention'], { encoding: 'utf8' }));
  });

  for (const [name, s, lengths] of cases) {
    it(`${name}: output and the q, k, v gradients equal the reference`, () => {
      const rows = s.batch * s.heads;
      const [q, k, v] = [s.tq, s.tk, s.tk].map((t, i) => uniformCpu(rows * t * s.dHead, 7, i).map((x) => 2 * x - 1));
      if (s.hasLengths) {
        // Keys past a row's length are padding: NaN there must not reach any result (a product over keys that
        // ran past the head's key length would multiply NaN by a zero weight).
        for (let bh = 0; bh < rows; bh++) {
          const from = Math.min(s.tk, lengths[Math.floor(bh / s.heads)]);
          k.fill(NaN, (bh * s.tk + from) * s.dHead, (bh + 1) * s.tk * s.dHead);
          v.fill(NaN, (bh * s.tk + from) * s.dHead, (bh + 1) * s.tk * s.dHead);
        }
      }
      const dout = uniformCpu(rows * s.tq * s.dHead, 7, 9).map((x) => 2 * x - 1);
      const lens = Int32Array.from(lengths);
      const ref = attentionCpu(q, k, v, lens, s);
      const fast = attentionFast(q, k, v, lens, s);
      expectClose(fast.out, ref.out, 1e-5, `${name} out`);
      const lse = (stats: Float32Array) => stats.filter((_, i) => i % 2 === 0);
      expectClose(lse(fast.stats), lse(ref.stats), 1e-5, `${name} log-sum-exp`);
      const gRef = attentionBackwardCpu(q, k, v, ref.out, dout, ref.stats, lens, s);
      const gFast = attentionBackwardFast(q, k, v, fast.out, dout, fast.stats, lens, s);
      expectClose(gFast.dq, gRef.dq, 1e-4, `${name} dq`);
      expectClose(gFast.dk, gRef.dk, 1e-4, `${name} dk`);
      expectClose(gFast.dv, gRef.dv, 1e-4, `${name} dv`);
    });
  }

  it('gives one query row (greedy decoding, no packing) the bits of the same row computed among others', () => {
    for (const [heads, tk, d, lengths] of [[3, 1, 8, [1, 1]], [2, 37, 25, [37, 5]], [4, 50, 16, [50, 13]], [1, 256, 64, [256, 255]]] as const) {
      const rows = 2 * heads;
      const [k, v] = [0, 1].map((i) => uniformCpu(rows * tk * d, 3, i).map((x) => 2 * x - 1));
      const q2 = uniformCpu(rows * 2 * d, 3, 2).map((x) => 2 * x - 1);
      // Row 0 of every head of q2 alone.
      const q1 = new Float32Array(rows * d);
      for (let bh = 0; bh < rows; bh++) q1.set(q2.subarray(bh * 2 * d, bh * 2 * d + d), bh * d);
      const lens = Int32Array.from(lengths);
      const one = attentionFast(q1, k, v, lens, spec(2, heads, 1, tk, d, false, true));
      const two = attentionFast(q2, k, v, lens, spec(2, heads, 2, tk, d, false, true));
      for (let bh = 0; bh < rows; bh++) {
        expect(Array.from(one.out.subarray(bh * d, (bh + 1) * d)), `heads ${heads}, Tk ${tk}, d ${d}, head ${bh}`)
          .toEqual(Array.from(two.out.subarray(bh * 2 * d, bh * 2 * d + d)));
        expect(one.stats[2 * bh]).toBe(two.stats[4 * bh]);
      }
    }
  });
});
