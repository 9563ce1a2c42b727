/** Training end to end on both backends: an MLP learns a small task, and GPU memory stays flat. */
import { describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { gpuBackend } from './gpu.js';

/** (a + b) mod 5 from one-hot a and b: 25 examples, a task an MLP fits exactly. */
function modAddData(): { x: ms.Tensor; y: ms.Tensor } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let a = 0; a < 5; a++) {
    for (let b = 0; b < 5; b++) {
      const row = new Array(10).fill(0);
      row[a] = 1;
      row[5 + b] = 1;
      xs.push(...row);
      ys.push((a + b) % 5);
    }
  }
  return { x: ms.tensor(xs, [25, 10]), y: ms.tensor(ys, [25], 'i32') };
}

async function accuracy(model: ms.MLP, x: ms.Tensor, y: ms.Tensor): Promise<number> {
  const logits = ms.noGrad(() => model.forward(x));
  const pred = await logits.toArray();
  const target = await y.toArray();
  logits.dispose();
  let correct = 0;
  for (let r = 0; r < target.length; r++) {
    const row = Array.from(pred.subarray(r * 5, r * 5 + 5));
    if (row.indexOf(Math.max(...row)) === target[r]) correct++;
  }
  return correct / target.length;
}

/** One Adam step with gradient clipping, everything temporary disposed by tidy. */
function trainStep(model: ms.MLP, opt: ms.Adam, x: ms.Tensor, y: ms.Tensor): ms.Tensor {
  return ms.tidy(() => {
    opt.zeroGrad();
    const loss = ms.crossEntropy(model.forward(x), y);
    loss.backward();
    const { coef } = ms.clipCoefficient(model.parameters(), 1);
    opt.step(coef);
    return loss;
  });
}

describe.each(['cpu', 'webgpu'] as const)('training on %s', (name) => {
  const use = async (): Promise<void> => {
    await ms.setBackend(name === 'webgpu' ? await gpuBackend() : 'cpu');
  };

  it('an MLP learns (a + b) mod 5 to 100 % accuracy', async () => {
    await use();
    ms.manualSeed(0);
    const { x, y } = modAddData();
    const model = new ms.nn.MLP([10, 64, 5]);
    const opt = new ms.optim.Adam(model.parameters(), { lr: 1e-2 });
    const first = await trainStep(model, opt, x, y).item();
    let last = first;
    for (let step = 0; step < 150; step++) {
      const loss = trainStep(model, opt, x, y);
      if (step % 50 === 49) last = await loss.item();
      loss.dispose();
    }
    expect(last).toBeLessThan(first / 10);
    expect(await accuracy(model, x, y)).toBe(1);
    model.dispose();
    opt.dispose();
  });

  it('live buffers stay flat over 200 training steps', async () => {
    await use();
    ms.manualSeed(1);
    const { x, y } = modAddData();
    const model = new ms.nn.MLP([10, 32, 32, 5]);
    const opt = new ms.optim.Adam(model.parameters(), { lr: 1e-2 });
    const backend = ms.getBackend();
    let afterWarmup = 0;
    for (let step = 0; step < 200; step++) {
      trainStep(model, opt, x, y).dispose();
      if (step === 9) afterWarmup = backend.memory().liveBuffers;
    }
    await model.parameters()[0].toArray();
    const end = backend.memory();
    expect(afterWarmup).toBeGreaterThan(0);
    expect(end.liveBuffers).toBe(afterWarmup);
    if (backend.name === 'webgpu') {
      // Released buffers wait in the pool, each at least one 256-byte size class.
      expect(end.pooledBuffers).toBeGreaterThan(0);
      expect(end.pooledBytes).toBeGreaterThanOrEqual(256 * end.pooledBuffers);
    }
    model.dispose();
    opt.dispose();
    x.dispose();
    y.dispose();
    // Every tensor this test made is gone: only what other tests left behind can remain.
    expect(backend.memory().liveBuffers).toBeLessThan(afterWarmup);
  });
});
