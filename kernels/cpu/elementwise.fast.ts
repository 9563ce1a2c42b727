/**
 * Fast CPU elementwise maps: one specialised loop per (op, operand kinds, layout), compiled from the op's
 * function in MAP_FUNCTIONS (elementwise.ts). The reference loop there calls every op's function from one
 * call site, which the JIT cannot inline; a loop of its own per op can (bench/RESULTS.md has the figures).
 * The loops are compiled once with `new Function`; where a page's Content Security Policy forbids that,
 * callers get null and use the reference.
 *
 * Strided operands run as contiguous-stride inner loops over the last axis, with an odometer over the
 * outer axes once per row.
 */
import type { MapOp } from '../../engine/backend.js';
import type { AnyTypedArray } from '../../engine/dtype.js';
import { MAP_FUNCTIONS, type CpuOperand } from './elementwise.js';

type Loop = (out: AnyTypedArray, data: (AnyTypedArray | null)[], consts: number[], shape: readonly number[], strides: (readonly number[])[]) => void;

const NAMES = ['a', 'b', 'c'];
const cache = new Map<string, Loop | null>();

function compile(op: MapOp, kinds: ('data' | 'const')[], contiguous: boolean): Loop | null {
  const read = (k: number, index: string) => (kinds[k] === 'const' ? `const ${NAMES[k]} = k${k};` : `const ${NAMES[k]} = d${k}[${index}];`);
  const prologue = kinds.map((kind, k) => (kind === 'const' ? `const k${k} = consts[${k}];` : `const d${k} = data[${k}];`)).join('\n');
  // The op's own function, inlined by the JIT: each compiled loop holds its own copy, so the call site
  // sees one function only (the shared reference loop sees them all and cannot inline any).
  const fn = `const f = ${MAP_FUNCTIONS[op].toString()};`;
  const expr = `f(${NAMES.slice(0, kinds.length).join(', ')})`;
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
    return new Function('out', 'data', 'consts', 'shape', 'strides', `"use strict";\n${fn}\n${prologue}\n${body}`) as Loop;
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
