import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn (the `webgpu` native module) is safest in separate processes rather than worker threads.
    pool: 'forks',
    // WebGPU runs on SwiftShader (a CPU Vulkan) in CI: slow, so allow time per test.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
