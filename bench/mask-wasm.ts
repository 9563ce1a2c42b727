/**
 * Milliseconds per call of the CPU mask kernels and Adam step, plain-JS reference vs WebAssembly SIMD
 * (kernels/cpu/mask.fast.ts, kernels/cpu/adam.fast.ts; bit-identical results), at the size of the
 * +/× MLP 42→256×4→20's masked weights: n = 212,480, K = 4 samples.
 * Usage: npx tsx bench/mask-wasm.ts [--quick]
 * "alloc K·n" is allocating the forward's K·n-float result and writing it once, which both sides pay: on
 * some machines (VMs) first touches of fresh pages cost several ms, and whether a call gets fresh pages
 * depends on when the garbage collector last freed an old result, so forward timings swing with it.
 */
import { adamCpu } from '../kernels/cpu/adam.js';
import { adamFast, wasmAdamAvailable } from '../kernels/cpu/adam.fast.js';
import { maskSampleBackwardCpu, maskSampleCpu } from '../kernels/cpu/mask.js';
import {
  maskSampleBackwardFast, maskSampleFast, wasmMaskAvailable, wasmMaskExpExact,
} from '../kernels/cpu/mask.fast.js';
import { secondsPerStep, type Runner } from './lib/timing.js';
import { uniformCpu } from '../engine/random.js';

const N = 212_480;
const K = 4;

/** Deterministic values in (-1, 1) from the engine's counter-based generator. */
const randomData = (size: number, seed: number): Float32Array => uniformCpu(size, seed, 0).map((v) => v * 2 - 1);

const quick = process.argv.includes('--quick');
const opts = { minSeconds: quick ? 0.2 : 0.5, maxIters: 1000, rounds: quick ? 2 : 4, warmUpSteps: 3 };
console.log(`wasm simd: ${wasmMaskAvailable() ? 'yes' : 'NO (the fast functions fall back to the references)'}, ` +
  `exp port exact: ${wasmMaskExpExact() ? 'yes' : 'no (Math.exp)'}, adam: ${wasmAdamAvailable() ? 'yes' : 'NO'}`);
console.log(`n = ${N}, K = ${K}`);

const logits = randomData(N, 1).map((x) => x * 6);
const weight = randomData(N, 2);
const grad = randomData(K * N, 3);
let seed = 0;
const run = (f: () => void): Runner => ({ step: f, sync: async () => {} });

const hyper = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, biasCorrection1: 0.5, biasCorrection2: 0.01 };
const state = () => [weight.slice(), new Float32Array(N), new Float32Array(N)];
const [pr, mr, vr] = state();
const [pf, mf, vf] = state();

const cases: [string, Runner, Runner][] = [
  ['maskSample (forward)',
    run(() => maskSampleCpu(logits, weight, K, seed++, 1)), run(() => maskSampleFast(logits, weight, K, seed++, 1))],
  ['maskSampleBackward',
    run(() => maskSampleBackwardCpu(grad, logits, weight, K, seed++, 1)),
    run(() => maskSampleBackwardFast(grad, logits, weight, K, seed++, 1))],
  ['adam', run(() => adamCpu(pr, grad, mr, vr, hyper, 1)), run(() => adamFast(pf, grad, mf, vf, hyper, 1))],
];

console.log('case'.padEnd(22), 'reference'.padStart(10), 'fast'.padStart(8), 'speedup'.padStart(8), '(ms per call)');
for (const [name, ref, fast] of cases) {
  const [a, b] = await secondsPerStep([ref, fast], opts);
  console.log(name.padEnd(22), (a * 1e3).toFixed(2).padStart(10), (b * 1e3).toFixed(2).padStart(8), `${(a / b).toFixed(1)}×`.padStart(8));
}
const [alloc] = await secondsPerStep([run(() => new Float32Array(K * N).fill(1))], opts);
console.log('alloc K·n (in both)'.padEnd(22), (alloc * 1e3).toFixed(2).padStart(10));
