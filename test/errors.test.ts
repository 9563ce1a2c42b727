/** Bad input gets an error that names the op and the shapes or the problem. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';

describe('clear errors', () => {
  beforeAll(async () => {
    await ms.setBackend('cpu');
  });

  it('shape mismatch names the op and both shapes', () => {
    expect(() => ms.zeros([2, 3]).add(ms.zeros([4]))).toThrow(/add: shapes \[2,3\] and \[4\] cannot be broadcast/);
    expect(() => ms.zeros([2, 3]).matmul(ms.zeros([2, 3]))).toThrow(/matmul: shapes \[2,3\] and \[2,3\] are incompatible/);
    expect(() => ms.zeros([2, 3, 4]).matmul(ms.zeros([3, 4, 2]))).toThrow(/matmul: .*batch \[2\] vs \[3\]/);
    expect(() => ms.zeros([6]).reshape(4, 2)).toThrow(/reshape: cannot reshape \[6\] \(6 elements\) to \[4,2\]/);
    expect(() => ms.zeros([2, 3]).sum(2)).toThrow(/sum: axis 2 is out of range for shape \[2,3\]/);
    expect(() => ms.zeros([2, 3]).transpose(0, 5)).toThrow(/transpose: axes \[0,5\] are invalid for shape \[2,3\]/);
    expect(() => ms.zeros([2, 3]).broadcastTo([3, 3])).toThrow(/broadcastTo/);
    expect(() => ms.crossEntropy(ms.zeros([4, 5]), ms.zeros([3], 'i32'))).toThrow(/crossEntropy: logits \[4,5\] need targets of shape \[4\], got \[3\]/);
    expect(() => new ms.nn.Linear(3, 2).forward(ms.zeros([5, 4]))).toThrow(/Linear\(3→2\): input has shape \[5,4\]/);
  });

  it('a disposed tensor is reported by the op that uses it', () => {
    const t = ms.zeros([2, 2]);
    t.dispose();
    expect(() => t.add(1)).toThrow(/add: tensor of shape \[2,2\] was disposed/);
    expect(() => t.matmul(ms.zeros([2, 2]))).toThrow(/matmul: tensor of shape \[2,2\] was disposed/);
    return expect(t.toArray()).rejects.toThrow(/toArray: tensor of shape \[2,2\] was disposed/);
  });

  it('wrong dtypes are named', () => {
    expect(() => ms.crossEntropy(ms.zeros([4, 5]), ms.zeros([4]))).toThrow(/crossEntropy: targets of shape \[4\] has dtype f32, expected i32/);
    expect(() => ms.zeros([2, 2], 'i32').matmul(ms.zeros([2, 2]))).toThrow(/matmul: left operand of shape \[2,2\] has dtype i32, expected f32/);
    expect(() => ms.zeros([3], 'i32').exp()).toThrow(/exp: input of shape \[3\] has dtype i32/);
    expect(() => ms.embedding(ms.zeros([4, 2]), ms.zeros([3]))).toThrow(/embedding: indices of shape \[3\] has dtype f32/);
  });

  it('bad data and bad indices', () => {
    expect(() => ms.tensor([[1, 2], [3]])).toThrow(/tensor: nested arrays are ragged/);
    expect(() => ms.tensor([1, 2, 3], [2, 2])).toThrow(/tensor: 3 values do not fill shape \[2,2\]/);
    expect(() => ms.zeros([2, -1])).toThrow(/full: invalid shape \[2,-1\]/);
  });

  it('backward needs a scalar that requires grad', () => {
    expect(() => ms.zeros([2]).sum().backward()).toThrow(/backward: .* does not require grad/);
    expect(() => ms.zeros([2]).requireGrad().mul(2).backward()).toThrow(/backward: output of shape \[2\] is not a scalar/);
    return expect(ms.zeros([2]).item()).rejects.toThrow(/item: tensor of shape \[2\] has 2 elements, not 1/);
  });

  it('unknown backend names are rejected', () => expect(ms.setBackend('tpu' as 'cpu')).rejects.toThrow(/setBackend: unknown backend 'tpu'/));
});

describe('no WebGPU adapter', () => {
  const g = globalThis as { navigator?: unknown };
  const before = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  afterEach(() => {
    if (before) Object.defineProperty(globalThis, 'navigator', before);
    else delete g.navigator;
  });
  const noAdapter = (): void => {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => null } }, configurable: true, writable: true });
  };

  it("an explicit 'webgpu' request fails with a hint how to get one", async () => {
    noAdapter();
    await expect(ms.setBackend('webgpu')).rejects.toThrow(/setBackend\('webgpu'\): No WebGPU adapter was found.*libvulkan1.*VK_ICD_FILENAMES.*'cpu' backend/);
  });

  it("'auto' falls back to the CPU backend and says so", async () => {
    noAdapter();
    const backend = await ms.setBackend('auto');
    expect(backend.name).toBe('cpu');
  });
});

describe("'auto' and software adapters", () => {
  it('prefers the CPU backend over a software adapter such as SwiftShader, which only an explicit request gets', async () => {
    const gpu = await ms.setBackend('webgpu');
    const auto = await ms.setBackend('auto');
    expect(auto.name).toBe(/swiftshader/i.test(gpu.description) ? 'cpu' : 'webgpu');
  });
});
