/**
 * Bundles the web demo with esbuild: web/dist/app.js (the page, with vega, vega-lite and vega-embed from
 * node_modules: no CDN) and web/dist/worker.js (the engine and the experiment). Platform browser; the
 * engine reaches `webgpu` and node:* only in Node, so they stay external and are never loaded in a page.
 */
import { build, type Metafile } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = dirname(fileURLToPath(import.meta.url));

/**
 * Four bundles: app.js (the page: controls, status, the live views), vega.js (vega-embed, vega and
 * vega-lite, loaded beside the first paint), worker.js (the engine and the experiment) and files.js
 * (opening results, on first use). No code splitting: chunks would load one after the other.
 */
export async function buildDemo(outdir = join(WEB_ROOT, 'dist'), opts: { minify?: boolean } = {}): Promise<Metafile> {
  const result = await build({
    entryPoints: ['app', 'vega', 'worker', 'files'].map((name) => ({ in: join(WEB_ROOT, `${name}.ts`), out: name })),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outdir: resolve(outdir),
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    external: ['webgpu', 'node:*'],
    metafile: true,
    logLevel: 'warning',
    legalComments: 'linked',
  });
  return result.metafile;
}
