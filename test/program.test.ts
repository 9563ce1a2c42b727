/** Declared WebGPU programs: the generated WGSL and the uniform packing follow one declaration. */
import { describe, expect, it } from 'vitest';
import { packUniforms, programWgsl, variants, type Program } from '../kernels/webgpu/program.js';

const program: Program = {
  name: 'example',
  buffers: [{ name: 'x', type: 'f32' }, { name: 'out', type: 'i32', write: true }],
  uniforms: [{ name: 'scale', type: 'f32' }, { name: 'shape', type: 'u32', length: 5 }, { name: 'offset', type: 'i32' }],
  workgroupSize: 64,
  launch: 'threads',
  body: 'out[i] = i32(x[i] * p.scale) + p.offset + i32(shape_at(1u));',
};

describe('declared programs', () => {
  it('writes bindings in order, the Params struct with WGSL alignment, and the bounds check', () => {
    const wgsl = programWgsl(program);
    expect(wgsl).toContain('@group(0) @binding(0) var<storage, read> x: array<f32>;');
    expect(wgsl).toContain('@group(0) @binding(1) var<storage, read_write> out: array<i32>;');
    // count and row_stride come first (a 'threads' launch), then scale; the array starts on word 4.
    expect(wgsl).toContain('struct Params { count: u32, row_stride: u32, scale: f32, pad3: u32, shape: array<vec4<u32>, 2>, offset: i32 }');
    expect(wgsl).toContain('@group(0) @binding(2) var<uniform> p: Params;');
    expect(wgsl).toContain('fn shape_at(k: u32) -> u32 { return p.shape[k / 4u][k % 4u]; }');
    expect(wgsl).toContain('@compute @workgroup_size(64)');
    expect(wgsl).toContain('if (i >= p.count) { return; }');
  });

  it('packs the uniforms at the same offsets, f32 as its bits and i32 as two’s complement', () => {
    const words = packUniforms(program, { count: 7, row_stride: 64, scale: 1.5, shape: [2, 3, 4], offset: -2 });
    expect(words.length).toBe(16);
    expect(Array.from(words.slice(0, 2))).toEqual([7, 64]);
    expect(new Float32Array(words.buffer)[2]).toBe(1.5);
    expect(Array.from(words.slice(4, 9))).toEqual([2, 3, 4, 0, 0]);
    expect(new Int32Array(words.buffer)[12]).toBe(-2);
  });

  it('names the kernel and the uniform that is missing, unknown or of the wrong kind', () => {
    const ok = { count: 1, row_stride: 64, scale: 1, shape: [1], offset: 0 };
    expect(() => packUniforms(program, { ...ok, offset: undefined as unknown as number })).toThrow("example: uniform 'offset' was not given");
    expect(() => packUniforms(program, { ...ok, extra: 3 })).toThrow("example: unknown uniform 'extra'");
    expect(() => packUniforms(program, { ...ok, shape: 3 })).toThrow("example: uniform 'shape' expects at most 5 numbers");
    expect(() => packUniforms(program, { ...ok, shape: [1, 2, 3, 4, 5, 6] })).toThrow("example: uniform 'shape' expects at most 5 numbers");
    expect(() => packUniforms(program, { ...ok, scale: [1] })).toThrow("example: uniform 'scale' expects a number");
  });

  it('a grid launch has no bound uniforms; variants are built once per argument list', () => {
    const grid: Program = { ...program, launch: { grid: () => [1, 1, 1] }, uniforms: [{ name: 'n', type: 'u32' }] };
    expect(programWgsl(grid)).toContain('struct Params { n: u32 }');
    let made = 0;
    const make = variants((flag: boolean): Program => ({ ...grid, name: `v${flag}${made++}` }));
    expect(make(true)).toBe(make(true));
    expect(make(false)).not.toBe(make(true));
    expect(made).toBe(2);
  });
});
