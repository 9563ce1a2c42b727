/**
 * The correctness half of bench/gpu-check.ts: every kernel check of test/checks/kernel-checks.ts against
 * the CPU reference, also with launches folded into 2-D grids (as test/kernels.test.ts), and every error
 * check of test/checks/error-checks.ts, on the adapter at hand. A failure is recorded, not thrown.
 */
import type { Backend } from '../../engine/backend.js';
import { useBackend } from '../../engine/state.js';
import { CpuBackend } from '../../kernels/cpu/backend.js';
import { WebGpuBackend } from '../../kernels/webgpu/backend.js';
import { errorChecks } from '../../test/checks/error-checks.js';
import { kernelChecks } from '../../test/checks/kernel-checks.js';
import { remainingMs, within } from './deadline.js';

export interface CheckResult {
  suite: 'kernel' | 'kernel, folded grids' | 'error';
  name: string;
  ok: boolean;
  ms: number;
  /** The error's first line, when it failed. */
  error?: string;
}

/** The checks as (suite, name, run) on `gpu`; the folded backend pretends the per-dimension limit is 3 workgroups. */
function checksOn(gpu: Backend): { suite: CheckResult['suite']; name: string; run(): Promise<void> }[] {
  const cpu = new CpuBackend();
  const folded = new WebGpuBackend((gpu as WebGpuBackend).runtime.device, 'folded grids', { maxWorkgroupsPerDimension: 3 });
  return [
    ...kernelChecks.map((c) => ({ suite: 'kernel' as const, name: c.name, run: () => c.run(gpu, cpu) })),
    ...kernelChecks.map((c) => ({ suite: 'kernel, folded grids' as const, name: c.name, run: () => c.run(folded, cpu) })),
    ...errorChecks.map((c) => ({
      suite: 'error' as const, name: c.name,
      run: () => {
        useBackend(gpu);
        return c.run();
      },
    })),
  ];
}

/**
 * Runs every check in turn, pushing each result into `results` as it ends. One that outlasts the time
 * budget (lib/deadline.ts) fails as timed out, and the rest are not started (the device may be hung).
 * Returns how many checks were not run.
 */
export async function runChecks(gpu: Backend, results: CheckResult[], print: (line: string) => void): Promise<number> {
  const checks = checksOn(gpu);
  for (const [i, c] of checks.entries()) {
    const t0 = performance.now();
    let error: string | undefined;
    try {
      await within(remainingMs(), c.run(), 'the check');
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    }
    results.push({ suite: c.suite, name: c.name, ok: error === undefined, ms: performance.now() - t0, ...(error === undefined ? {} : { error }) });
    print(`${error === undefined ? 'ok  ' : 'FAIL'} [${c.suite}] ${c.name}${error === undefined ? '' : `: ${error}`}`);
    if (remainingMs() <= 0 && i + 1 < checks.length) {
      print(`# checks: time budget spent, ${checks.length - i - 1} checks not run`);
      return checks.length - i - 1;
    }
  }
  return 0;
}
