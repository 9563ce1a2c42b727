/**
 * Browser entry for the kernel checks: acquires the webgpu backend through navigator.gpu, runs every
 * check in test/checks/kernel-checks.ts against the CPU reference, then the error checks of
 * test/checks/error-checks.ts on WebGPU, and publishes the results on window for test/browser.test.ts (bundled with esbuild, served from 127.0.0.1, driven by headless Chromium).
 */
import type { Backend } from '../../engine/backend.js';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { setBackend } from '../../engine/setup.js';
import { browserCheckNames } from '../checks/browser-checks.js';
import { errorChecks } from '../checks/error-checks.js';
import { kernelChecks } from '../checks/kernel-checks.js';

export interface BrowserCheckResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface BrowserRunState {
  __results?: BrowserCheckResult[];
  __done?: boolean;
  /** The adapter description reported by the webgpu backend, or null when none was acquired. */
  __adapter?: string | null;
  __backend?: string;
  /** navigator.gpu's adapter info, as plain fields (SwiftShader reports isFallbackAdapter: true). */
  __adapterInfo?: Record<string, string | boolean> | null;
  /** Set when the run could not start at all (no navigator.gpu, no adapter, …). */
  __fatal?: string;
}

const state = window as unknown as Window & BrowserRunState;
const log = document.getElementById('log');

function show(line: string, cls = ''): void {
  if (!log) return;
  const div = document.createElement('div');
  div.textContent = line;
  if (cls) div.className = cls;
  log.appendChild(div);
}

const errorText = (e: unknown): string => (e instanceof Error ? `${e.message}${e.stack ? `\n${e.stack}` : ''}` : String(e));

/** The adapter's info fields for the report; GPUAdapterInfo's getters do not survive structured cloning. */
async function adapterInfo(): Promise<Record<string, string | boolean> | null> {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? false,
  };
}

async function main(): Promise<void> {
  const results: BrowserCheckResult[] = [];
  state.__results = results;
  state.__adapter = null;
  try {
    if (!('gpu' in navigator) || !navigator.gpu) throw new Error('navigator.gpu is missing (not a secure context, or WebGPU disabled)');
    let gpu: Backend;
    try {
      gpu = await setBackend('webgpu');
    } catch (e) {
      throw new Error(`setBackend('webgpu') failed: ${errorText(e)}`);
    }
    state.__backend = gpu.name;
    state.__adapter = gpu.description;
    state.__adapterInfo = await adapterInfo();
    show(`backend ${gpu.name}: ${gpu.description} ${JSON.stringify(state.__adapterInfo)}`, 'adapter');
    const cpu = new CpuBackend();
    const runs = [...kernelChecks.map((c) => () => c.run(gpu, cpu)), ...errorChecks.map((c) => () => c.run())];
    for (const [i, name] of browserCheckNames.entries()) {
      const t0 = performance.now();
      try {
        await runs[i]();
        results.push({ name, ok: true, ms: performance.now() - t0 });
        show(`ok   ${name}`, 'ok');
      } catch (e) {
        results.push({ name, ok: false, error: errorText(e), ms: performance.now() - t0 });
        show(`FAIL ${name}: ${e instanceof Error ? e.message : String(e)}`, 'fail');
      }
    }
    const failed = results.filter((r) => !r.ok).length;
    show(`${results.length - failed} passed, ${failed} failed`, failed ? 'fail' : 'ok');
  } catch (e) {
    state.__fatal = errorText(e);
    show(`FATAL ${state.__fatal}`, 'fail');
  } finally {
    state.__done = true;
  }
}

void main();
