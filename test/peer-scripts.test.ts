/**
 * Every PyTorch peer script in bench/peers is embedded in a packed bundle (bench/peers/sources.ts): a bundle
 * carries no .py file, so a script missing there makes its benchmark fail on the device machine only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('bench/peers/sources.ts', () => {
  it('embeds every peer script of bench/peers', () => {
    const dir = fileURLToPath(new URL('../bench/peers/', import.meta.url));
    const sources = readFileSync(`${dir}sources.ts`, 'utf8');
    const scripts = readdirSync(dir).filter((f) => f.endsWith('.py'));
    expect(scripts.length).toBeGreaterThan(5);
    const missing = scripts.filter((f) => !sources.includes(`import('./${f}', { with: { type: 'text' } })`));
    expect(missing, 'add them to EMBEDDED in bench/peers/sources.ts').toEqual([]);
  });
});
