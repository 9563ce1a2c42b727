/**
 * Benchmark dispatcher: `tsx bench/run.ts <name> [options]` (npm run bench -- <name>) runs the `main(args)`
 * of bench/<name>.ts. Every top-level .ts file here except this one is a benchmark; helpers live in lib/
 * and peers/.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  if (name) console.error(`unknown benchmark '${name}'`);
  console.error(`usage: npm run bench -- <name> [options]\navailable benchmarks: ${available.join(', ')}`);
  process.exit(2);
}
const bench = (await import(`./${name}.ts`)) as { main(args: string[]): Promise<void> };
await bench.main(args);
// Dawn keeps the event loop alive while a GPU device exists; a benchmark may have set an exit code.
process.exit(process.exitCode ?? 0);
