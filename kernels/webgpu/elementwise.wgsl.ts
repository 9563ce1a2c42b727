/**
 * WGSL elementwise maps (engine/backend.ts MapOp) over up to three operands. Each operand is a buffer read
 * through per-dimension strides (broadcasting and transposes) or a constant in the uniforms. When every
 * buffer operand is contiguous the kernel skips the index arithmetic.
 *
 * Uniform layout (u32 words): 0 size, 1 row_stride, 2 rank, 4..6 constant bits, 8..15 output shape,
 * 16+8k..23+8k strides of operand k. Up to MAX_RANK dimensions.
 */
import type { MapOp } from '../../engine/backend.js';
import type { DType } from '../../engine/dtype.js';

export const MAX_RANK = 8;
export const MAP_UNIFORM_WORDS = 40;

const F32_EXPR: Record<MapOp, string> = {
  identity: 'a',
  neg: '-a',
  exp: 'exp(a)',
  log: 'log(a)',
  relu: 'max(a, 0.0)',
  sigmoid: 'sigmoid_f(a)',
  tanh: 'tanh(clamp(a, -15.0, 15.0))',
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

const HELPERS = /* wgsl */ `
fn sigmoid_f(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0) { return 1.0; }
  // Infinity and NaN cannot be written as WGSL constants; produce them from runtime values instead.
  if (a == 0.0) { return select(1.0 / a, 0.0, b > 0.0); }
  let r = exp2(b * log2(abs(a)));
  if (a > 0.0) { return r; }
  if (fract(b) != 0.0) { return sqrt(a); }
  return select(r, -r, (i32(b) & 1) != 0);
}`;

export interface MapOperandKind {
  /** null for a constant operand. */
  dtype: DType | null;
}

const wgslType = (d: DType): string => (d === 'f32' ? 'f32' : d === 'i32' ? 'i32' : 'u32');

/** WGSL for one map variant. `contiguous`: every buffer operand is laid out like the output. */
export function mapKernel(op: MapOp, operands: readonly MapOperandKind[], outDtype: DType, contiguous: boolean): string {
  const names = ['a', 'b', 'c'];
  const bindings: string[] = [];
  const loads: string[] = [];
  let binding = 0;
  operands.forEach((o, k) => {
    if (o.dtype === null) {
      // A constant: its bits sit in the uniforms; give it the operand's working type.
      loads.push(`let ${names[k]} = ${valueType(op, outDtype, 'f32')}(bitcast<f32>(word(${4 + k}u)));`);
      return;
    }
    const b = binding++;
    bindings.push(`@group(0) @binding(${b}) var<storage, read> in${k}: array<${wgslType(o.dtype)}>;`);
    const offset = contiguous ? 'i' : `offset(i, ${16 + 8 * k}u)`;
    loads.push(`let ${names[k]} = ${valueType(op, outDtype, o.dtype)}(in${k}[${offset}]);`);
  });
  const outBinding = binding++;
  const expr = op === 'identity' ? 'a' : F32_EXPR[op];
  return /* wgsl */ `
${bindings.join('\n')}
@group(0) @binding(${outBinding}) var<storage, read_write> out: array<${wgslType(outDtype)}>;
struct Params { w: array<vec4<u32>, ${MAP_UNIFORM_WORDS / 4}> }
@group(0) @binding(${outBinding + 1}) var<uniform> p: Params;
fn word(i: u32) -> u32 { return p.w[i / 4u][i % 4u]; }
fn offset(flat: u32, strides_at: u32) -> u32 {
  var rest = flat;
  var off = 0u;
  for (var ax = i32(word(2u)) - 1; ax >= 0; ax--) {
    let dim = word(8u + u32(ax));
    off += (rest % dim) * word(strides_at + u32(ax));
    rest /= dim;
  }
  return off;
}
${HELPERS}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * word(1u);
  if (i >= word(0u)) { return; }
  ${loads.join('\n  ')}
  out[i] = ${wgslType(outDtype)}(${expr});
}`;
}

/**
 * The type operands are converted to before the op: the raw type for pure copies (identity keeps i32
 * bits exact), the input type for casts, f32 for arithmetic.
 */
function valueType(op: MapOp, outDtype: DType, inDtype: DType): string {
  if (op === 'identity') return wgslType(outDtype);
  if (op === 'toF32' || op === 'toI32') return wgslType(inDtype);
  return 'f32';
}

