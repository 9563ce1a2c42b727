/**
 * Our addmul mask stages on a run's base network, as maskscope trains them or with the authors' clipping
 * (not part of npm test): in their code the frozen weights keep requires_grad, so every mask step adds the
 * weights' gradient to what is already there (never zeroed, across stages), and clip_grad_norm_ over all
 * parameters counts that sum and scales it in place with the mask gradients.
 *
 *   npx tsx bench/compare/addmul-authors-clip.ts RUN/seed-S S [quirk]
 *
 * Prints the accuracy table, IoU per layer and total shared; stderr shows the clip's total norm (quirk) or
 * coefficient every 500 steps. Seeds, batches and mask noise are maskscope's for seed S.
 */
import { loadCheckpoint } from '../../engine/io/checkpoint.js';
import { Adam } from '../../engine/optim/adam.js';
import { clipCoefficient, clipGradNorm } from '../../engine/optim/clip.js';
import { manualSeed, tidy } from '../../engine/state.js';
import { addmulConfig, addmulMlp } from '../../experiments/addmul.js';
import { analyse } from '../../experiments/analyse.js';
import { freezeForMasks, stageTargets } from '../../experiments/phase-setup.js';
import { phaseSeed } from '../../experiments/phases.js';
import { MaskSet } from '../../masking/mask-set.js';
import { disposeBatch } from '../../masking/train-stage.js';
import { withParams } from '../../models/param-override.js';
const [dir, seedArg, mode] = process.argv.slice(2);
const seed = Number(seedArg), quirk = mode === 'quirk';
const def = addmulMlp, cfg = addmulConfig('small');
manualSeed(phaseSeed(seed, 'init'));
const model = def.model(cfg);
const targets = stageTargets(def, model);
const base = (await loadCheckpoint(dir, 'base'))!;
for (const [n, p] of model.namedParameters()) p.assign(base.tensors[n]);
freezeForMasks(model);
const params = targets.map((t) => t.param);
if (quirk) params.forEach((p) => p.requireGrad(true));
const stages: Record<string, MaskSet> = {};
for (const stage of def.stages) {
  manualSeed(phaseSeed(seed, `mask-${stage}`));
  const set = new MaskSet(targets);
  const opt = new Adam(set.logits, { lr: cfg.maskLr });
    for (let step = 0; step < cfg.maskSteps; step++) {
    const batch = def.batch(cfg, seed, stage, step);
    const watched = tidy(() => {
      opt.zeroGrad();
      const samples = quirk ? set.sampleTrainable(cfg.samples) : set.sample(cfg.samples);
      const task = withParams(samples, () => def.loss(model, batch, cfg));
      const logitSum = set.logits.map((l) => l.sum()).reduce((a, b) => a.add(b));
      task.add(logitSum.mul(cfg.beta / def.regRows(cfg))).backward();
      if (!quirk) {
        const { coef } = clipCoefficient(set.logits, cfg.maskClip);
        opt.step(coef);
        return coef.keep();
      }
      // As torch.nn.utils.clip_grad_norm_ over every parameter: the accumulated weight gradients are scaled in place too.
      const norm = clipGradNorm([...set.logits, ...params], cfg.maskClip);
      opt.step();
      return norm.keep();
    });
    if (step % 500 === 499) console.error(stage, step + 1, quirk ? 'total norm' : 'clip coefficient', (await watched.item()).toFixed(4));
    watched.dispose();
    disposeBatch(batch);
  }
  opt.dispose();
  stages[stage] = set;
}
const result = await analyse(def, cfg, seed, model, targets.map((t) => t.name), stages);
const pct = (x: number) => (100 * x).toFixed(1);
for (const [m, row] of Object.entries(result.accuracy)) console.log(m, pct(row.add), '/', pct(row.mul));
console.log('iou', result.iou.map((v) => v.toFixed(2)).join(', '), 'totalShared', pct(result.totalShared));
