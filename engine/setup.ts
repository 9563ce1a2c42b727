/** Choosing the backend: 'cpu', 'webgpu' (fails with a hint when there is no adapter), or 'auto'. */
import type { Backend, BackendName } from './backend.js';
import { CpuBackend } from './cpu/backend.js';
import { NO_ADAPTER_HINT, acquireDevice } from './device.js';
import { activeBackend, useBackend } from './state.js';
import { WebGpuBackend } from './webgpu/backend.js';

export type BackendChoice = BackendName | 'auto';

export interface SetBackendOptions {
  /** A GPUDevice owned by the embedding application, used instead of acquiring one. */
  device?: GPUDevice;
}

/**
 * Activates a backend for the tensors created from now on and returns it. 'auto' picks webgpu when an
 * adapter exists, else cpu; `backend.name` says which.
 */
export async function setBackend(choice: BackendChoice = 'auto', opts: SetBackendOptions = {}): Promise<Backend> {
  if (!['auto', 'cpu', 'webgpu'].includes(choice)) {
    throw new Error(`setBackend: unknown backend '${choice}' (choose auto, cpu or webgpu)`);
  }
  const backend = choice === 'cpu' ? new CpuBackend() : await webgpu(choice, opts);
  useBackend(backend);
  return backend;
}

async function webgpu(choice: BackendChoice, opts: SetBackendOptions): Promise<Backend> {
  if (opts.device) return new WebGpuBackend(opts.device, 'device provided by the application');
  const found = await acquireDevice();
  if (found) return new WebGpuBackend(found.device, found.adapterInfo);
  if (choice === 'webgpu') throw new Error(`setBackend('webgpu'): ${NO_ADAPTER_HINT}`);
  return new CpuBackend();
}

export const getBackend = (): Backend => activeBackend();
