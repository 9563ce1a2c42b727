/**
 * The tfjs peers: @tensorflow/tfjs-backend-cpu, and @tensorflow/tfjs-backend-webgpu on Dawn (the `webgpu`
 * npm package) through a `navigator.gpu` made for it. Its GPUDevice is handed to our engine, so both
 * libraries run on the same adapter and device.
 */
import { existsSync, readdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
// Registers the CPU backend. Imported by name: esbuild drops a bare import of it from a bundle (the package
// declares itself free of side effects), and the packed .device/*.mjs would have no tfjs-cpu.
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export { tf, version_cpu };

// Production mode, as an application would ship: no debug checks, no "install tfjs-node" banner.
tf.enableProdMode();

export interface SharedGpu {
  device: GPUDevice;
  /** The adapter, e.g. "google swiftshader". */
  adapter: string;
  swiftshader: boolean;
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

const hasGpuDeviceNode = (): boolean =>
  existsSync('/dev/nvidia0') || (existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD')));

/** Starts tfjs-webgpu and returns its device, or null when there is no WebGPU adapter. */
export async function startTfjsWebgpu(): Promise<SharedGpu | null> {
  // Before Dawn starts: with no GPU, point Vulkan at SwiftShader for both libraries.
  if (!process.env.VK_ICD_FILENAMES && !hasGpuDeviceNode() && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const g = globalThis as { navigator?: { gpu?: GPU } };
  g.navigator ??= {};
  if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: create([]), configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu').catch(() => false))) return null;
  const backend = tf.backend() as unknown as { device: GPUDevice; adapterInfo?: { vendor?: string; architecture?: string; description?: string } };
  const info = backend.adapterInfo ?? {};
  const adapter = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unknown adapter';
  return { device: backend.device, adapter, swiftshader: /swiftshader/i.test(adapter) };
}

/**
 * tfjs-core's node bundle registers no gradients (the @tensorflow/tfjs umbrella package does, from an
 * ESM build with extensionless imports that Node cannot load). Inside a bundle (../shared/device/pack)
 * esbuild has already resolved that module; from the source tree, bundle it with esbuild now and load
 * it. Either way it registers into tfjs's global gradient registry, shared with the bundle we use.
 */
export async function registerTfjsGradients(): Promise<void> {
  try {
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    return;
  } catch {
    // Node's own loader: the extensionless imports fail before anything runs.
  }
  const { build } = await import('esbuild');
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const dir = await mkdtemp(join(tmpdir(), 'maskscope-tfjs-grads-'));
  const outfile = join(dir, 'gradients.mjs');
  try {
    await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error' });
    await import(pathToFileURL(outfile).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
