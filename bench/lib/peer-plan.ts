/**
 * What the layer benches (lstm, attention) share: which backends run which cases, and the result line
 * with the peers' columns.
 */
import * as ms from '../../index.js';
import type { Backend } from '../../engine/backend.js';
import { startTfjsWebgpu, type SharedGpu } from '../peers/tfjs.js';

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
