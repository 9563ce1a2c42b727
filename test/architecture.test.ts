/**
 * The picture reads in one direction: each part imports only from the parts below it. The bottom is the
 * engine's contract (the Backend interface, dtypes, shapes, the random generator), which imports nothing
 * else; the backends in kernels/ implement it; the engine's front end (tensors, autograd, ops) drives them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONTRACT = ['engine/backend.ts', 'engine/dtype.ts', 'engine/shape.ts', 'engine/random.ts'];

/** The part a file belongs to. */
function partOf(file: string): string {
  if (CONTRACT.includes(file)) return 'contract';
  return file.includes('/') ? file.slice(0, file.indexOf('/')) : 'index';
}

/** What each part may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  contract: [],
  kernels: ['contract'],
  engine: ['contract', 'kernels'],
  data: ['contract'],
  models: ['contract', 'engine'],
  masking: ['contract', 'engine', 'models'],
  report: ['contract', 'masking'],
  experiments: ['contract', 'engine', 'models', 'masking', 'report', 'data'],
  cli: ['contract', 'engine', 'models', 'masking', 'report', 'data', 'experiments', 'index'],
  web: ['contract', 'engine', 'models', 'masking', 'report', 'data', 'experiments', 'index'],
};

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return /\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return found.map((spec) => normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
}

describe('architecture', () => {
  const parts = Object.keys(ALLOWED).filter((p) => p !== 'contract');
  const files = parts.flatMap((p) => {
    try {
      return sources(p);
    } catch {
      return []; // a part that does not exist yet
    }
  });

  it('every import goes to the same part or one below it', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = partOf(file);
      for (const target of imports(file)) {
        const to = partOf(relative('.', target));
        if (to !== from && !ALLOWED[from].includes(to)) wrong.push(`${file} (${from}) imports ${target} (${to})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the contract files import only each other', () => {
    for (const file of CONTRACT) {
      for (const target of imports(file)) expect(CONTRACT, `${file} imports ${target}`).toContain(target);
    }
  });
});
