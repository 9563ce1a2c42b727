/**
 * GFLOP/s (2·batch·m·n·k / seconds) of the plain-JS CPU matmul vs the WebAssembly SIMD one, on one thread
 * and with worker threads, on the shapes the CPU backend spends its time in.
 * Usage: npx tsx bench/gemm-wasm.ts [--quick]
 * Shapes are named [batch×]m×k×n; transA/transB as in MatmulSpec (mlp-fwd is x·Wᵀ, W stored [n, k]).
 * "fast threads" is matmulFast after setMatmulThreads(true) (off by default). On a machine shared with
 * other processes the numbers swing by ±30% from run to run, threads most: compare several runs.
 */
import type { MatmulSpec } from '../engine/backend.js';
import { matmulCpu } from '../kernels/cpu/matmul.js';
import { matmulFast, setMatmulThreads, wasmGemmAvailable } from '../kernels/cpu/matmul.fast.js';
import { secondsPerStep } from './lib/timing.js';
import { uniformCpu } from '../engine/random.js';

interface Case {
  name: string;
  spec: MatmulSpec;
}

function shape(name: string, batch: number, m: number, k: number, n: number, transA = false, transB = false): Case {
  return { name, spec: { batch, m, n, k, transA, transB, batchStrideA: m * k, batchStrideB: k * n } };
}

const CASES: Case[] = [
  shape('mlp-fwd 128x256x256 transB', 1, 128, 256, 256, false, true),
  shape('mlp-bwd-dx 128x256x256', 1, 128, 256, 256),
  shape('mlp-bwd-dW 256x128x256 transA', 1, 256, 128, 256, true, false),
  shape('mask 4x32x256x256 transB', 4, 32, 256, 256, false, true),
  shape('square 512x512x512', 1, 512, 512, 512),
  shape('wide 128x2000x2000 transB', 1, 128, 2000, 2000, false, true),
];

/** Deterministic values in (-1, 1) from the engine's counter-based generator. */
const randomData = (size: number, seed: number): Float32Array => uniformCpu(size, seed, 0).map((v) => v * 2 - 1);

const quick = process.argv.includes('--quick');
const opts = { minSeconds: quick ? 0.1 : 0.3, maxIters: 10_000, rounds: quick ? 2 : 4 };
console.log(`wasm simd: ${wasmGemmAvailable() ? 'yes' : 'NO (matmulFast falls back to matmulCpu)'}`);
// The first few hundred products of a process run slower for reasons outside the kernels (allocating
// the output and first writes to it took 0.1–0.3 ms each, likely fresh pages from the OS until the
// allocator settles), so spend a second before timing anything.
{
  const { spec } = CASES[0];
  const a = randomData(spec.batch * spec.m * spec.k, 1);
  const b = randomData(spec.batch * spec.k * spec.n, 2);
  for (const t0 = performance.now(); performance.now() - t0 < 1000; ) matmulFast(a, b, spec);
}
console.log('case'.padEnd(32), 'matmulCpu'.padStart(10), 'fast 1 thread'.padStart(14), 'fast threads'.padStart(13), '(GFLOP/s)');
for (const { name, spec } of CASES) {
  const a = randomData(spec.batch * spec.m * spec.k, 1);
  const b = randomData(spec.batch * spec.k * spec.n, 2);
  const runner = (f: typeof matmulCpu, threads = false) => ({
    step: () => {
      setMatmulThreads(threads);
      f(a, b, spec);
    },
    sync: async () => {},
  });
  const times = await secondsPerStep([runner(matmulCpu), runner(matmulFast), runner(matmulFast, true)], opts);
  const gflop = (2 * spec.batch * spec.m * spec.n * spec.k) / 1e9;
  const [cpu, one, many] = times.map((t) => (gflop / t).toFixed(1));
  console.log(name.padEnd(32), cpu.padStart(10), one.padStart(14), many.padStart(13));
}
