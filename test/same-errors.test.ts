/**
 * Bad input gets the same error on every backend: index checks (on WebGPU found by the kernels and raised
 * at the next read-back), allocations beyond what the backend can hold (at the call), and the argument
 * checks of tensor() and of functions that take options.
 */
import { describe, expect, it } from 'vitest';
import * as ms from '../index.js';

const i32 = (values: number[]) => ms.tensor(values, [values.length], 'i32');

for (const name of ['cpu', 'webgpu'] as const) {
  describe(`the same errors on ${name}`, () => {
    const use = () => ms.setBackend(name);

    it('a cross-entropy target beyond the classes; negative targets are ignored rows', async () => {
      await use();
      const loss = async (targets: number[]) => ms.crossEntropy(ms.zeros([targets.length, 2]), i32(targets)).item();
      await expect(loss([0, 5, 1, 3])).rejects.toThrow('crossEntropy: index 5 is out of range [0, 2)');
      expect(await loss([-1, 1])).toBeCloseTo(Math.log(2), 6);
    });

    it('gather (embedding) indices out of range, the largest or else the most negative named', async () => {
      await use();
      const rows = async (idx: number[]) => ms.embedding(ms.zeros([4, 2]), i32(idx)).toArray();
      await expect(rows([1, 4])).rejects.toThrow('gather: index 4 is out of range [0, 4)');
      await expect(rows([7, -2, 9])).rejects.toThrow('gather: index 9 is out of range [0, 4)');
      await expect(rows([0, -3, -1])).rejects.toThrow('gather: index -3 is out of range [0, 4)');
      expect(Array.from(await rows([3, 0]))).toEqual([0, 0, 0, 0]);
    });

    it('an allocation beyond what the backend can hold fails at the op that makes it', async () => {
      await use();
      const limit = name === 'cpu' ? "does not fit the CPU backend's memory budget" : "exceeds the GPU's largest buffer";
      expect(() => ms.zeros([2 ** 16, 2 ** 16])).toThrow(`full: a result of 4294967296 elements (17.2 GB) ${limit}`);
      expect(() => ms.rand([2 ** 17, 2 ** 15])).toThrow(/^rand: a result of 4294967296 elements/);
      expect(() => ms.ones([2 ** 16, 1]).mul(ms.ones([1, 2 ** 16]))).toThrow(/^mul: a result of 4294967296 elements/);
      expect(await ms.ones([2]).sum().item()).toBe(2);
    });

    it('tensor() rejects unknown dtypes, an options object for the shape, and values it would change', async () => {
      await use();
      expect(() => ms.tensor([1, 2], [2], 'int32' as 'i32')).toThrow(`tensor: unknown dtype string "int32" (use 'f32', 'i32' or 'u32')`);
      expect(() => ms.tensor([1, 2], [2], { dtype: 'i32' } as unknown as 'i32')).toThrow('tensor: unknown dtype an object');
      expect(() => ms.tensor([1, 2], { dtype: 'i32' } as unknown as number[])).toThrow('tensor: the second argument is the shape (an array of sizes), got an object');
      expect(() => ms.tensor([1.5, 2], [2], 'i32')).toThrow('tensor: value 0 (1.5) is not an integer in the range of i32');
      expect(() => ms.tensor([-1], [1], 'u32')).toThrow('tensor: value 0 (-1) is not an integer in the range of u32');
      expect(() => ms.tensor(['1', 2] as unknown as number[])).toThrow('tensor: data must be a number, nested arrays of numbers, or a typed array');
      expect(() => ms.zeros([2], 'float32' as 'f32')).toThrow(`full: unknown dtype string "float32"`);
      expect(() => ms.zeros(3 as unknown as number[])).toThrow('full: a shape is an array of sizes, got 3');
      expect(Array.from(await ms.tensor(new Float32Array([3, -4]), [2], 'i32').toArray())).toEqual([3, -4]);
    });

    it('options objects: unknown keys and wrong types name the function and the key', async () => {
      await use();
      const w = ms.zeros([2, 2]);
      expect(() => ms.matmul(w, w, { transposeB: true } as ms.MatmulOptions)).toThrow("matmul: unknown option 'transposeB' (known: transA, transB)");
      expect(() => ms.matmul(w, w, { transB: 1 } as unknown as ms.MatmulOptions)).toThrow("matmul: option 'transB' must be a boolean, got number 1");
      expect(() => new ms.optim.Adam([w], { learningRate: 0.1 } as object)).toThrow("Adam: unknown option 'learningRate'");
      expect(() => new ms.optim.Adam([w], { lr: '0.1' } as unknown as object)).toThrow("Adam: option 'lr' must be a number, got string \"0.1\"");
      expect(() => new ms.nn.LSTM(2, 3, 1, { init: 'xavier' } as unknown as object)).toThrow("LSTM: option 'init' must be one of 'pytorch', 'paper', got string \"xavier\"");
      expect(() => new ms.nn.Linear(2, 3, { bias: 'no' } as unknown as object)).toThrow("Linear: option 'bias' must be a boolean");
      expect(() => new ms.nn.ArithLstm({ inputs: 42, hidden: [8], outputs: 20, mode: 'repeat' } as unknown as ConstructorParameters<typeof ms.nn.ArithLstm>[0])).toThrow("ArithLstm: option 'steps' is required");
      await expect(ms.setBackend(name, { gpu: null } as object)).rejects.toThrow("setBackend: unknown option 'gpu' (known: device)");
    });
  });
}
