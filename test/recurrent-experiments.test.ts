/**
 * The recurrent experiments on tiny configurations (CPU): addmul-lstm, double-add-lstm in both modes (with
 * the copy-weights control), scan-lstm's batches, loss, evaluation and report (accuracy[mask][split],
 * tokenRemoved), and tokenRemoved on hand-made masks.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { EOS, SOS, scanSplit, scanVocab } from '../data/scan.js';
import { readScanDir } from '../data/scan-files.js';
import { fileURLToPath } from 'node:url';
import { addmulLstm, doubleAddLstm } from '../experiments/arith-lstm.js';
import { buildReport } from '../experiments/report.js';
import { runSeed } from '../experiments/runner.js';
import { scanLstm, type ScanConfig } from '../experiments/scan-lstm.js';
import type { AnyExperiment, ArithConfig } from '../experiments/types.js';
import { MaskSet, maskTargets } from '../masking/mask-set.js';
import { disposeBatch } from '../masking/train-stage.js';

const tmp = (name: string) => mkdtemp(join(tmpdir(), `ms-${name}-`));

const tinyArith = (def: AnyExperiment, mode?: string): ArithConfig => ({
  ...def.config('small'), hidden: [12, 12], baseSteps: 20, maskSteps: 6, validSize: 100, evalBatch: 100, batch: 16, ...(mode ? { mode } : {}),
});

const tinyScan = (): ScanConfig => ({ ...scanLstm.config('small'), hidden: [8, 8], batch: 8, baseSteps: 3, maskSteps: 2, evalLimit: 24 });

async function report(def: AnyExperiment, cfg: object, control?: string) {
  const result = await runSeed({ def, cfg: cfg as ArithConfig, seed: 2, out: await tmp(def.name), control });
  return buildReport({ def, size: 'small', cfg: cfg as ArithConfig, backend: 'cpu', device: 'cpu', seconds: 0 }, [result]);
}

beforeAll(async () => {
  await ms.setBackend('cpu');
});

describe('arithmetic LSTMs', () => {
  it('addmul-lstm: LSTM weights and the output layer are masked, biases not', async () => {
    const r = await report(addmulLstm, tinyArith(addmulLstm));
    expect(r.layers.map((l) => l.name)).toEqual(['lstm.weight_ih_l0', 'lstm.weight_hh_l0', 'lstm.weight_ih_l1', 'lstm.weight_hh_l1', 'out.weight']);
    expect(r.layers.map((l) => l.weights)).toEqual([48 * 42, 48 * 12, 48 * 12, 48 * 12, 20 * 12]);
    expect(Object.keys(r.accuracy)).toEqual(['none', 'full', 'add', 'not_add', 'mul', 'not_mul']);
  });

  it('double-add-lstm runs in both modes; the control needs only_one_io', async () => {
    for (const mode of ['together', 'only_one_io']) {
      const r = await report(doubleAddLstm, tinyArith(doubleAddLstm, mode));
      expect(Object.keys(r.accuracy.full)).toEqual(['pair1', 'pair2']);
      expect(r.config.mode).toBe(mode);
    }
    await expect(report(doubleAddLstm, tinyArith(doubleAddLstm, 'together'), 'copy-weights')).rejects.toThrow(/needs --mode only_one_io/);
    expect(() => doubleAddLstm.model(tinyArith(doubleAddLstm, 'sideways'))).toThrow(/unknown mode 'sideways'/);
  });

  it('double-add-lstm feeds 3 steps per pair, as the authors: together 6 steps, only_one_io 3 per pair', () => {
    expect(doubleAddLstm.model(tinyArith(doubleAddLstm, 'together')).opts).toMatchObject({ mode: 'repeat', steps: 6 });
    expect(doubleAddLstm.model(tinyArith(doubleAddLstm, 'only_one_io')).opts).toMatchObject({ mode: 'only_one_io', steps: 3, tuples: 2 });
  });

  it('only_one_io with copy-weights: pair 1’s input columns and output rows are pair 2’s', async () => {
    const model = doubleAddLstm.model(tinyArith(doubleAddLstm, 'only_one_io'));
    await doubleAddLstm.afterBase!(model, 'copy-weights');
    const w = await model.inputWeight.toArray();
    for (let r = 0; r < 4 * 12; r++) expect(Array.from(w.slice(r * 80, r * 80 + 40))).toEqual(Array.from(w.slice(r * 80 + 40, r * 80 + 80)));
    const out = await model.outputLayer.weight.toArray();
    expect(Array.from(out.slice(0, 20 * 12))).toEqual(Array.from(out.slice(20 * 12, 40 * 12)));
  });
});

describe('scan-lstm', () => {
  it('batches: commands end in EOS, decoder inputs start at SOS, targets end in EOS then -1; both coin sides occur', async () => {
    const cfg = { ...tinyScan(), teacherForcing: 0.5 };
    const coins = new Set<boolean>();
    for (let step = 0; step < 12; step++) {
      const b = scanLstm.batch(cfg, 1, 'jump', step);
      coins.add(b.teacherForcing);
      const [x, y, din] = await Promise.all([b.x.toArray(), b.y.toArray(), b.aux![0].toArray()]);
      const width = b.y.shape[1];
      for (let r = 0; r < cfg.batch; r++) {
        expect(x[r * b.x.shape[1] + b.srcLengths[r] - 1]).toBe(EOS);
        expect(din[r * width]).toBe(SOS);
        const row = Array.from(y.slice(r * width, (r + 1) * width));
        const len = row.indexOf(-1) === -1 ? width : row.indexOf(-1);
        expect(row[len - 1]).toBe(EOS);
        expect(row.slice(len).every((v) => v === -1)).toBe(true);
        expect(Array.from(din.slice(r * width + 1, r * width + len))).toEqual(row.slice(0, len - 1));
      }
      expect(b.tokens).toBe(Array.from(y).filter((v) => v >= 0).length);
      disposeBatch(b);
    }
    expect(coins).toEqual(new Set([true, false]));
  });

  it('the jump stage never sees a jump command other than the bare one', async () => {
    const cfg = { ...tinyScan(), batch: 64 };
    const ids = await scanLstm.batch(cfg, 1, 'jump', 0).x.toArray();
    const jump = scanVocab().input.id('jump');
    const rows = Array.from({ length: 64 }, (_, r) => Array.from(ids.slice(r * (ids.length / 64), (r + 1) * (ids.length / 64))));
    const withJump = rows.filter((row) => row.includes(jump));
    expect(withJump.length).toBeGreaterThan(0); // the bare command is 10 % of the train lines
    for (const row of withJump) expect(row.filter((t) => t > EOS)).toEqual([jump]);
  });

  it('a tiny run reports accuracy[mask][split] and tokenRemoved[token]', async () => {
    const r = await report(scanLstm, tinyScan());
    expect(Object.keys(r.accuracy)).toEqual(['none', 'full', 'jump', 'length', 'turn_left']);
    for (const row of Object.values(r.accuracy)) expect(Object.keys(row)).toEqual(['simple', 'length', 'addprim_jump', 'addprim_turn_left']);
    expect(Object.keys(r.tokenRemoved!)).toEqual(['EOS', 'I_WALK', 'I_LOOK', 'I_RUN', 'I_JUMP', 'I_TURN_LEFT', 'I_TURN_RIGHT']);
    for (const v of Object.values(r.tokenRemoved!)) expect(v).toBeGreaterThanOrEqual(0);
    expect(r.halfMask).toBeUndefined();
    expect(r.layers.map((l) => l.name)).not.toContain('encoder.embedding.weight');
    expect(r.layers.map((l) => l.name)).toContain('decoder.out.weight');
  });

  it('--scan-dir: batches come from the files of the folder (here the official release)', async () => {
    const cfg = { ...tinyScan(), batch: 32, dataDir: fileURLToPath(new URL('../../shared/data/scan/', import.meta.url)) };
    await scanLstm.prepare!(cfg);
    const official = new Set((await readScanDir(cfg.dataDir, 'simple', 'train')).map((p) => p.command));
    const generated = new Set(scanSplit('simple', 'train').map((p) => p.command));
    const b = scanLstm.batch(cfg, 1, 'full', 0);
    const ids = await b.x.toArray();
    const width = b.x.shape[1];
    const commands = Array.from({ length: 32 }, (_, r) => scanVocab().input.decode(Array.from(ids.slice(r * width, (r + 1) * width))));
    expect(commands.every((c) => official.has(c))).toBe(true);
    expect(commands.some((c) => !generated.has(c))).toBe(true); // the official simple split is another draw than ours
    await expect(scanLstm.prepare!({ ...cfg, dataDir: '/nonexistent' })).rejects.toThrow(/no SCAN file for split 'simple', part 'train' in \/nonexistent/);
  });

  it('tokenRemoved = |full ∧ ¬jump| / |full| per output row, in percent', async () => {
    const model = scanLstm.model(tinyScan());
    const targets = maskTargets(model, { biases: false });
    const out = targets.findIndex((t) => t.name === 'decoder.out.weight');
    const [rows, cols] = targets[out].param.shape; // 9 tokens × 8
    const logits = (pick: (r: number, c: number) => boolean) =>
      targets.map((t, i) => (i === out ? ms.tensor(Float32Array.from({ length: rows * cols }, (_, k) => (pick(Math.floor(k / cols), k % cols) ? 1 : -1)), t.param.shape) : ms.full(t.param.shape, 1)));
    // Full keeps columns 0..5 of every row; jump keeps columns 0..r-3 of row r (row 2 = EOS keeps none).
    const full = new MaskSet(targets, logits((_r, c) => c < 6));
    const jump = new MaskSet(targets, logits((r, c) => c < r - 2));
    const { tokenRemoved } = await scanLstm.extra!({ full, jump }, tinyScan());
    const expected = (r: number) => (100 * (6 - Math.min(6, Math.max(0, r - 2)))) / 6;
    expect(tokenRemoved).toEqual({ EOS: expected(2), I_WALK: expected(3), I_LOOK: expected(4), I_RUN: expected(5), I_JUMP: expected(6), I_TURN_LEFT: expected(7), I_TURN_RIGHT: expected(8) });
  });
});
