/**
 * Fast CPU elementwise maps: one specialised loop per (op, operand kinds, layout), with the op's
 * expression written into the loop body. A single shared loop calling `MAP_FUNCTIONS[op]` per element
 * (elementwise.cpu.ts, the reference) is megamorphic and costs ~10× more: maps were 40 % of a CPU
 * training step. The loops are compiled once with `new Function`; where a page's Content Security Policy
 * forbids that, callers get null and use the reference.
 *
 * Strided operands run as contiguous-stride inner loops over the last axis, with an odometer over the
 * outer axes once per row.
 */
import type { MapOp } from '../../engine/backend.js';
import type { AnyTypedArray } from '../../engine/dtype.js';
import type { CpuOperand } from './elementwise.js';

/** JS expressions over a, b, c; must agree with MAP_FUNCTIONS (tested). */
const JS_EXPR: Record<MapOp, string> = {
  identity: 'a',
  neg: '-a',
  exp: 'Math.exp(a)',
  log: 'Math.log(a)',
  relu: '(a > 0 ? a : 0)',
  sigmoid: '(a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a)))',
  tanh: 'Math.tanh(a)',
  abs: 'Math.abs(a)',
  sqrt: 'Math.sqrt(a)',
  square: 'a * a',
  step: '(a > 0 ? 1 : 0)',
  toF32: 'a',
  toI32: 'Math.trunc(a)',
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  pow: 'Math.pow(a, b)',
  maximum: '(a > b ? a : b)',
  minimum: '(a < b ? a : b)',
  eq: '(a === b ? 1 : 0)',
  ne: '(a !== b ? 1 : 0)',
  lt: '(a < b ? 1 : 0)',
  le: '(a <= b ? 1 : 0)',
  gt: '(a > b ? 1 : 0)',
  ge: '(a >= b ? 1 : 0)',
  where: '(a !== 0 ? b : c)',
};

type Loop = (out: AnyTypedArray, data: (AnyTypedArray | null)[], consts: number[], shape: readonly number[], strides: (readonly number[])[]) => void;

const NAMES = ['a', 'b', 'c'];
const cache = new Map<string, Loop | null>();

function compile(op: MapOp, kinds: ('data' | 'const')[], contiguous: boolean): Loop | null {
  const read = (k: number, index: string) => (kinds[k] === 'const' ? `const ${NAMES[k]} = k${k};` : `const ${NAMES[k]} = d${k}[${index}];`);
  const prologue = kinds.map((kind, k) => (kind === 'const' ? `const k${k} = consts[${k}];` : `const d${k} = data[${k}];`)).join('\n');
  const expr = JS_EXPR[op];
  const body = contiguous
    ? `for (let i = 0; i < out.length; i++) { ${kinds.map((_, k) => read(k, 'i')).join(' ')} out[i] = ${expr}; }`
    : `const rank = shape.length;
       const inner = shape[rank - 1];
       ${kinds.map((_, k) => `const s${k} = strides[${k}]; const in${k} = s${k}[rank - 1]; let o${k} = 0;`).join('\n')}
       const index = new Array(rank).fill(0);
       for (let p = 0; p < out.length; p += inner) {
         for (let j = 0; j < inner; j++) { ${kinds.map((_, k) => read(k, `o${k} + j * in${k}`)).join(' ')} out[p + j] = ${expr}; }
         for (let ax = rank - 2; ax >= 0; ax--) {
           ${kinds.map((_, k) => `o${k} += s${k}[ax];`).join(' ')}
           if (++index[ax] < shape[ax]) break;
           ${kinds.map((_, k) => `o${k} -= s${k}[ax] * shape[ax];`).join(' ')}
           index[ax] = 0;
         }
       }`;
  try {
    return new Function('out', 'data', 'consts', 'shape', 'strides', `"use strict";\n${prologue}\n${body}`) as Loop;
  } catch {
    return null;
  }
}

/** Runs the map with a specialised loop; returns false when none can be compiled here. */
export function mapFast(op: MapOp, operands: readonly CpuOperand[], outShape: readonly number[], out: AnyTypedArray, contiguous: boolean): boolean {
  if (out.length === 0) return true;
  const kinds = operands.map((o) => ('data' in o ? 'data' : 'const') as 'data' | 'const');
  const key = `${op}|${kinds.join(',')}|${contiguous}`;
  if (!cache.has(key)) cache.set(key, compile(op, kinds, contiguous));
  const loop = cache.get(key);
  if (!loop) return false;
  const rank = outShape.length;
  loop(
    out,
    operands.map((o) => ('data' in o ? o.data : null)),
    operands.map((o) => ('scalar' in o ? o.scalar : 0)),
    rank === 0 ? [1] : outShape,
    operands.map((o) => ('data' in o ? (rank === 0 ? [0] : o.strides) : [])),
  );
  return true;
}
