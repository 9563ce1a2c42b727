/** The README's example is examples/quickstart.ts verbatim, and it trains XOR when run. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README example', () => {
  const example = readFileSync('examples/quickstart.ts', 'utf8');

  it('is the quickstart file, importing the package by name', () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example.replace("from '../index.js'", "from 'maskscope'"));
  });

  it('learns XOR when run', () => {
    const out = execFileSync('npx', ['tsx', 'examples/quickstart.ts'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const probs = /P\(y=1\) for 00 01 10 11 = ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+)/.exec(out);
    expect(probs, out).not.toBeNull();
    const [p00, p01, p10, p11] = probs!.slice(1).map(Number);
    expect(Math.max(p00, p11)).toBeLessThan(0.1);
    expect(Math.min(p01, p10)).toBeGreaterThan(0.9);
  });
});
