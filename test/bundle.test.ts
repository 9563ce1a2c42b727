/** The browser bundle of the package: no static import of Node-only code (fs, the `webgpu` package). */
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

describe('browser bundle', () => {
  it('reaches Node modules and Dawn only through guarded dynamic imports', async () => {
    const result = await build({
      entryPoints: ['index.ts'], bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true,
      external: ['webgpu', 'node:*'], logLevel: 'silent',
    });
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports);
    const nodeOnly = imports.filter((i) => i.path === 'webgpu' || i.path.startsWith('node:'));
    expect(nodeOnly.length).toBeGreaterThan(0);
    expect(nodeOnly.filter((i) => i.kind !== 'dynamic-import')).toEqual([]);
  });
});
