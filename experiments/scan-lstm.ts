/**
 * scan-lstm (docs/experiments.md#scan): systematic generalisation. An encoder–decoder LSTM learns SCAN's simple split;
 * then masks are trained on the simple (stage 0, "full"), add-jump, length and add-turn-left train sets,
 * and every mask is evaluated on every split's test set. A split mask keeps only what its train set needs,
 * so it fails where its split demands generalisation; and the decoder's JUMP output row loses the largest
 * share of the weights the full mask keeps.
 *
 * As the authors' code: EOS is appended to the command; the decoder starts at SOS; teacher forcing is one
 * coin flip per batch (kept during mask training, with dropout off); the loss is the cross-entropy of
 * every output token and the final EOS, summed and divided by the batch size. Evaluation is exact match
 * of the greedy decoding, tokens and length: a row is decoded for its reference length + 1 steps, enough
 * to see whether EOS comes exactly after the reference (test rows are grouped by length to save steps).
 */
import { tensor } from '../engine/create.js';
import { crossEntropy } from '../engine/ops.js';
import { noGrad, tidy } from '../engine/state.js';
import type { Tensor } from '../engine/tensor.js';
import { drawIndex } from '../data/arithmetic.js';
import { EOS, PAD, SCAN_PARTS, SCAN_SPLITS, SOS, scanSplit, scanVocab, type ScanPair, type ScanPart, type ScanSplit } from '../data/scan.js';
import type { MaskSet } from '../masking/mask-set.js';
import type { Batch } from '../masking/train-stage.js';
import { Seq2SeqLstm } from '../models/seq2seq-lstm.js';
import type { BaseConfig, EvalResult, ExperimentDef, Size } from './types.js';
import type { Masked } from '../masking/masked-run.js';

export interface ScanConfig extends BaseConfig {
  embedding: number;
  dropout: number;
  /** Probability of teacher forcing per batch. */
  teacherForcing: number;
  /** Seed of the simple split's random 80/20 draw. */
  splitSeed: number;
  /** A folder with SCAN's files (tasks_<part>_<split>.txt[.gz]) to use instead of the generated splits. */
  dataDir?: string;
  /** Evaluate on at most this many rows of each test set, evenly spread (all when absent: quick looks, tests). */
  evalLimit?: number;
}

export interface ScanBatch extends Batch {
  /** x: commands + EOS [B, Tin] (PAD after); y: actions + EOS [B, T] (-1 after); aux[0]: decoder inputs. */
  srcLengths: Int32Array;
  /** Scored tokens per row of y (actions and EOS). */
  targetLengths: Int32Array;
  teacherForcing: boolean;
  /** Scored tokens in y (actions and EOS). */
  tokens: number;
}

/**
 * Paper: as published. Small (2 CPU cores, under 20 minutes): 2 × 64, batch 64, and — so that the net
 * learns SCAN within 3,000 steps — base lr 3e-3 falling to 0 over the last half of the steps, dropout 0.1
 * (0.5 held a net this narrow at ~90 %) and teacher forcing on every batch; masks for 800 steps at mask lr
 * 5e-2 and β 2e-4 instead of 25,000 at 1e-2 and 3e-5. The trials behind these choices are in
 * bench/RESULTS.md (scan-lstm small).
 */
export function scanConfig(size: Size): ScanConfig {
  const common = { baseLr: 1e-3, baseClip: 5, maskLr: 1e-2, beta: 3e-5, samples: 4, maskClip: 5, embedding: 16, dropout: 0.5, teacherForcing: 0.5, splitSeed: 0 };
  return size === 'paper'
    ? { ...common, hidden: [200, 200], batch: 256, baseSteps: 25_000, maskSteps: 25_000, evalBatch: 1024 }
    : {
      ...common, hidden: [64, 64], batch: 64, baseLr: 3e-3, baseLrDecay: 0.5, dropout: 0.1, teacherForcing: 1, baseSteps: 3_000,
      maskSteps: 800, maskLr: 5e-2, beta: 2e-4, evalBatch: 1024,
    };
}

/** Mask stage → the split whose train set it learns. */
const STAGE_SPLIT: Record<string, ScanSplit> = { full: 'simple', jump: 'addprim_jump', length: 'length', turn_left: 'addprim_turn_left' };
const PHASES = ['base', ...Object.keys(STAGE_SPLIT)];
const vocab = scanVocab();

const sets = new Map<string, ScanPair[]>();
const setKey = (cfg: ScanConfig, split: ScanSplit, part: ScanPart): string => `${cfg.dataDir ?? `seed ${cfg.splitSeed}`}/${split}/${part}`;

/** A split's part: generated (cached), or read from cfg.dataDir by loadScanFiles beforehand. */
function splitPart(cfg: ScanConfig, split: ScanSplit, part: ScanPart): ScanPair[] {
  const key = setKey(cfg, split, part);
  let pairs = sets.get(key);
  if (!pairs) {
    if (cfg.dataDir) throw new Error(`scan-lstm: ${cfg.dataDir} was not loaded (call loadScanFiles first)`);
    sets.set(key, (pairs = scanSplit(split, part, cfg.splitSeed)));
  }
  return pairs;
}

/** Reads every split's train and test file from cfg.dataDir (Node only; the import stays out of browser bundles). */
async function loadScanFiles(cfg: ScanConfig): Promise<void> {
  if (!cfg.dataDir) return;
  const { readScanDir } = await import('../data/scan-files.js');
  for (const split of SCAN_SPLITS) {
    for (const part of SCAN_PARTS) sets.set(setKey(cfg, split, part), await readScanDir(cfg.dataDir, split, part));
  }
}

/** Padded id rows: each row's ids then `pad`; also the lengths. */
function padRows(rows: number[][], pad: number): { ids: Int32Array; lengths: Int32Array; width: number } {
  const width = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * width).fill(pad);
  rows.forEach((r, i) => ids.set(r, i * width));
  return { ids, lengths: Int32Array.from(rows, (r) => r.length), width };
}

function encodeSources(pairs: readonly ScanPair[]): { src: Tensor; lengths: Int32Array } {
  const { ids, lengths, width } = padRows(pairs.map((p) => vocab.input.encode(p.command, { eos: true })), PAD);
  return { src: tensor(ids, [pairs.length, width]), lengths };
}

/**
 * The batch's rows reordered so that each of the K mask-sample slices (K = 1 for base training) holds its
 * rows longest output first: the decoder's steps then skip rows that have finished (engine/ops-lstm.ts), as
 * PyTorch's packed sequences do. Rows are dealt to the slices in turn by length rank, so the slices are
 * alike; which rows meet which sample does not matter, the samples being independent draws of one mask.
 */
function longestFirst(rows: ScanPair[], samples: number): ScanPair[] {
  const k = rows.length % samples === 0 ? samples : 1;
  const per = rows.length / k;
  const ranked = rows.map((pair, i) => ({ pair, i, length: pair.actions.split(' ').length })).sort((a, b) => b.length - a.length || a.i - b.i);
  const out = new Array<ScanPair>(rows.length);
  ranked.forEach(({ pair }, q) => (out[(q % k) * per + Math.floor(q / k)] = pair));
  return out;
}

function trainBatch(cfg: ScanConfig, seed: number, phase: string, step: number): ScanBatch {
  const pairs = splitPart(cfg, phase === 'base' ? 'simple' : STAGE_SPLIT[phase], 'train');
  const stream = PHASES.indexOf(phase);
  const drawn = Array.from({ length: cfg.batch }, (_, r) => pairs[drawIndex(seed, stream, step, r, pairs.length)]);
  const rows = longestFirst(drawn, phase === 'base' ? 1 : cfg.samples);
  const { src, lengths } = encodeSources(rows);
  const targets = rows.map((p) => vocab.output.encode(p.actions, { eos: true }));
  const y = padRows(targets, -1);
  const decoderIn = padRows(targets.map((t) => [SOS, ...t.slice(0, -1)]), PAD);
  // The coin flip draws from its own stream (after the phases' batch streams).
  const teacherForcing = drawIndex(seed, PHASES.length + stream, step, 0, 1_000_000) < cfg.teacherForcing * 1_000_000;
  return {
    x: src,
    y: tensor(y.ids, [cfg.batch, y.width]),
    aux: [tensor(decoderIn.ids, [cfg.batch, y.width])],
    srcLengths: lengths,
    targetLengths: y.lengths,
    teacherForcing,
    tokens: y.lengths.reduce((s, l) => s + l, 0),
  };
}

function loss(model: Seq2SeqLstm, b: ScanBatch, cfg: ScanConfig): Tensor {
  const state = model.encode(b.x, b.srcLengths);
  const steps = b.y.shape[1];
  const logits = b.teacherForcing ? model.decodeForced(state, b.aux![0], b.targetLengths) : model.decodeGreedy(state, steps).logits;
  // Σ token losses / B, as the authors' code (crossEntropy is the mean over the scored tokens).
  return crossEntropy(logits, b.y).mul(b.tokens / cfg.batch);
}

/** Greedy decoding of `steps` tokens per row of `src` ([B, steps] i32), by a model under the caller's masks. */
export type GreedyDecode<M> = (model: M, src: Tensor, lengths: Int32Array, steps: number) => Tensor;

/** Exact-match accuracy of greedy decoding on a split's test set (rows grouped by length). */
export const evaluateScan = <M>(decode: GreedyDecode<M>) => async (run: Masked<M>, cfg: ScanConfig, _seed: number, evalSet: string): Promise<EvalResult> => {
  const all = splitPart(cfg, evalSet as ScanSplit, 'test');
  const stride = cfg.evalLimit ? Math.max(1, Math.floor(all.length / cfg.evalLimit)) : 1;
  const pairs = all.filter((_, i) => i % stride === 0).slice(0, cfg.evalLimit ?? all.length);
  const refs = pairs.map((p) => vocab.output.encode(p.actions));
  const order = pairs.map((_, i) => i).sort((i, j) => refs[i].length - refs[j].length);
  let correct = 0;
  for (let start = 0; start < order.length; start += cfg.evalBatch) {
    const chunk = order.slice(start, start + cfg.evalBatch);
    const steps = refs[chunk[chunk.length - 1]].length + 1;
    const { src, lengths } = encodeSources(chunk.map((i) => pairs[i]));
    const tokens = tidy(() => noGrad(() => run((m) => decode(m, src, lengths, steps))));
    src.dispose();
    const out = await tokens.toArray();
    tokens.dispose();
    chunk.forEach((i, r) => {
      const ref = refs[i];
      const row = out.subarray(r * steps, (r + 1) * steps);
      if (row[ref.length] === EOS && ref.every((t, k) => row[k] === t)) correct++;
    });
  }
  return { accuracy: correct / pairs.length };
};

/**
 * Per output token: the percent of the decoder output-row weights kept by the full mask that the jump mask
 * removes, |full ∧ ¬jump| / |full| (the authors' plot_scan_output_token_removed_percentage.py).
 */
export const tokenRemovedIn = (outputLayer: string) => async (stages: Record<string, MaskSet>): Promise<{ tokenRemoved: Record<string, number> }> => {
  const index = stages.full.targets.findIndex((t) => t.name === outputLayer);
  const [full, jump] = await Promise.all([stages.full.kept(), stages.jump.kept()]);
  const [rows, cols] = stages.full.targets[index].param.shape;
  const result: Record<string, number> = {};
  for (let r = 0; r < rows; r++) {
    const token = vocab.output.tokens[r];
    if (r === PAD || r === SOS) continue; // never a target
    let kept = 0;
    let removed = 0;
    for (let c = r * cols; c < (r + 1) * cols; c++) {
      kept += full[index][c];
      removed += full[index][c] & (1 - jump[index][c]);
    }
    result[token === '<eos>' ? 'EOS' : token] = kept === 0 ? 0 : (100 * removed) / kept;
  }
  return { tokenRemoved: result };
};

/** What the SCAN experiments share whatever their model: stages, eval sets, masks evaluated, data. */
export const SCAN_PROTOCOL = {
  stages: Object.keys(STAGE_SPLIT),
  evalSets: ['simple', 'length', 'addprim_jump', 'addprim_turn_left'],
  compared: ['full', 'jump'] as const,
  batch: trainBatch,
  regRows: (cfg: ScanConfig) => cfg.batch,
  evalMasks: (st: Record<string, MaskSet>) => ({ none: null, full: st.full.keep(), jump: st.jump.keep(), length: st.length.keep(), turn_left: st.turn_left.keep() }),
  halfMask: false,
  prepare: loadScanFiles,
};

export const scanLstm: ExperimentDef<ScanConfig, Seq2SeqLstm, ScanBatch> = {
  name: 'scan-lstm',
  aliases: ['scan'],
  description: 'SCAN encoder–decoder LSTM: masks for the simple, jump, length and turn-left splits',
  config: scanConfig,
  model: (cfg) => new Seq2SeqLstm({
    inputVocab: vocab.input.size, outputVocab: vocab.output.size, embedding: cfg.embedding, hidden: cfg.hidden, dropout: cfg.dropout, sos: SOS,
  }),
  ...SCAN_PROTOCOL,
  loss,
  evaluate: evaluateScan<Seq2SeqLstm>((m, src, lengths, steps) => m.decodeGreedy(m.encode(src, lengths), steps).tokens),
  extra: tokenRemovedIn('decoder.out.weight'),
};
