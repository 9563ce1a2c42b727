/**
 * The one place that finds a GPUDevice: one handed in by the embedding app, navigator.gpu in a browser,
 * or Dawn through the `webgpu` npm package in Node. Nothing else in the engine looks for WebGPU.
 */

export const NO_ADAPTER_HINT =
  'No WebGPU adapter was found. In Node on a machine without a GPU, install Vulkan and SwiftShader ' +
  '(Debian: apt-get install libvulkan1 chromium) and run with ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json; in a browser, use one with WebGPU enabled ' +
  "(Chrome/Edge 113+), or choose the 'cpu' backend.";

/** Chromium's software Vulkan (SwiftShader); tried in Node when no other adapter is found. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface NodeGpu {
  gpu: GPU;
  /** Dawn keeps the process alive while this object lives; dropping it lets Node exit. */
  release(): void;
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapterInfo: string;
  /** A software rasteriser (SwiftShader, llvmpipe): correct but slower than the CPU backend. */
  software: boolean;
}

export async function acquireDevice(): Promise<AcquiredDevice | null> {
  const adapter = await requestAdapter();
  if (!adapter) return null;
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  const info = adapter.info;
  const adapterInfo = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  const software = info?.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe/i.test(adapterInfo);
  return { device, adapterInfo, software };
}

async function requestAdapter(): Promise<GPUAdapter | null> {
  const browserGpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (browserGpu) return browserGpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!isNode()) return null;
  const first = await nodeGpu();
  const adapter = await first?.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter) return adapter;
  // No adapter from the default Vulkan drivers: fall back to SwiftShader when it is installed.
  const { existsSync } = await import(/* @vite-ignore */ 'node:fs');
  if (process.env.VK_ICD_FILENAMES || !existsSync(SWIFTSHADER_ICD)) return null;
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const second = await nodeGpu();
  return (await second?.gpu.requestAdapter()) ?? null;
}

const isNode = (): boolean => typeof process !== 'undefined' && !!process.versions?.node;

let dawn: NodeGpu | null = null;

async function nodeGpu(): Promise<NodeGpu | null> {
  try {
    process.env.XDG_RUNTIME_DIR ??= '/tmp';
    const moduleName = 'webgpu';
    const mod = (await import(/* @vite-ignore */ moduleName)) as { create(flags: string[]): GPU; globals: object };
    Object.assign(globalThis, mod.globals);
    let gpu: GPU | null = mod.create([]);
    dawn = { gpu, release: () => { gpu = null; } };
    return dawn;
  } catch {
    return null;
  }
}
