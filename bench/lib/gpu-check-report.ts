/**
 * bench/gpu-check.ts's results file: gpu-check.json (everything, with each benchmark line also parsed
 * into numbers) and gpu-check.md (the summary it prints), rewritten after every section so that a run
 * stopped midway still leaves what it measured.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterReport } from './gpu-adapter.js';
import type { CheckResult } from './gpu-checks.js';
import type { Machine } from './machine.js';

export interface SectionResult {
  name: string;
  /** The benchmark the section runs (npm run bench -- <bench>), when it is not the section's name. */
  bench?: string;
  args: string[];
  budgetSeconds: number;
  wallSeconds: number;
  /** budget spent: the budget ran out and later cases were skipped; timed out: it ran past budget and grace. */
  status: 'ok' | 'budget spent' | 'error' | 'timed out' | 'running';
  error?: string;
  lines: string[];
}

export interface GpuCheckResults {
  date: string;
  argv: string[];
  machine: Machine;
  adapter: AdapterReport | null;
  /** Why nothing ran on the adapter: there is none, or a software one without --allow-software. */
  refused?: string;
  checks: { budgetSeconds: number; wallSeconds: number; notRun: number; results: CheckResult[] };
  sections: SectionResult[];
  wallSeconds: number;
  /** Set when the watchdog (--max-seconds) ended the run. */
  stoppedBy?: string;
  exitCode: number | null;
}

/** A benchmark line `<case> <backend> key=number ...` as numbers; null for comments, warnings and the like. */
function parseFigure(line: string): { case: string; backend: string; values: Record<string, number> } | null {
  const [name, backend, ...pairs] = line.trim().split(/\s+/);
  const values = pairs.map((p) => p.split('=')).filter((kv) => kv.length === 2 && kv[1] !== '' && Number.isFinite(Number(kv[1])));
  if (name.startsWith('#') || values.length === 0 || values.length !== pairs.length) return null;
  return { case: name, backend, values: Object.fromEntries(values.map(([k, v]) => [k, Number(v)])) };
}

const seconds = (s: number): string => `${s.toFixed(1)} s`;

function adapterLines(a: AdapterReport): string[] {
  const yes = (f: string): string => `${f} ${a.keyFeatures[f] ? 'yes' : 'no'}`;
  return [
    `- adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ')}${a.software ? ' — **software adapter**' : ''}`,
    `- limits: ${Object.entries(a.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- features: ${Object.keys(a.keyFeatures).map(yes).join(', ')} (all: ${a.features.join(', ')})`,
  ];
}

function checkLines(c: GpuCheckResults['checks']): string[] {
  const failed = c.results.filter((r) => !r.ok);
  const slowest = [...c.results].sort((x, y) => y.ms - x.ms).slice(0, 3);
  const wall = c.wallSeconds || c.results.reduce((t, x) => t + x.ms, 0) / 1e3; // 0 while they run (a watchdog stop)
  return [
    `${c.results.length - failed.length} passed, ${failed.length} failed${c.notRun ? `, ${c.notRun} not run (budget spent)` : ''}, ${seconds(wall)} of a ${c.budgetSeconds} s budget; slowest: ${slowest.map((r) => `${r.name} [${r.suite}] ${r.ms.toFixed(0)} ms`).join('; ')}`,
    ...failed.map((r) => `- FAIL [${r.suite}] ${r.name}: ${r.error}`),
  ];
}

export function markdown(r: GpuCheckResults): string {
  const m = r.machine;
  const out = [
    `# maskscope gpu-check — ${r.date}`,
    '',
    `- command: \`gpu-check ${r.argv.join(' ')}\`; commit ${m.commit}; wall time ${seconds(r.wallSeconds)}; exit code ${r.exitCode ?? 'not yet'}${r.stoppedBy ? `; **stopped by ${r.stoppedBy}**` : ''}`,
    `- machine: ${m.host}, ${m.os}, ${m.cpus}, ${m.memoryGiB} GiB, Node ${m.node}; GPU: ${m.nvidia?.join('; ') ?? 'no nvidia-smi'}`,
    `- torch: ${m.torch ? `${m.torch.version} (${m.torch.python}), ${m.torch.cuda ? `CUDA on ${m.torch.device}` : 'no CUDA'}` : 'not used'}`,
    ...(r.adapter ? adapterLines(r.adapter) : ['- adapter: none']),
    ...(r.refused
      ? ['', `**Refused:** ${r.refused}`]
      : ['', '## Checks (WebGPU against the CPU reference; error checks on WebGPU)', '', ...checkLines(r.checks)]),
  ];
  for (const s of r.sections) {
    out.push('', `## ${s.name} — ${s.status}, ${seconds(s.wallSeconds)} of a ${s.budgetSeconds} s budget`, '');
    if (s.error) out.push(`Error: ${s.error}`, '');
    out.push('```', `$ npm run bench -- ${s.bench ?? s.name} ${s.args.join(' ')}`, ...s.lines, '```');
  }
  return `${out.join('\n')}\n`;
}

/** Writes gpu-check.json and gpu-check.md into `dir` (each replaced whole) and returns the Markdown. */
export function writeResults(dir: string, r: GpuCheckResults): string {
  mkdirSync(dir, { recursive: true });
  const json = { ...r, sections: r.sections.map((s) => ({ ...s, figures: s.lines.map(parseFigure).filter(Boolean) })) };
  const md = markdown(r);
  for (const [name, text] of [['gpu-check.json', `${JSON.stringify(json, null, 2)}\n`], ['gpu-check.md', md]]) {
    writeFileSync(join(dir, `${name}.tmp`), text);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  }
  return md;
}
