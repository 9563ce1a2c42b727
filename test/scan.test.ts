/**
 * SCAN generated from its grammar, checked against the official release in ../shared/data/scan/
 * (beside the checkout; the product itself never reads it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { scanDataCommand } from '../cli/data-command.js';
import {
  EOS,
  formatScan,
  PAD,
  parseScan,
  SCAN_ACTIONS,
  SCAN_MAX_ACTIONS,
  SCAN_MAX_COMMAND_WORDS,
  SCAN_SIZE,
  SCAN_WORDS,
  scanCommands,
  scanSplit,
  scanVocab,
  SOS,
  type ScanPair,
  type ScanPart,
  type ScanSplit,
} from '../data/scan.js';
import { readScanDir } from '../data/scan-files.js';

const OFFICIAL_DIR = fileURLToPath(new URL('../../shared/data/scan/', import.meta.url));

/** The text of an official file; fails clearly when the release is not beside the checkout. */
function officialText(name: string): string {
  const path = join(OFFICIAL_DIR, name);
  if (!existsSync(path)) {
    throw new Error(`official SCAN file ${path} is missing: these tests need the SCAN release (tasks*.txt.gz) in ../shared/data/scan/ beside the checkout`);
  }
  return gunzipSync(readFileSync(path)).toString('utf8');
}

/** The lines of some pairs, sorted: equal arrays mean equal multisets of lines. */
const sortedLines = (pairs: readonly ScanPair[]): string[] => formatScan(pairs).split('\n').filter(Boolean).sort();
const commandSet = (pairs: readonly ScanPair[]): Set<string> => new Set(pairs.map((p) => p.command));
const line = (p: ScanPair): string => formatScan([p]);

describe('SCAN grammar', () => {
  const all = scanCommands();

  it('generates 20,910 distinct commands over 13 words and 6 actions', () => {
    expect(all).toHaveLength(SCAN_SIZE);
    expect(commandSet(all).size).toBe(20_910);
    const words = new Set(all.flatMap((p) => p.command.split(' ')));
    const actions = new Set(all.flatMap((p) => p.actions.split(' ')));
    expect([...words].sort()).toEqual([...SCAN_WORDS].sort());
    expect([...actions].sort()).toEqual([...SCAN_ACTIONS].sort());
    expect(Math.max(...all.map((p) => p.command.split(' ').length))).toBe(SCAN_MAX_COMMAND_WORDS);
    expect(Math.max(...all.map((p) => p.actions.split(' ').length))).toBe(SCAN_MAX_ACTIONS);
  });

  it('is deterministic', () => {
    expect(scanCommands()).toEqual(all);
    expect(all[0]).toEqual({ command: 'walk', actions: 'I_WALK' });
  });

  it('equals the official tasks.txt line for line (as a set)', () => {
    const official = parseScan(officialText('tasks.txt.gz'));
    expect(official).toHaveLength(20_910);
    expect(sortedLines(all)).toEqual(sortedLines(official));
  });

  it('interprets hand-checked commands', () => {
    const actionsOf = new Map(all.map((p) => [p.command, p.actions]));
    const cases: [string, string][] = [
      ['jump', 'I_JUMP'],
      ['turn left', 'I_TURN_LEFT'],
      ['jump twice after walk left', 'I_TURN_LEFT I_WALK I_JUMP I_JUMP'],
      ['walk left and jump twice', 'I_TURN_LEFT I_WALK I_JUMP I_JUMP'],
      ['turn opposite left', 'I_TURN_LEFT I_TURN_LEFT'],
      ['turn around right', 'I_TURN_RIGHT I_TURN_RIGHT I_TURN_RIGHT I_TURN_RIGHT'],
      ['look opposite right', 'I_TURN_RIGHT I_TURN_RIGHT I_LOOK'],
      ['run around left', 'I_TURN_LEFT I_RUN I_TURN_LEFT I_RUN I_TURN_LEFT I_RUN I_TURN_LEFT I_RUN'],
      ['walk thrice', 'I_WALK I_WALK I_WALK'],
      ['turn left twice and look', 'I_TURN_LEFT I_TURN_LEFT I_LOOK'],
      ['run opposite left thrice after turn right', 'I_TURN_RIGHT ' + 'I_TURN_LEFT I_TURN_LEFT I_RUN '.repeat(3).trim()],
    ];
    for (const [command, actions] of cases) expect(actionsOf.get(command), command).toBe(actions);
    // Bare `turn` and a nested conjunction are not commands.
    expect(actionsOf.has('turn')).toBe(false);
    expect(actionsOf.has('walk and run and jump')).toBe(false);
  });
});

describe('SCAN splits', () => {
  const exact: [ScanSplit, ScanPart, number, number][] = [
    // split, part, lines, distinct lines
    ['length', 'train', 16_990, 16_990],
    ['length', 'test', 3_920, 3_920],
    ['addprim_jump', 'train', 14_670, 13_204],
    ['addprim_jump', 'test', 7_706, 7_706],
    ['addprim_turn_left', 'train', 21_890, 19_702],
    ['addprim_turn_left', 'test', 1_208, 1_208],
  ];

  it.each(exact)('%s %s equals the official file as a multiset of lines', async (split, part, lines, distinct) => {
    const ours = scanSplit(split, part);
    const official = await readScanDir(OFFICIAL_DIR, split, part).catch((e: Error) => {
      throw new Error(`${e.message} (the tests need the SCAN release in ../shared/data/scan/ beside the checkout)`);
    });
    expect(official).toHaveLength(lines);
    expect(ours).toHaveLength(lines);
    expect(commandSet(ours).size).toBe(distinct);
    expect(sortedLines(ours)).toEqual(sortedLines(official));
  });

  it('addprim train sets repeat the bare primitive as 10 % of the lines and hold no other use of it', () => {
    const jump = scanSplit('addprim_jump', 'train');
    expect(jump.filter((p) => p.command === 'jump')).toHaveLength(1_467);
    expect(jump.filter((p) => p.command.split(' ').includes('jump') && p.command !== 'jump')).toHaveLength(0);
    const left = scanSplit('addprim_turn_left', 'train');
    expect(left.filter((p) => p.command === 'turn left')).toHaveLength(2_189);
    expect(left.some((p) => p.command === 'turn opposite left')).toBe(true);
    expect(left.filter((p) => ` ${p.command} `.includes(' turn left ') && p.command !== 'turn left')).toHaveLength(0);
  });

  it('every non-simple split covers all commands, train and test disjoint', () => {
    for (const split of ['length', 'addprim_jump', 'addprim_turn_left'] as const) {
      const train = commandSet(scanSplit(split, 'train'));
      const test = commandSet(scanSplit(split, 'test'));
      expect([...test].filter((c) => train.has(c)), split).toEqual([]);
      expect(train.size + test.size, split).toBe(SCAN_SIZE);
    }
  });

  it('simple: a seeded 80/20 split with the official sizes, disjoint and covering all commands', () => {
    const train = scanSplit('simple', 'train');
    const test = scanSplit('simple', 'test');
    expect(train).toHaveLength(16_728);
    expect(test).toHaveLength(4_182);
    const trainSet = commandSet(train);
    expect(test.filter((p) => trainSet.has(p.command))).toEqual([]);
    expect(sortedLines([...train, ...test])).toEqual(sortedLines(scanCommands()));
    // The official random split has the same sizes and also partitions the 20,910 commands.
    const officialTrain = parseScan(officialText('tasks_train_simple.txt.gz'));
    const officialTest = parseScan(officialText('tasks_test_simple.txt.gz'));
    expect([officialTrain.length, officialTest.length]).toEqual([train.length, test.length]);
    expect(sortedLines([...officialTrain, ...officialTest])).toEqual(sortedLines(scanCommands()));
  });

  it('simple: the same seed gives the same split, another seed another one', () => {
    expect(scanSplit('simple', 'test', 7)).toEqual(scanSplit('simple', 'test', 7));
    expect(scanSplit('simple', 'test')).toEqual(scanSplit('simple', 'test', 0));
    const a = commandSet(scanSplit('simple', 'test', 1));
    const b = scanSplit('simple', 'test', 2);
    expect(b).toHaveLength(4_182);
    const shared = b.filter((p) => a.has(p.command)).length;
    expect(shared).toBeLessThan(4_182);
    // Two independent 20 % draws share about 20 % of their commands.
    expect(shared / 4_182).toBeGreaterThan(0.15);
    expect(shared / 4_182).toBeLessThan(0.25);
  });

  it('rejects unknown splits, parts and seeds', () => {
    expect(() => scanSplit('jump' as ScanSplit, 'train')).toThrow(/unknown SCAN split 'jump'/);
    expect(() => scanSplit('length', 'valid' as ScanPart)).toThrow(/unknown SCAN part 'valid'/);
    expect(() => scanSplit('simple', 'train', 1.5)).toThrow(/integer/);
  });
});

describe('SCAN text format', () => {
  it('formats and parses the official format, round trip', () => {
    const pairs = scanSplit('addprim_turn_left', 'test');
    expect(parseScan(formatScan(pairs))).toEqual(pairs);
    expect(formatScan([{ command: 'jump twice after walk left', actions: 'I_TURN_LEFT I_WALK I_JUMP I_JUMP' }])).toBe(
      'IN: jump twice after walk left OUT: I_TURN_LEFT I_WALK I_JUMP I_JUMP\n',
    );
    const text = officialText('tasks_test_length.txt.gz');
    expect(formatScan(parseScan(text))).toBe(text);
  });

  it('accepts CRLF and blank lines, rejects other lines with their number', () => {
    expect(parseScan('IN: walk OUT: I_WALK\r\n\r\nIN: run left OUT: I_TURN_LEFT I_RUN\r\n')).toEqual([
      { command: 'walk', actions: 'I_WALK' },
      { command: 'run left', actions: 'I_TURN_LEFT I_RUN' },
    ]);
    expect(() => parseScan('IN: walk OUT: I_WALK\nwalk I_WALK\n')).toThrow(/line 2/);
    expect(() => parseScan('IN: walk OUT: \n')).toThrow(/line 1/);
  });

  it('readScanDir reads plain .txt files and names the files it looked for', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scan-'));
    try {
      const pairs = scanSplit('length', 'test').slice(0, 5);
      await writeFile(join(dir, 'tasks_test_length.txt'), formatScan(pairs));
      expect(await readScanDir(dir, 'length', 'test')).toEqual(pairs);
      await expect(readScanDir(dir, 'length', 'train')).rejects.toThrow(/tasks_train_length\.txt and .*tasks_train_length\.txt\.gz/);
      await writeFile(join(dir, 'tasks_train_simple.txt'), 'not scan\n');
      await expect(readScanDir(dir, 'simple', 'train')).rejects.toThrow(/tasks_train_simple\.txt: SCAN line 1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('scanDataCommand prints the official text of a split and checks its arguments', async () => {
    const text = await scanDataCommand('addprim_jump', 'test');
    expect(sortedLines(parseScan(text))).toEqual(sortedLines(parseScan(officialText('tasks_test_addprim_jump.txt.gz'))));
    expect(await scanDataCommand('simple', 'train', 3)).toBe(formatScan(scanSplit('simple', 'train', 3)));
    await expect(scanDataCommand('jump', 'train')).rejects.toThrow(/choose one of: simple, length, addprim_jump, addprim_turn_left/);
    await expect(scanDataCommand('length', 'dev')).rejects.toThrow(/choose one of: train, test/);
  });
});

describe('SCAN vocabularies', () => {
  const vocab = scanVocab();

  it('has 13 input words and 6 actions after PAD = 0, SOS = 1, EOS = 2', () => {
    expect([PAD, SOS, EOS]).toEqual([0, 1, 2]);
    expect([vocab.pad, vocab.sos, vocab.eos]).toEqual([0, 1, 2]);
    expect(vocab.input.size).toBe(16);
    expect(vocab.output.size).toBe(9);
    expect(vocab.input.tokens.slice(0, 3)).toEqual(['<pad>', '<sos>', '<eos>']);
    expect(vocab.input.tokens.slice(3)).toEqual([...SCAN_WORDS]);
    expect(vocab.output.tokens.slice(3)).toEqual([...SCAN_ACTIONS]);
    expect(vocab.output.id('I_JUMP')).toBe(6);
    expect(() => vocab.input.id('swim')).toThrow(/unknown SCAN input token 'swim'/);
  });

  it('encodes and decodes every command and output', () => {
    const all = scanCommands();
    const src = all.map((p) => vocab.input.encode(p.command, { eos: true }));
    const tgt = all.map((p) => vocab.output.encode(p.actions, { sos: true, eos: true }));
    expect(Math.max(...src.map((s) => s.length))).toBe(vocab.maxInputLength + 1);
    expect(Math.max(...tgt.map((t) => t.length))).toBe(vocab.maxOutputLength + 2);
    expect(tgt.every((t) => t[0] === SOS && t[t.length - 1] === EOS)).toBe(true);
    expect(src.map((s) => vocab.input.decode(s))).toEqual(all.map((p) => p.command));
    expect(tgt.map((t) => vocab.output.decode(t))).toEqual(all.map((p) => p.actions));
    // Decoding stops at EOS and skips padding.
    expect(vocab.output.decode([SOS, 3, PAD, 4, EOS, 5, 5])).toBe('I_WALK I_LOOK');
    expect(() => vocab.output.decode([9])).toThrow(/out of range/);
  });
});
