/** The CPU's fused WebAssembly LSTM cell (kernels/cpu/lstm.fast.ts, wasm/lstm.wat) against the reference loops (lstm.ts). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { uniformCpu } from '../engine/random.js';
import { lstmCellBackwardCpu, lstmCellBackwardFromActs, lstmCellCpu } from '../kernels/cpu/lstm.js';
import { lstmCellBackwardFast, lstmCellFast, wasmLstmAvailable } from '../kernels/cpu/lstm.fast.js';
import { expectClose } from './checks/kernel-checks.js';

/** n values in (−scale, scale), plus the edges: saturation both ways, zero, a tiny value of each sign. */
function values(n: number, seed: number, scale: number): Float32Array {
  const x = uniformCpu(n, seed, 0).map((u) => scale * (2 * u - 1));
  [100, -100, 0, 1e-6, -1e-6, 9, -9, 88, -88].forEach((v, i) => i < n && (x[(i * 7) % n] = v));
  return x;
}

const shapes: [number, number][] = [[1, 4], [3, 8], [17, 12], [64, 64]];

describe('LSTM cell in WebAssembly SIMD', () => {
  it('runs the wasm kernel in Node 20 for widths divisible by 4 (not the fallback), and the committed module is lstm.wat assembled', () => {
    expect(wasmLstmAvailable(64)).toBe(true);
    expect(wasmLstmAvailable(6)).toBe(false);
    const committed = readFileSync(fileURLToPath(new URL('../kernels/cpu/wasm/lstm.wasm.ts', import.meta.url)), 'utf8');
    const script = fileURLToPath(new URL('../kernels/cpu/wasm/build-wasm.mjs', import.meta.url));
    expect(committed, 'lstm.wasm.ts is stale: run `node kernels/cpu/wasm/build-wasm.mjs`').toBe(
      execFileSync(process.execPath, [script, '--stdout', 'lstm'], { encoding: 'utf8' }));
  });

  for (const [batch, hidden] of shapes) {
    it(`B ${batch}, H ${hidden}: h, c, the activations and both gradients equal the reference`, () => {
      const n = batch * hidden;
      const gates = values(4 * n, 1, 6);
      const cPrev = values(n, 2, 3);
      const [dh, dc] = [values(n, 3, 1), values(n, 4, 1)];
      const actsRef = new Float32Array(5 * n);
      const actsFast = new Float32Array(5 * n);
      const ref = lstmCellCpu(gates, cPrev, batch, hidden, actsRef);
      const fast = lstmCellFast(gates, cPrev, batch, hidden, actsFast);
      // f32 exp and division against f64 Math functions: a few f32 roundings apart, absolute near zero.
      expectClose(fast.h, ref.h, 2e-6, 'h');
      expectClose(fast.c, ref.c, 2e-6, 'c');
      expectClose(actsFast, actsRef, 2e-6, 'activations');
      // The backward from the same activations. (From each side's own, 1 − tanh² of a saturated unit would
      // magnify their last-bit difference: that is the forward's tolerance, not the backward's.)
      const gRef = lstmCellBackwardFromActs(actsRef, cPrev, dh, dc, batch, hidden);
      const gFast = lstmCellBackwardFast(gates, cPrev, dh, dc, batch, hidden, actsRef);
      expectClose(gFast.dgates, gRef.dgates, 1e-6, 'dgates');
      expectClose(gFast.dcPrev, gRef.dcPrev, 1e-6, 'dc_prev');
      // Without kept activations it recomputes them with the fast forward.
      const recomputed = lstmCellBackwardFast(gates, cPrev, dh, dc, batch, hidden);
      const fromFast = lstmCellBackwardFromActs(actsFast, cPrev, dh, dc, batch, hidden);
      expectClose(recomputed.dgates, fromFast.dgates, 1e-6, 'dgates, recomputing the activations');
      expectClose(recomputed.dcPrev, fromFast.dcPrev, 1e-6, 'dc_prev, recomputing the activations');
      // Saturated gates (±88, ±100) give finite activations in [−1, 1]: exp's clamp makes no NaN or overflow.
      for (const a of actsFast) expect(Number.isFinite(a) && Math.abs(a) <= 1).toBe(true);
    });
  }

  it('falls back to the reference loops, bit for bit, where H is not a multiple of 4', () => {
    const [batch, hidden] = [3, 7];
    const gates = values(4 * batch * hidden, 5, 4);
    const cPrev = values(batch * hidden, 6, 2);
    const dh = values(batch * hidden, 7, 1);
    expect(lstmCellFast(gates, cPrev, batch, hidden)).toEqual(lstmCellCpu(gates, cPrev, batch, hidden));
    expect(lstmCellBackwardFast(gates, cPrev, dh, dh, batch, hidden)).toEqual(lstmCellBackwardCpu(gates, cPrev, dh, dh, batch, hidden));
  });
});
