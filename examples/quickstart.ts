import { crossEntropy, manualSeed, nn, noGrad, optim, setBackend, tensor, tidy } from '../index.js';

const backend = await setBackend('auto'); // webgpu on a GPU, else cpu
manualSeed(0);
const x = tensor([[0, 0], [0, 1], [1, 0], [1, 1]]); // XOR
const y = tensor([0, 1, 1, 0], [4], 'i32');
const model = new nn.MLP([2, 16, 2]);
const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
for (let step = 0; step <= 200; step++) {
  const loss = tidy(() => {
    opt.zeroGrad();
    const l = crossEntropy(model.forward(x), y);
    l.backward();
    opt.step();
    return l;
  });
  if (step % 50 === 0) console.log(`step ${step} loss ${(await loss.item()).toFixed(4)}`);
  loss.dispose();
}
const p = await noGrad(() => model.forward(x).softmax()).toArray();
console.log(`${backend.name}: P(y=1) for 00 01 10 11 =`, [1, 3, 5, 7].map((i) => p[i].toFixed(3)).join(' '));
