/**
 * Elementwise maps (engine/backend.ts MapOp) over up to three operands. Each operand is a buffer read
 * through per-dimension strides (broadcasting and transposes) or a constant in the uniforms. When every
 * buffer operand is contiguous the kernel skips the index arithmetic. Adding an op: one line in F32_EXPR.
 */
import type { MapOp } from '../../engine/backend.js';
import type { DType } from '../../engine/dtype.js';
import { variants, type BufferDecl, type Program, type UniformDecl } from './program.js';
import { SIGMOID, stridedOffset } from './snippets.js';

export const MAX_RANK = 8;

/** Each op as a WGSL expression of its operands a, b, c (f32 unless the op is a cast or copy). */
const F32_EXPR: Record<MapOp, string> = {
  identity: 'a',
  neg: '-a',
  exp: 'exp(a)',
  log: 'log(a)',
  relu: 'max(a, 0.0)',
  sigmoid: 'sigmoid_f(a)',
  tanh: 'tanh(clamp(a, -15.0, 15.0))',
  softplus: 'max(a, 0.0) + log(1.0 + exp(-abs(a)))',
  abs: 'abs(a)',
  sqrt: 'sqrt(a)',
  square: 'a * a',
  step: 'select(0.0, 1.0, a > 0.0)',
  toF32: 'f32(a)',
  toI32: 'i32(a)',
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'pow_f(a, b)',
  maximum: 'select(b, a, a > b)',
  minimum: 'select(b, a, a < b)',
  eq: 'select(0.0, 1.0, a == b)',
  ne: 'select(0.0, 1.0, a != b)',
  lt: 'select(0.0, 1.0, a < b)',
  le: 'select(0.0, 1.0, a <= b)',
  gt: 'select(0.0, 1.0, a > b)',
  ge: 'select(0.0, 1.0, a >= b)',
  where: 'select(c, b, a != 0.0)',
};

const POW = /* wgsl */ `
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  // Infinity and NaN cannot be written as WGSL constants; produce them from runtime values instead.
  if (a == 0.0) { return select(1.0 / a, 0.0, b > 0.0); }
  let r = exp2(b * log2(abs(a)));
  if (a > 0.0) { return r; }
  if (fract(b) != 0.0) { return sqrt(a); }
  return select(r, -r, (i32(b) & 1) != 0);
}`;

/** An operand's dtype, or null for a constant (its value is the uniform c<k>). */
export type MapOperandKind = DType | null;

const wgslType = (d: DType): 'f32' | 'i32' | 'u32' => d;
const NAMES = ['a', 'b', 'c'];

/**
 * One map variant. `contiguous`: every buffer operand is laid out like the output, so no index
 * arithmetic; otherwise operand k is read through the uniform strides<k> over the output's shape.
 */
export const mapProgram = variants((op: MapOp, operands: readonly MapOperandKind[], outDtype: DType, contiguous: boolean): Program => {
  const buffers: BufferDecl[] = [];
  const uniforms: UniformDecl[] = contiguous ? [] : [{ name: 'rank', type: 'u32' }, { name: 'shape', type: 'u32', length: MAX_RANK }];
  const helpers: string[] = [SIGMOID, POW];
  const loads = operands.map((dtype, k) => {
    const name = NAMES[k];
    if (dtype === null) {
      uniforms.push({ name: `c${k}`, type: 'f32' });
      return `let ${name} = ${valueType(op, outDtype, 'f32')}(p.c${k});`;
    }
    buffers.push({ name: `in${k}`, type: wgslType(dtype) });
    if (contiguous) return `let ${name} = ${valueType(op, outDtype, dtype)}(in${k}[i]);`;
    uniforms.push({ name: `strides${k}`, type: 'u32', length: MAX_RANK });
    helpers.push(stridedOffset(`offset${k}`, 'p.rank', 'shape_at', `strides${k}_at`));
    return `let ${name} = ${valueType(op, outDtype, dtype)}(in${k}[offset${k}(i)]);`;
  });
  buffers.push({ name: 'out', type: wgslType(outDtype), write: true });
  return {
    name: op,
    buffers,
    uniforms,
    workgroupSize: 256,
    launch: 'threads',
    helpers,
    body: `${loads.join('\n  ')}\n  out[i] = ${wgslType(outDtype)}(${F32_EXPR[op]});`,
  };
});

/**
 * The type operands are converted to before the op: the raw type for pure copies (identity keeps i32
 * bits exact), the input type for casts, f32 for arithmetic.
 */
function valueType(op: MapOp, outDtype: DType, inDtype: DType): string {
  if (op === 'identity') return wgslType(outDtype);
  if (op === 'toF32' || op === 'toI32') return wgslType(inDtype);
  return 'f32';
}
