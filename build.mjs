// npm run build (also run by npm install / npm ci through "prepare"): type declarations (tsc) and ES-module
// bundles (esbuild): dist/node/index.js for Node (keeps the `webgpu` package external),
// dist/browser/maskscope.js for pages (no Node code) and dist/cli/maskscope.js, the `maskscope` command.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

const common = { entryPoints: ['index.ts'], bundle: true, format: 'esm', sourcemap: true, logLevel: 'warning' };
await build({ ...common, platform: 'node', target: 'node20', outfile: 'dist/node/index.js', external: ['webgpu'] });
// engine/device.ts reaches `webgpu` and node:fs only when running in Node; in a page they stay unresolved.
await build({ ...common, platform: 'browser', target: 'es2022', outfile: 'dist/browser/maskscope.js', external: ['webgpu', 'node:*'], minify: true });
// The CLI: node_modules stay external (the report inlines vega's browser builds from there at run time).
await build({ ...common, entryPoints: ['cli/maskscope.ts'], platform: 'node', target: 'node20', outfile: 'dist/cli/maskscope.js', packages: 'external', minify: false });
console.log('built dist/types, dist/node/index.js, dist/browser/maskscope.js, dist/cli/maskscope.js');
