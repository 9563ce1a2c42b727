/**
 * What the layer benches (lstm, attention) share: options, which backends run which cases, the PyTorch
 * peer, the timing loop and the result line with the peers' columns.
 */
import { cpus, loadavg } from 'node:os';
import * as ms from '../../index.js';
import type { Backend } from '../../engine/backend.js';
import { registerTfjsGradients, startTfjsWebgpu, tf, type SharedGpu } from '../peers/tfjs.js';
import { hasTorch, NO_TORCH, runTorchPeer } from '../peers/torch.js';
import { benchOptions, isBackendChoice, isPositiveInt, isTimingValid, TIMING_SPEC, TIMING_USAGE, withTiming } from './options.js';
import { secondsPerStep, type Runner, type TimingOptions } from './timing.js';

export interface BackendRun<C> {
  backend: Backend;
  gpu: SharedGpu | null;
  cases: C[];
}

/** cpu and/or webgpu (through the GPUDevice tfjs-webgpu opened, so both libraries share it; quick cases on SwiftShader). */
export async function planPeerBackends<C>(bench: string, choice: 'cpu' | 'webgpu' | 'all', cases: C[], quick: C[]): Promise<BackendRun<C>[]> {
  const out: BackendRun<C>[] = [];
  if (choice !== 'webgpu') out.push({ backend: await ms.setBackend('cpu'), gpu: null, cases });
  if (choice === 'cpu') return out;
  const gpu = await startTfjsWebgpu();
  if (!gpu) {
    if (choice === 'webgpu') throw new Error(`${bench}: no WebGPU adapter found`);
    console.log('# webgpu: skipped, no WebGPU adapter');
    return out;
  }
  console.log(`# webgpu: one GPUDevice shared by both libraries, adapter: ${gpu.adapter}${gpu.swiftshader ? ' (SwiftShader: quick size only)' : ''}`);
  out.push({ backend: await ms.setBackend('webgpu', { device: gpu.device }), gpu, cases: gpu.swiftshader ? quick : cases });
  return out;
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

/** `<case> <backend> ours=<ms> tfjs-<backend>=<ms> ratio=<tfjs/ours> torch-<device>=<ms> ratio=<torch/ours>`. */
export function resultLine(name: string, backend: string, ours: number, tfjs: number | undefined, torch: { device: string; ms: number } | undefined): string {
  const tfjsCol = tfjs === undefined ? '' : ` tfjs-${backend}=${fmt(tfjs)} ratio=${(tfjs / ours).toFixed(2)}`;
  const torchCol = torch === undefined ? '' : ` torch-${torch.device}=${fmt(torch.ms)} ratio=${(torch.ms / ours).toFixed(2)}`;
  return `${name} ${backend} ours=${fmt(ours)}${tfjsCol}${torchCol}`;
}

/** One layer benchmark: its cases, its runners, and its PyTorch peer. */
export interface LayerBench<C extends { name: string }, D> {
  name: string;
  full: C[];
  quick: C[];
  /** Deterministic inputs of a case (host arrays, shared by ours and the tfjs peer). */
  inputs(c: C): Promise<D>;
  ours(c: C, data: D): Runner & { dispose(): void };
  tfjs(c: C, data: D): Runner & { dispose(): void };
  torch: { script: string; note: (threads: number) => string; defaultThreads: number; blasThreads: (threads: number) => number };
}

/**
 * Parses the layer benches' options (--backend, --quick, --no-tfjs, --no-torch, --torch-threads, timing),
 * runs the PyTorch peer once for every case, then times ours against tfjs case by case on each backend,
 * printing one result line per case.
 */
export async function runLayerBench<C extends { name: string }, D>(bench: LayerBench<C, D>, args: string[]): Promise<void> {
  const v = benchOptions(bench.name, args, {
    backend: { type: 'string', default: 'all' }, quick: { type: 'boolean', default: false }, 'no-tfjs': { type: 'boolean', default: false },
    'no-torch': { type: 'boolean', default: false }, 'torch-threads': { type: 'string', default: String(bench.torch.defaultThreads) }, ...TIMING_SPEC,
  }, `--backend cpu|webgpu|all, --quick, --no-tfjs, --no-torch, --torch-threads N, ${TIMING_USAGE}`,
  (o) => isBackendChoice(o.backend) && isPositiveInt(String(o['torch-threads'])) && isTimingValid(o));
  const threads = Number(v['torch-threads']);
  // A full-size step takes seconds on a CPU: warm up with one, then best of 2 batches of >= 1 s.
  const timing = withTiming<TimingOptions>(v.quick ? { minSeconds: 0.3, maxIters: 100, rounds: 1 } : { minSeconds: 1, maxIters: 100, rounds: 2 }, v);
  console.log(`# host: ${cpus().length} CPUs, load average ${loadavg()[0].toFixed(1)}; best of ${timing.rounds} batch(es) of >= ${timing.minSeconds} s`);
  const runs = await planPeerBackends(bench.name, v.backend as 'cpu' | 'webgpu' | 'all', v.quick ? bench.quick : bench.full, bench.quick);
  let torch: { device: string; values: Map<string, number> } | null = null;
  if (v['no-torch']) console.log('# torch: skipped (--no-torch)');
  else if (!hasTorch()) console.log(NO_TORCH);
  else {
    const cases = [...new Map(runs.flatMap((r) => r.cases.map((c) => [c.name, c] as const))).values()];
    console.log(`# torch: ${bench.torch.note(threads)}`);
    torch = runTorchPeer(bench.torch.script, { cases, minSeconds: timing.minSeconds, rounds: timing.rounds, threads }, bench.torch.blasThreads(threads));
  }
  if (v['no-tfjs']) console.log('# tfjs: skipped (--no-tfjs)');
  else await registerTfjsGradients();
  for (const { backend, c } of runs.flatMap((r) => r.cases.map((c) => ({ backend: r.backend, c })))) {
    const data = await bench.inputs(c);
    await ms.setBackend(backend);
    const runners = [bench.ours(c, data)];
    if (!v['no-tfjs']) {
      await tf.setBackend(backend.name);
      runners.push(bench.tfjs(c, data));
    }
    const [ours, tfjs] = (await secondsPerStep(runners, timing)).map((s) => s * 1e3);
    runners.forEach((r) => r.dispose());
    const t = torch?.values.get(c.name);
    console.log(resultLine(c.name, backend.name, ours, tfjs, t === undefined ? undefined : { device: torch!.device, ms: t }));
  }
}
