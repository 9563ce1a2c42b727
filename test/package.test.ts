/** What `npm publish` ships: the built package, the README, the licence and the docs — not tests, benches or screenshots. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('the npm package', () => {
  it('holds dist/, README.md, LICENSE, docs/*.md and package.json only', () => {
    const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(json) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    expect(files.filter((f) => !/^(dist\/.+|docs\/[^/]+\.md|README\.md|LICENSE|package\.json)$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json', 'docs/method.md', 'docs/experiments.md']));
    // dist/ exists once built (npm ci runs the build through "prepare").
    if (existsSync('dist/cli/maskscope.js')) expect(files).toEqual(expect.arrayContaining(['dist/cli/maskscope.js', 'dist/node/index.js', 'dist/browser/maskscope.js']));
  });
});
