import { beforeAll, describe, it } from 'vitest';
import type { Backend } from '../engine/backend.js';
import { CpuBackend } from '../kernels/cpu/backend.js';
import { WebGpuBackend } from '../kernels/webgpu/backend.js';
import { kernelChecks } from './checks/kernel-checks.js';
import { gpuBackend } from './gpu.js';

const cpu = new CpuBackend();

describe('webgpu kernels match the CPU reference', () => {
  let gpu: Backend;
  beforeAll(async () => {
    gpu = await gpuBackend();
  });
  for (const check of kernelChecks) it(check.name, () => check.run(gpu, cpu));
});

// Launches larger than the per-dimension workgroup limit fold into 2-D grids. Real limits need tens of
// millions of elements to reach, so this backend pretends the limit is 3 workgroups.
describe('webgpu kernels with launches folded into 2-D grids', () => {
  let folded: Backend;
  beforeAll(async () => {
    const gpu = (await gpuBackend()) as WebGpuBackend;
    folded = new WebGpuBackend(gpu.runtime.device, 'folded grids', { maxWorkgroupsPerDimension: 3 });
  });
  for (const check of kernelChecks) it(check.name, () => check.run(folded, cpu));
});
