import { setBackend } from './engine/setup.js';
import { manualSeed } from './engine/state.js';
import { scanLstm } from './experiments/scan-lstm.js';
import { BaseTrainer } from './experiments/train-base.js';
import { disposeBatch } from './masking/train-stage.js';
await setBackend('cpu');
const [lr, tf, hidden, batch, steps] = process.argv.slice(2).map(Number);
const cfg = { ...scanLstm.config('small'), baseLr: lr, teacherForcing: tf, hidden: [hidden, hidden], batch, evalLimit: 300 };
manualSeed(1);
const m = scanLstm.model(cfg);
const tr = new BaseTrainer(scanLstm, m, cfg);
const t0 = performance.now();
for (let s = 0; s < steps; s++) {
  const b = scanLstm.batch(cfg, 1, 'base', s);
  const l = tr.step(b);
  disposeBatch(b);
  if (s % 250 === 249) {
    const loss = await l.item();
    m.eval();
    const acc = (await scanLstm.evaluate((fn) => fn(m), cfg, 1, 'simple')).accuracy;
    m.train();
    console.log(`lr ${lr} tf ${tf} H ${hidden} B ${batch} step ${s + 1} loss ${loss.toFixed(2)} simple ${(100 * acc).toFixed(1)}% ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  l.dispose();
}
