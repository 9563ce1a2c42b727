/**
 * Stopping a run: SIGINT (Ctrl-C) or SIGTERM ends it between steps with nothing half written, the lock
 * released, the terminal's cursor shown again and the command to resume printed; the resumed run gives
 * the report of an uninterrupted one. And SIGINT to `npm run demo` stops the server.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, filesUnder, readJson, start, tempDir, timeless, tinyRun, TINY_CONFIG, until } from './cli-run.js';

/** Base training and mask stages of a few seconds: long enough to be stopped in the first mask stage. */
const args = (out: string): string[] => tinyRun(out, '--base-steps', '500', '--steps', '1000');

describe('SIGINT and SIGTERM', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s: exit %i, the command to resume, nothing half written; the resumed run ends with an uninterrupted run\'s report', async (signal, code) => {
    const out = await tempDir(`ms-${signal}-`);
    const run = start(args(out));
    await until(() => run.output().stderr.includes('base: done'), 60_000, 'the base network to be trained');
    run.child.kill(signal);
    const r = await run.done;
    expect(r.status, r.stderr).toBe(code);
    const lines = r.stderr.trim().split('\n').slice(-2);
    expect(lines[0]).toBe(`maskscope: stopped (${signal}); the phases that finished are saved in ${out}`);
    const typed = args(out).map((a) => (a === TINY_CONFIG ? `'${a}'` : a)).join(' ');
    expect(lines[1]).toBe(`maskscope: to resume, run the same command again: maskscope ${typed}`);
    const files = await filesUnder(out);
    expect(files.filter((f) => f.includes('.tmp-') || f === 'run.lock' || f.includes('report'))).toEqual([]);
    if (signal === 'SIGTERM') return;

    expect(files).toContain('seed-1/base.json');
    expect(files.filter((f) => f.startsWith('seed-1/mask-full'))).toEqual([]);

    const resumed = await start(args(out)).done;
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('base: already done, resumed from its checkpoint');
    const whole = await tempDir('ms-whole-');
    expect((await start(args(whole)).done).status).toBe(0);
    expect(timeless(await readJson(join(out, 'report.json')))).toEqual(timeless(await readJson(join(whole, 'report.json'))));
  }, 180_000);

  it.skipIf(spawnSync('script', ['--version']).status !== 0)('on a terminal, Ctrl-C shows the hidden cursor again', async () => {
    const out = await tempDir('ms-tty-');
    const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, ...CLI, ...tinyRun(out, '--base-steps', '200000')].map(quote).join(' ');
    // script(1) runs the command on a pseudo-terminal: stderr is a TTY, so progress bars (and a hidden cursor) appear.
    const term = spawn('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    term.stdout.on('data', (b: Buffer) => (screen += b.toString()));
    const ended = new Promise<number | null>((ok) => term.on('close', (c) => ok(c)));
    try {
      await until(() => screen.includes('\x1b[?25l') && existsSync(join(out, 'run.lock')), 60_000, 'a progress bar');
      const { pid } = JSON.parse(readFileSync(join(out, 'run.lock'), 'utf8')) as { pid: number };
      process.kill(pid, 'SIGINT');
      expect(await ended).toBe(130);
    } finally {
      term.kill('SIGKILL');
    }
    expect(screen.lastIndexOf('\x1b[?25h')).toBeGreaterThan(screen.lastIndexOf('\x1b[?25l'));
    expect(screen).toContain('to resume, run the same command again');
  }, 120_000);
});

describe('npm run demo', () => {
  it('stops when npm gets SIGINT', async () => {
    const npm = spawn('npm', ['run', 'demo', '--', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    npm.stdout.on('data', (b: Buffer) => (out += b.toString()));
    npm.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const ended = new Promise<void>((ok) => npm.on('close', () => ok()));
    try {
      await until(() => /maskscope web demo: http:\/\/127\.0\.0\.1:\d+\//.test(out), 60_000, 'the demo server');
      const url = /maskscope web demo: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)![1];
      expect((await fetch(url)).status).toBe(200);
      process.kill(npm.pid!, 'SIGINT');
      await Promise.race([ended, new Promise((_, fail) => setTimeout(() => fail(new Error(`still running 20 s after SIGINT: ${out}`)), 20_000))]);
      await expect(fetch(url)).rejects.toThrow();
    } finally {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 120_000);
});
