/**
 * Our side of the addmul base-training comparison with PyTorch (bench/compare/base-probe.py); not part of npm test.
 *
 *   npx tsx bench/compare/addmul-base.ts batches SEED FILE   the (a, b, op) bytes of every row maskscope draws in
 *                                                            base training for SEED (15,000 steps × 128 rows)
 *   npx tsx bench/compare/addmul-base.ts init SEED FILE      our initial weights for SEED, raw f32, layer by layer
 *                                                            (weight, then bias): base-probe.py --init reads them
 *   npx tsx bench/compare/addmul-base.ts train SEED [INIT] [STEPS]
 *                                                            our base training on SEED's batches, from our init or
 *                                                            from INIT (same format); prints the mean loss over each
 *                                                            fifth of the steps and the + / × accuracy (%), as JSON
 *
 * With the same INIT and batches, the first losses equal PyTorch's to 6 digits (a lock-step check of the engine).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { addmulConfig, addmulMlp } from '../../experiments/addmul.js';
import { trainBaseSteps } from '../../experiments/train-base.js';
import { phaseSeed } from '../../experiments/phases.js';
import { addmulSample, drawIndex } from '../../data/arithmetic.js';
import { manualSeed } from '../../engine/state.js';
import { tensor } from '../../engine/create.js';
import type { RowModel } from '../../experiments/types.js';

const cfg = addmulConfig('small');

function initialModel(seed: number): RowModel {
  manualSeed(phaseSeed(seed, 'init'));
  return addmulMlp.model(cfg);
}

function writeBatches(seed: number, file: string): void {
  const out = new Uint8Array(cfg.baseSteps * cfg.batch * 3);
  for (let step = 0; step < cfg.baseSteps; step++) {
    for (let r = 0; r < cfg.batch; r++) {
      // The base phase is stream 0 of drawIndex, as in the experiment's own batches.
      const s = addmulSample(seed, 'train', drawIndex(seed, 0, step, r, cfg.trainSize));
      out.set([s.a, s.b, s.op === 'add' ? 0 : 1], (step * cfg.batch + r) * 3);
    }
  }
  writeFileSync(file, out);
}

async function writeInit(seed: number, file: string): Promise<void> {
  const parts = await Promise.all(initialModel(seed).namedParameters().map(([, p]) => p.toArray()));
  writeFileSync(file, Buffer.concat(parts.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))));
}

async function train(seed: number, initFile: string | undefined, steps: number): Promise<void> {
  const model = initialModel(seed);
  if (initFile) {
    const flat = new Float32Array(new Uint8Array(readFileSync(initFile)).buffer);
    let at = 0;
    for (const [name, p] of model.namedParameters()) {
      if (at + p.size > flat.length) throw new Error(`${initFile}: too short for ${name}`);
      p.assign(tensor(flat.slice(at, at + p.size), p.shape));
      at += p.size;
    }
    if (at !== flat.length) throw new Error(`${initFile}: ${flat.length} floats, the network has ${at}`);
  }
  // Seeded as the runner's base phase (experiments/phases.ts), and trained by the runner's own loop.
  manualSeed(phaseSeed(seed, 'base'));
  const losses: number[] = [];
  await trainBaseSteps(addmulMlp, model, { ...cfg, baseSteps: steps }, seed, async (_, loss) => {
    losses.push(await loss.item());
    loss.dispose();
  });
  const fifth = steps / 5;
  const meanLoss = [0, 1, 2, 3, 4].map((i) => +(losses.slice(i * fifth, (i + 1) * fifth).reduce((a, b) => a + b, 0) / fifth).toFixed(4));
  const accuracy: Record<string, number> = {};
  for (const op of ['add', 'mul']) {
    accuracy[op] = +(100 * (await addmulMlp.evaluate((fn) => fn(model), cfg, seed, op)).accuracy).toFixed(2);
  }
  console.log(JSON.stringify({ engine: 'maskscope', seed, init: initFile ?? 'ours', steps, accuracy, meanLoss }));
}

const [command, seedArg, arg3, arg4] = process.argv.slice(2);
const seed = Number(seedArg);
if (!Number.isInteger(seed)) throw new Error('usage: addmul-base.ts batches|init|train SEED ...');
if (command === 'batches' && arg3) writeBatches(seed, arg3);
else if (command === 'init' && arg3) await writeInit(seed, arg3);
else if (command === 'train') await train(seed, arg3 || undefined, Number(arg4 ?? cfg.baseSteps));
else throw new Error(`unknown command ${command} (batches SEED FILE | init SEED FILE | train SEED [INIT] [STEPS])`);
