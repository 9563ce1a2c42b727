/** The WebGPU backend for tests. CI has one (SwiftShader), so a missing adapter is a failure, not a skip. */
import type { Backend } from '../engine/backend.js';
import { setBackend } from '../engine/setup.js';

let gpu: Promise<Backend> | null = null;

export function gpuBackend(): Promise<Backend> {
  gpu ??= setBackend('webgpu');
  return gpu;
}
