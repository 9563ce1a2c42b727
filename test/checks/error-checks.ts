/**
 * Bad input and the error it must get, the same on every backend: index checks (on WebGPU found by the
 * kernels and raised at the next read-back), allocations beyond what the backend can hold (at the call),
 * and the argument checks of tensor() and of functions that take options. Each check runs on the active
 * backend; test/same-errors.test.ts runs them on both backends in Node, test/browser.test.ts in Chromium.
 */
import * as ms from '../../index.js';

export interface ErrorCheck {
  name: string;
  run(): Promise<void>;
}

/** Runs fn (sync or async) and fails unless it throws an error whose message contains (or matches) `message`. */
async function expectError(fn: () => unknown, message: string | RegExp): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  const text = error instanceof Error ? error.message : undefined;
  const ok = text !== undefined && (typeof message === 'string' ? text.includes(message) : message.test(text));
  if (!ok) throw new Error(`expected the error ${JSON.stringify(String(message))}, got ${text === undefined ? 'none' : JSON.stringify(text)}`);
}

function expectEqual(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const i32 = (values: number[]) => ms.tensor(values, [values.length], 'i32');
const loss = async (targets: number[]) => ms.crossEntropy(ms.zeros([targets.length, 2]), i32(targets)).item();
const rows = async (idx: number[]) => Array.from(await ms.embedding(ms.zeros([4, 2]), i32(idx)).toArray());

export const errorChecks: ErrorCheck[] = [
  {
    name: 'a cross-entropy target beyond the classes; negative targets are ignored rows',
    async run() {
      await expectError(() => loss([0, 5, 1, 3]), 'crossEntropy: index 5 is out of range [0, 2)');
      const ignored = await loss([-1, 1]);
      if (Math.abs(ignored - Math.log(2)) > 1e-6) throw new Error(`expected log 2 with the first row ignored, got ${ignored}`);
    },
  },
  {
    name: 'gather (embedding) indices out of range: the largest, else the most negative, is named',
    async run() {
      await expectError(() => rows([1, 4]), 'gather: index 4 is out of range [0, 4)');
      await expectError(() => rows([7, -2, 9]), 'gather: index 9 is out of range [0, 4)');
      await expectError(() => rows([0, -3, -1]), 'gather: index -3 is out of range [0, 4)');
      expectEqual(await rows([3, 0]), [0, 0, 0, 0]);
    },
  },
  {
    name: 'an index error is raised even when another read-back was in flight while it was recorded',
    async run() {
      await expectError(async () => {
        const first = ms.ones([2]).sum().item(); // a read-back, not awaited yet
        const bad = ms.embedding(ms.zeros([4, 2]), i32([9])); // recorded while it is in flight
        await first;
        await bad.toArray();
      }, 'gather: index 9 is out of range [0, 4)');
    },
  },
  {
    name: 'an allocation beyond what the backend can hold fails at the op that makes it',
    async run() {
      const limit = ms.getBackend().name === 'cpu' ? "does not fit the CPU backend's memory budget" : "exceeds the GPU's largest buffer";
      await expectError(() => ms.zeros([2 ** 16, 2 ** 16]), `full: a result of 4294967296 elements (17.2 GB) ${limit}`);
      await expectError(() => ms.rand([2 ** 17, 2 ** 15]), /^rand: a result of 4294967296 elements/);
      await expectError(() => ms.ones([2 ** 16, 1]).mul(ms.ones([1, 2 ** 16])), /^mul: a result of 4294967296 elements/);
      expectEqual(await ms.ones([2]).sum().item(), 2);
    },
  },
  {
    name: 'conv2d, maxPool2d and layerNorm name the shapes that do not fit',
    async run() {
      const x = ms.zeros([2, 3, 5, 5]);
      await expectError(() => ms.conv2d(x, ms.zeros([4, 2, 3, 3])), 'conv2d: input [2,3,5,5] and weight [4,2,3,3] disagree: the weight expects 2 input channels');
      await expectError(() => ms.conv2d(x, ms.zeros([4, 3, 7, 7])), 'conv2d: input [2,3,5,5] and weight [4,3,7,7] give no output');
      await expectError(() => ms.conv2d(x, ms.zeros([3, 4, 3, 3, 3])), 'conv2d: input [2,3,5,5] and weight [3,4,3,3,3] disagree: a batch of 2 does not split into 3 weight samples');
      await expectError(() => ms.conv2d(x, ms.zeros([4, 3, 3, 3]), ms.zeros([5])), 'conv2d: bias [5] must be [4] for weight [4,3,3,3]');
      await expectError(() => ms.conv2d(x, ms.zeros([4, 3, 3, 3]), null, { stride: 0 }), 'conv2d: stride must be an integer ≥ 1 or a pair of them, got 0');
      await expectError(() => ms.maxPool2d(x, 6), 'maxPool2d: kernel [6,6] is larger than the input [2,3,5,5]');
      await expectError(() => ms.layerNorm(ms.zeros([2, 4]), ms.ones([3]), ms.zeros([3])), 'layerNorm: input [2,4] needs weight and bias of shape [4] or [K, 4], got [3] and [3]');
      await expectError(() => ms.layerNorm(ms.zeros([3, 4]), ms.ones([2, 4]), ms.zeros([2, 4])), 'layerNorm: input [3,4] does not split into 2 mask-sample slices along its first axis');
    },
  },
  {
    name: 'scaledDotProductAttention names mismatched shapes and key lengths out of range',
    async run() {
      const q = ms.zeros([2, 3, 4, 8]);
      const sdpa = ms.scaledDotProductAttention;
      await expectError(() => sdpa(q, ms.zeros([2, 3, 5, 6]), ms.zeros([2, 3, 5, 6])), 'scaledDotProductAttention: head sizes differ (d_head 8 vs 6): q [2,3,4,8], k [2,3,5,6], v [2,3,5,6]');
      await expectError(() => sdpa(q, ms.zeros([2, 3, 5, 8]), ms.zeros([2, 3, 6, 8])), 'scaledDotProductAttention: needs q [B, H, Tq, d] and k, v [B, H, Tk, d], got q [2,3,4,8], k [2,3,5,8], v [2,3,6,8]');
      await expectError(() => sdpa(q, ms.zeros([1, 3, 5, 8]), ms.zeros([1, 3, 5, 8])), 'scaledDotProductAttention: batch and heads differ');
      const k = ms.zeros([2, 3, 5, 8]);
      await expectError(() => sdpa(q, k, k, { keyLengths: ms.tensor([1, 2, 3], [3], 'i32') }), 'scaledDotProductAttention: keyLengths must be [2], got [3]');
      await expectError(() => sdpa(q, k, k, { keyLengths: ms.tensor([5, 9], [2], 'i32') }).toArray(), 'scaledDotProductAttention keyLengths: index 9 is out of range [0, 6)');
      const empty = await sdpa(q, k, k, { keyLengths: ms.tensor([0, 5], [2], 'i32') }).toArray();
      if (empty.some((x) => Number.isNaN(x))) throw new Error('a row with every key masked gave NaN');
    },
  },
  {
    name: 'tensor() rejects unknown dtypes, an options object for the shape, and values it would change',
    async run() {
      await expectError(() => ms.tensor([1, 2], [2], 'int32' as 'i32'), `tensor: unknown dtype string "int32" (use 'f32', 'i32' or 'u32')`);
      await expectError(() => ms.tensor([1, 2], [2], { dtype: 'i32' } as unknown as 'i32'), 'tensor: unknown dtype an object');
      await expectError(() => ms.tensor([1, 2], { dtype: 'i32' } as unknown as number[]), 'tensor: the second argument is the shape (an array of sizes), got an object');
      await expectError(() => ms.tensor([1.5, 2], [2], 'i32'), 'tensor: value 0 (1.5) is not an integer in the range of i32');
      await expectError(() => ms.tensor([-1], [1], 'u32'), 'tensor: value 0 (-1) is not an integer in the range of u32');
      await expectError(() => ms.tensor(['1', 2] as unknown as number[]), 'tensor: data must be a number, nested arrays of numbers, or a typed array');
      await expectError(() => ms.zeros([2], 'float32' as 'f32'), 'full: unknown dtype string "float32"');
      await expectError(() => ms.zeros(3 as unknown as number[]), 'full: a shape is an array of sizes, got 3');
      expectEqual(Array.from(await ms.tensor(new Float32Array([3, -4]), [2], 'i32').toArray()), [3, -4]);
    },
  },
  {
    name: 'options objects: unknown keys and wrong types name the function and the key',
    async run() {
      const w = ms.zeros([2, 2]);
      await expectError(() => ms.matmul(w, w, { transposeB: true } as ms.MatmulOptions), "matmul: unknown option 'transposeB' (known: transA, transB)");
      await expectError(() => ms.matmul(w, w, { transB: 1 } as unknown as ms.MatmulOptions), "matmul: option 'transB' must be a boolean, got number 1");
      await expectError(() => new ms.optim.Adam([w], { learningRate: 0.1 } as object), "Adam: unknown option 'learningRate'");
      await expectError(() => new ms.optim.Adam([w], { lr: '0.1' } as unknown as object), 'Adam: option \'lr\' must be a number, got string "0.1"');
      await expectError(() => new ms.nn.LSTM(2, 3, 1, { init: 'xavier' } as unknown as object), `LSTM: option 'init' must be one of 'pytorch', 'paper', got string "xavier"`);
      await expectError(() => new ms.nn.Linear(2, 3, { bias: 'no' } as unknown as object), "Linear: option 'bias' must be a boolean");
      const arith = { inputs: 42, hidden: [8], outputs: 20, mode: 'repeat' } as unknown as ConstructorParameters<typeof ms.nn.ArithLstm>[0];
      await expectError(() => new ms.nn.ArithLstm(arith), "ArithLstm: option 'steps' is required");
      await expectError(() => ms.setBackend(ms.getBackend().name, { gpu: null } as object), "setBackend: unknown option 'gpu' (known: device, cpuThreads)");
      await expectError(() => ms.setBackend(ms.getBackend().name, { cpuThreads: 2 } as object), "setBackend: option 'cpuThreads' must be a boolean, got number 2");
    },
  },
];
