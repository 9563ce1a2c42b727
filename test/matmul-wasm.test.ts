/**
 * The WebAssembly SIMD matmul (kernels/cpu/matmul.fast.ts) against the plain-JS reference matmulCpu:
 * every edge-tile case of the 4×8 micro-kernel, all transpose combinations, batch strides (broadcast,
 * packed and gapped), the k and row blocking of larger products, the same with worker threads, and the
 * committed wasm being the assembled kernels/cpu/wasm/gemm.wat.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MatmulSpec } from '../engine/backend.js';
import { matmulCpu } from '../kernels/cpu/matmul.js';
import { matmulFast, setMatmulThreads, wasmGemmAvailable } from '../kernels/cpu/matmul.fast.js';
import { uniformCpu } from '../engine/random.js';

/** Deterministic values in (-1, 1) from the engine's counter-based generator. */
const randomData = (size: number, seed: number): Float32Array => uniformCpu(size, seed, 0).map((v) => v * 2 - 1);

interface Case extends MatmulSpec {
  /** Extra floats between batch entries beyond a compact layout (ignored where the stride is 0). */
  gap?: number;
}

function spec(c: Partial<Case> & Pick<Case, 'm' | 'n' | 'k'>, broadcastA = false, broadcastB = false): MatmulSpec {
  const { m, n, k, batch = 1, transA = false, transB = false, gap = 0 } = c;
  return {
    batch, m, n, k, transA, transB,
    batchStrideA: broadcastA ? 0 : m * k + gap,
    batchStrideB: broadcastB ? 0 : k * n + gap,
  };
}

/** Which elements of fast differ from ref by more than float32 reordering explains. */
function mismatches(s: MatmulSpec, seed: number): string[] {
  const lenA = s.batchStrideA * (s.batch - 1) + s.m * s.k;
  const lenB = s.batchStrideB * (s.batch - 1) + s.k * s.n;
  const a = randomData(lenA, seed);
  const b = randomData(lenB, seed + 1);
  const ref = matmulCpu(a, b, s);
  const fast = matmulFast(a, b, s);
  // Both sum the same k products in different orders: the difference is bounded by a few ulps of
  // Σ|a||b|, the matmul of the absolute values.
  const bound = matmulCpu(a.map(Math.abs), b.map(Math.abs), s);
  const bad: string[] = [];
  if (fast.length !== ref.length) return [`length ${fast.length}, expected ${ref.length}`];
  for (let i = 0; i < ref.length && bad.length < 5; i++) {
    if (!(Math.abs(fast[i] - ref[i]) <= 1e-5 * bound[i])) bad.push(`[${i}] ${fast[i]} vs ${ref[i]}`);
  }
  return bad;
}

function expectMatches(s: MatmulSpec, seed = 1): void {
  expect(mismatches(s, seed), JSON.stringify(s)).toEqual([]);
}

const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;
const EDGE_SIZES = [1, 2, 3, 5, 15, 16, 17, 33, 64, 65, 130];

describe('matmulFast', () => {
  it('runs WebAssembly SIMD in Node 20 (not the fallback)', () => {
    expect(wasmGemmAvailable()).toBe(true);
  });

  it('the committed kernels/cpu/wasm/gemm.wasm.ts is kernels/cpu/wasm/gemm.wat assembled', () => {
    const script = fileURLToPath(new URL('../kernels/cpu/wasm/build-wasm.mjs', import.meta.url));
    const fresh = execFileSync(process.execPath, [script, '--stdout'], { encoding: 'utf8' });
    const committed = readFileSync(fileURLToPath(new URL('../kernels/cpu/wasm/gemm.wasm.ts', import.meta.url)), 'utf8');
    expect(committed, 'gemm.wasm.ts is stale: run `node kernels/cpu/wasm/build-wasm.mjs`').toBe(fresh);
  });

  for (const [transA, transB] of TRANSPOSES) {
    it(`equals matmulCpu for every m, n, k in {${EDGE_SIZES}} (transA=${transA}, transB=${transB})`, () => {
      let seed = 1;
      for (const m of EDGE_SIZES) for (const n of EDGE_SIZES) for (const k of EDGE_SIZES) {
        expectMatches(spec({ m, n, k, transA, transB }), seed++);
      }
    });
  }

  it('handles batches: packed, gapped and broadcast (stride 0) operands', () => {
    let seed = 100;
    for (const [transA, transB] of TRANSPOSES) {
      for (const [m, n, k] of [[5, 17, 3], [32, 20, 33], [4, 8, 256]]) {
        for (const gap of [0, 7]) {
          for (const [bA, bB] of [[false, false], [true, false], [false, true], [true, true]]) {
            expectMatches(spec({ m, n, k, batch: 3, transA, transB, gap }, bA, bB), seed++);
          }
        }
      }
    }
  });

  it('equals matmulCpu on larger products (k blocks of 256, row blocks of 256)', () => {
    let seed = 200;
    for (const [transA, transB] of TRANSPOSES) {
      expectMatches(spec({ m: 128, n: 256, k: 256, transA, transB }), seed++);
      expectMatches(spec({ m: 300, n: 70, k: 513, transA, transB }), seed++);
    }
    expectMatches(spec({ m: 32, n: 256, k: 256, batch: 4, transB: true }), seed++);
    expectMatches(spec({ m: 9, n: 600, k: 1100, transB: true }), seed++);
  });

  it('equals matmulCpu on random shapes (fast-check)', () => {
    const shapes = fc.record({
      m: fc.integer({ min: 1, max: 70 }),
      n: fc.integer({ min: 1, max: 70 }),
      k: fc.integer({ min: 1, max: 300 }),
      batch: fc.integer({ min: 1, max: 3 }),
      transA: fc.boolean(),
      transB: fc.boolean(),
      gap: fc.integer({ min: 0, max: 5 }),
      broadcastA: fc.boolean(),
      broadcastB: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(shapes, (c) => mismatches(spec(c, c.broadcastA, c.broadcastB), c.seed).length === 0),
      { numRuns: 200 },
    );
  });

  it('returns zeros for k = 0 and empty results for m, n or batch = 0', () => {
    expect(matmulFast(new Float32Array(0), new Float32Array(0), spec({ m: 3, n: 2, k: 0 }))).toEqual(new Float32Array(6));
    for (const s of [spec({ m: 0, n: 4, k: 5 }), spec({ m: 4, n: 0, k: 5 }), spec({ m: 4, n: 4, k: 5, batch: 0 })]) {
      expect(matmulFast(randomData(20, 1), randomData(20, 2), s)).toEqual(new Float32Array(0));
    }
  });

  it('leaves its inputs untouched and reuses its memory across calls of different sizes', () => {
    const big = spec({ m: 130, n: 65, k: 300, transB: true });
    const small = spec({ m: 3, n: 5, k: 2, transA: true });
    const a = randomData(130 * 300, 7);
    const b = randomData(300 * 65, 8);
    const [a0, b0] = [a.slice(), b.slice()];
    const first = matmulFast(a, b, big);
    expect(a).toEqual(a0);
    expect(b).toEqual(b0);
    expectMatches(small, 9);
    expect(matmulFast(a, b, big)).toEqual(first);
  });

  it('equals matmulCpu with worker threads, and the process can still exit', async () => {
    setMatmulThreads(true);
    try {
      let seed = 300;
      const products = () => {
        for (const [transA, transB] of TRANSPOSES) expectMatches(spec({ m: 128, n: 256, k: 256, transA, transB }), seed++);
        expectMatches(spec({ m: 32, n: 256, k: 256, batch: 4, transB: true }, false, true), seed++);
        expectMatches(spec({ m: 33, n: 130, k: 300, batch: 3, transA: true, gap: 5 }, true, false), seed++);
        expectMatches(spec({ m: 300, n: 70, k: 513 }), seed++);
        expectMatches(spec({ m: 9, n: 600, k: 1100, transB: true }), seed++);
      };
      products(); // workers are still starting: the calling thread does (nearly) everything
      await new Promise((resolve) => setTimeout(resolve, 300));
      products(); // now shared between threads
    } finally {
      setMatmulThreads(false);
    }
    // The workers are unref'd: a script that used them ends by itself.
    const runner = fileURLToPath(new URL('../kernels/cpu/matmul.fast.ts', import.meta.url));
    const script = `import { matmulFast, setMatmulThreads } from ${JSON.stringify(runner)};
      setMatmulThreads(true);
      const s = { batch: 1, m: 256, n: 256, k: 256, transA: false, transB: false, batchStrideA: 0, batchStrideB: 0 };
      const run = () => matmulFast(new Float32Array(65536).fill(1), new Float32Array(65536).fill(2), s)[7];
      const first = run();
      setTimeout(() => console.log(first + run()), 200);`;
    const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const output = execFileSync(process.execPath, [tsx, '--eval', script], { encoding: 'utf8', timeout: 30_000 });
    expect(output.trim()).toBe('1024');
  });
});
