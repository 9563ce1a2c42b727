/** Choosing the backend: 'cpu', 'webgpu' (fails with a hint when there is no adapter), or 'auto'. */
import type { Backend, BackendName } from './backend.js';
import { cpuBackend as cpu } from '../kernels/cpu/backend.js';
import { setMatmulThreads } from '../kernels/cpu/matmul.fast.js';
import { NO_ADAPTER_HINT, acquireDevice } from '../kernels/webgpu/device.js';
import { checkOptions } from './options.js';
import { activeBackend, useBackend } from './state.js';
import { WebGpuBackend } from '../kernels/webgpu/backend.js';

export type BackendChoice = BackendName | 'auto';

export interface SetBackendOptions {
  /** A GPUDevice owned by the embedding application, used instead of acquiring one. */
  device?: GPUDevice;
  /**
   * CPU backend, in Node on several cores: share large matrix products (and convolutions' block products)
   * with worker threads. Results are the same bits either way. Faster on an idle machine; where other
   * processes compete for the cores it can be slower, so it is off unless asked for. Given once, it holds
   * until given again.
   */
  cpuThreads?: boolean;
}

interface Acquired {
  backend: WebGpuBackend;
  software: boolean;
}
/** The acquired GPU backend, shared by later setBackend calls so a process opens one device. */
let acquired: Promise<Acquired | null> | null = null;

/**
 * Activates a backend for the tensors created from now on and returns it. 'auto' picks webgpu when a
 * hardware adapter exists, else cpu (a software adapter such as SwiftShader is slower than the CPU
 * backend; ask for 'webgpu' to use it anyway); `backend.name` says which. A Backend instance is
 * activated as it is.
 */
export async function setBackend(choice: BackendChoice | Backend = 'auto', opts: SetBackendOptions = {}): Promise<Backend> {
  checkOptions('setBackend', opts, { device: 'object', cpuThreads: 'boolean' });
  if (opts.cpuThreads !== undefined) setMatmulThreads(opts.cpuThreads);
  const backend = typeof choice === 'object' ? choice : await resolve(choice, opts);
  useBackend(backend);
  return backend;
}

async function resolve(choice: BackendChoice, opts: SetBackendOptions): Promise<Backend> {
  if (!['auto', 'cpu', 'webgpu'].includes(choice)) {
    throw new Error(`setBackend: unknown backend '${choice}' (choose auto, cpu or webgpu)`);
  }
  if (choice === 'cpu') return cpu;
  if (opts.device) return new WebGpuBackend(opts.device, 'device provided by the application');
  // Without a GPU, 'auto' would only find a software adapter and pick cpu anyway: skip the probe.
  if (choice === 'auto' && !(await mayHaveGpu())) return cpu;
  acquired ??= acquireDevice().then((found) =>
    found ? { backend: new WebGpuBackend(found.device, found.adapterInfo), software: found.software } : null,
  );
  const gpu = await acquired;
  if (!gpu) {
    acquired = null; // no adapter now; a later call (e.g. after the page gains WebGPU) may try again
    if (choice === 'webgpu') throw new Error(`setBackend('webgpu'): ${NO_ADAPTER_HINT}`);
    return cpu;
  }
  return choice === 'auto' && gpu.software ? cpu : gpu.backend;
}

export const getBackend = (): Backend => activeBackend();

/**
 * False only where we can tell there is no GPU: Linux in Node with no GPU device node and no Vulkan driver
 * chosen by hand. Browsers, other systems and VK_ICD_FILENAMES always get the real probe.
 */
async function mayHaveGpu(): Promise<boolean> {
  const node = typeof process !== 'undefined' && !!process.versions?.node && !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
  if (!node || process.platform !== 'linux' || process.env.VK_ICD_FILENAMES) return true;
  const { readdirSync, existsSync } = await import(/* @vite-ignore */ 'node:fs');
  const dri = existsSync('/dev/dri') ? readdirSync('/dev/dri').some((f: string) => f.startsWith('renderD')) : false;
  return dri || existsSync('/dev/nvidia0') || existsSync('/dev/nvidiactl');
}
