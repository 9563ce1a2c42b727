/**
 * The WebGPU backend for bench/gpu-check.ts and what its adapter is: identity, whether it is a software
 * (fallback) adapter, the limits the kernels depend on and the features a later kernel might use.
 */
import type { Backend } from '../../engine/backend.js';
import { setBackend } from '../../engine/setup.js';
import type { WebGpuBackend } from '../../kernels/webgpu/backend.js';

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A fallback adapter, or one named like a CPU rasteriser (SwiftShader, llvmpipe, lavapipe). */
  software: boolean;
  limits: Record<string, number>;
  /** Whether the adapter offers the features of interest (subgroups, timestamp-query, shader-f16). */
  keyFeatures: Record<string, boolean>;
  features: string[];
}

const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
] as const;
const KEY_FEATURES = ['subgroups', 'timestamp-query', 'shader-f16'];

/**
 * A second adapter for its limits and features (the engine's device holds only the limits it asked for):
 * asked for after the engine's, so it sees the same Vulkan driver (the engine may have chosen SwiftShader).
 */
async function probeAdapter(): Promise<GPUAdapter | null> {
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? (await import('webgpu')).create([]);
  return gpu.requestAdapter({ powerPreference: 'high-performance' });
}

/** The engine's webgpu backend and its adapter's report; throws (with the engine's hint) when there is no adapter. */
export async function acquireGpu(): Promise<{ backend: Backend; adapter: AdapterReport }> {
  const backend = await setBackend('webgpu');
  const device = (backend as WebGpuBackend).runtime.device;
  const info = device.adapterInfo as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const adapter = await probeAdapter();
  const features = adapter ? [...adapter.features].map(String).sort() : [];
  const name = [info.vendor, info.architecture, info.device, info.description].join(' ');
  return {
    backend,
    adapter: {
      vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
      software: info.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(name),
      limits: Object.fromEntries(LIMITS.map((l) => [l, adapter ? adapter.limits[l] : device.limits[l]])),
      keyFeatures: Object.fromEntries(KEY_FEATURES.map((f) => [f, features.includes(f)])),
      features,
    },
  };
}
