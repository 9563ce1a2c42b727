/** The CPU's conv2d on the WebAssembly GEMM (kernels/cpu/conv.fast.ts) against the reference loops (conv.ts), on shapes that
 * reach every path of its blocking: several blocks, runs cut at block ends, panels spanning images, ragged edges. */
import { describe, expect, it } from 'vitest';
import { availableParallelism } from 'node:os';
import type { Conv2dSpec } from '../engine/backend.js';
import { uniformCpu } from '../engine/random.js';
import { conv2dBackwardInputCpu, conv2dBackwardWeightCpu, conv2dCpu } from '../kernels/cpu/conv.js';
import { conv2dBackwardInputFast, conv2dBackwardWeightFast, conv2dFast } from '../kernels/cpu/conv.fast.js';
import { matmulThreadCount, setMatmulThreads } from '../kernels/cpu/matmul.fast.js';
import { expectClose } from './checks/kernel-checks.js';

function spec(batch: number, inC: number, h: number, w: number, outC: number, kh: number, kw: number, stride: [number, number], pad: [number, number], groups: number, samples: number): Conv2dSpec {
  const outH = Math.floor((h + 2 * pad[0] - kh) / stride[0]) + 1;
  const outW = Math.floor((w + 2 * pad[1] - kw) / stride[1]) + 1;
  return { batch, inC, h, w, outC, kh, kw, strideH: stride[0], strideW: stride[1], padH: pad[0], padW: pad[1], groups, outH, outW, samples };
}

const cases: [string, Conv2dSpec][] = [
  ['3×3 pad 1', spec(2, 3, 7, 5, 4, 3, 3, [1, 1], [1, 1], 1, 1)],
  ['stride [2,1], rectangular kernel', spec(3, 2, 9, 6, 5, 3, 2, [2, 1], [0, 0], 1, 1)],
  ['groups 2, 1×1', spec(1, 4, 5, 3, 6, 1, 1, [1, 1], [0, 0], 2, 1)],
  ['5×5 stride 2 pad 2', spec(2, 1, 11, 13, 3, 5, 5, [2, 2], [2, 2], 1, 1)],
  ['3 weight samples, groups 3', spec(6, 3, 6, 7, 6, 3, 3, [1, 2], [1, 0], 3, 3)],
  ['CNN-sized layer', spec(8, 32, 14, 14, 64, 3, 3, [1, 1], [1, 1], 1, 2)],
  // Blocks of output positions: runs cut at block ends, panels that span images, ragged panels.
  ['one output position per image', spec(20, 3, 3, 3, 5, 3, 3, [1, 1], [0, 0], 1, 1)],
  ['k > 256 (the GEMM\'s k blocks), 6 output channels, rows shorter than a panel', spec(4, 40, 7, 7, 6, 3, 3, [1, 1], [1, 1], 1, 1)],
  ['stride 2 and padding over many blocks', spec(30, 5, 17, 15, 7, 3, 3, [2, 2], [1, 1], 1, 1)],
];

describe('conv2d on the WebAssembly GEMM', () => {
  for (const [name, s] of cases) {
    it(`${name}: forward, input and weight gradients equal the reference`, () => {
      const x = uniformCpu(s.batch * s.inC * s.h * s.w, 1, 0);
      const w = uniformCpu(s.samples * s.outC * (s.inC / s.groups) * s.kh * s.kw, 1, 1);
      const dy = uniformCpu(s.batch * s.outC * s.outH * s.outW, 1, 2);
      expectClose(conv2dFast(x, w, s), conv2dCpu(x, w, s), 1e-5, `${name} forward`);
      expectClose(conv2dBackwardInputFast(dy, w, s), conv2dBackwardInputCpu(dy, w, s), 1e-5, `${name} dx`);
      expectClose(conv2dBackwardWeightFast(x, dy, s), conv2dBackwardWeightCpu(x, dy, s), 1e-4, `${name} dw`);
      expect(conv2dFast(x, w, s).length).toBe(s.batch * s.outC * s.outH * s.outW);
      expect([x, w, dy]).toEqual([uniformCpu(x.length, 1, 0), uniformCpu(w.length, 1, 1), uniformCpu(dy.length, 1, 2)]);
    });
  }

  it('gives the same bits with the GEMM on worker threads (block products large enough to be shared)', () => {
    const s = spec(16, 32, 14, 14, 64, 3, 3, [1, 1], [1, 1], 1, 1);
    const x = uniformCpu(s.batch * s.inC * s.h * s.w, 1, 0);
    const w = uniformCpu(s.outC * s.inC * 9, 1, 1);
    const dy = uniformCpu(s.batch * s.outC * s.outH * s.outW, 1, 2);
    const passes = () => [conv2dFast(x, w, s), conv2dBackwardInputFast(dy, w, s), conv2dBackwardWeightFast(x, dy, s)];
    const alone = passes();
    setMatmulThreads(true);
    try {
      // On one core there are no workers, and the comparison would not test them.
      if (availableParallelism() > 1) expect(matmulThreadCount()).toBeGreaterThan(1);
      expect(passes()).toEqual(alone);
    } finally {
      setMatmulThreads(false);
    }
  });
});
