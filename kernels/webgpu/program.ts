/**
 * A WebGPU kernel declared once: its storage buffers, its uniforms, its workgroup size, how it launches
 * for a given size, and the WGSL of its body. `programWgsl` writes the bindings, the `Params` struct and
 * the bounds-check prologue from the declaration; `packUniforms` packs the values by the same list. So a
 * uniform layout, a binding order or a workgroup size is written in one place only.
 */

export type WgslScalar = 'f32' | 'i32' | 'u32';

export interface BufferDecl {
  name: string;
  type: WgslScalar;
  /** Storage buffers are read-only unless declared written. */
  write?: boolean;
  /** Written with atomic operations (array<atomic<type>>; implies write). */
  atomic?: boolean;
}

/**
 * One uniform. A scalar, or (`length`) an array of u32 words, packed four to a vec4 (WGSL's uniform
 * layout) and read in WGSL through the generated `<name>_at(k)`.
 */
export interface UniformDecl {
  name: string;
  type: WgslScalar;
  length?: number;
}

/**
 * How a program launches; the caller gives the count of a 'threads' or 'groups' launch.
 * - 'threads': one invocation per index `i` in [0, count), folded into a 2-D grid past the per-dimension
 *   limit; the prologue computes `i` and returns past the end.
 * - 'groups': one workgroup per index `group` in [0, count), folded the same way; the whole workgroup
 *   returns past the end (so barriers stay in uniform control flow).
 * - `grid`: the grid follows from the uniforms (e.g. tiles of a matmul); the body checks its own bounds.
 */
export type Launch = 'threads' | 'groups' | { grid: (u: UniformValues) => [number, number, number] };

export type UniformValues = Readonly<Record<string, number | readonly number[]>>;

export interface Program {
  /** Names the kernel in errors. */
  name: string;
  buffers: readonly BufferDecl[];
  uniforms: readonly UniformDecl[];
  workgroupSize: number | readonly [number, number];
  launch: Launch;
  /** WGSL written before `main`: shared snippets (kernels/webgpu/snippets.ts), helpers, workgroup arrays. */
  helpers?: readonly string[];
  /** The body of `main`, after the prologue. Builtins: gid, lid, wid (vec3<u32>), lindex (u32). */
  body: string;
}

/** Uniforms the runtime adds to a folded launch: the bound, and the threads (or groups) per grid row. */
const LAUNCH_UNIFORMS: readonly UniformDecl[] = [{ name: 'count', type: 'u32' }, { name: 'row_stride', type: 'u32' }];

export const launchKind = (p: Program): 'threads' | 'groups' | 'grid' => (typeof p.launch === 'string' ? p.launch : 'grid');

/** Every uniform of the program, the launch's own first. */
const allUniforms = (p: Program): readonly UniformDecl[] => (launchKind(p) === 'grid' ? p.uniforms : [...LAUNCH_UNIFORMS, ...p.uniforms]);

interface Field {
  decl: UniformDecl;
  /** Word offset in the packed uniforms. */
  word: number;
}

/** WGSL's uniform layout: scalars take one word, arrays start on a 16-byte boundary; the struct is padded to 16. */
function layout(decls: readonly UniformDecl[]): { fields: Field[]; words: number } {
  const fields: Field[] = [];
  let word = 0;
  for (const decl of decls) {
    if (decl.length !== undefined) word = Math.ceil(word / 4) * 4;
    fields.push({ decl, word });
    word += decl.length === undefined ? 1 : Math.ceil(decl.length / 4) * 4;
  }
  return { fields, words: Math.max(4, Math.ceil(word / 4) * 4) };
}

const layouts = new WeakMap<Program, ReturnType<typeof layout>>();
function layoutOf(p: Program): ReturnType<typeof layout> {
  let l = layouts.get(p);
  if (!l) layouts.set(p, (l = layout(allUniforms(p))));
  return l;
}

/** The WGSL source of a program. */
export function programWgsl(p: Program): string {
  const lines: string[] = [];
  p.buffers.forEach((b, i) => {
    const element = b.atomic ? `atomic<${b.type}>` : b.type;
    lines.push(`@group(0) @binding(${i}) var<storage, ${b.write || b.atomic ? 'read_write' : 'read'}> ${b.name}: array<${element}>;`);
  });
  const { fields } = layoutOf(p);
  if (fields.length > 0) {
    const members: string[] = [];
    let word = 0;
    for (const f of fields) {
      for (; word < f.word; word++) members.push(`pad${word}: u32`);
      if (f.decl.length === undefined) {
        members.push(`${f.decl.name}: ${f.decl.type}`);
        word++;
      } else {
        const vecs = Math.ceil(f.decl.length / 4);
        members.push(`${f.decl.name}: array<vec4<${f.decl.type}>, ${vecs}>`);
        word += vecs * 4;
      }
    }
    lines.push(`struct Params { ${members.join(', ')} }`);
    lines.push(`@group(0) @binding(${p.buffers.length}) var<uniform> p: Params;`);
    for (const f of fields) {
      if (f.decl.length !== undefined) {
        lines.push(`fn ${f.decl.name}_at(k: u32) -> ${f.decl.type} { return p.${f.decl.name}[k / 4u][k % 4u]; }`);
      }
    }
  }
  lines.push(...new Set(p.helpers ?? []));
  const size = typeof p.workgroupSize === 'number' ? `${p.workgroupSize}` : p.workgroupSize.join(', ');
  const kind = launchKind(p);
  const prologue =
    kind === 'threads'
      ? 'let i = gid.x + gid.y * p.row_stride;\n  if (i >= p.count) { return; }'
      : kind === 'groups'
        ? 'let group = wid.x + wid.y * p.row_stride;\n  if (group >= p.count) { return; }'
        : '';
  lines.push(`@compute @workgroup_size(${size})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lindex: u32) {
  ${prologue}
  ${p.body.trim()}
}`);
  return lines.join('\n');
}

const f32Scratch = new Float32Array(1);
const u32OfF32 = new Uint32Array(f32Scratch.buffer);

/** The uniform words of one launch. Every declared uniform must be given, and nothing else. */
export function packUniforms(p: Program, values: UniformValues): Uint32Array {
  const { fields, words } = layoutOf(p);
  const out = new Uint32Array(words);
  for (const { decl, word } of fields) {
    const v = values[decl.name];
    if (v === undefined) throw new Error(`${p.name}: uniform '${decl.name}' was not given`);
    const list = typeof v === 'number' ? [v] : v;
    if ((decl.length === undefined) !== (typeof v === 'number') || (decl.length !== undefined && list.length > decl.length)) {
      throw new Error(`${p.name}: uniform '${decl.name}' expects ${decl.length === undefined ? 'a number' : `at most ${decl.length} numbers`}`);
    }
    list.forEach((x, k) => {
      if (decl.type === 'f32') {
        f32Scratch[0] = x;
        out[word + k] = u32OfF32[0];
      } else out[word + k] = x >>> 0;
    });
  }
  const known = new Set(fields.map((f) => f.decl.name));
  for (const name of Object.keys(values)) {
    if (!known.has(name)) throw new Error(`${p.name}: unknown uniform '${name}'`);
  }
  return out;
}

/** Threads (or workgroup lanes) of one workgroup. */
export const workgroupThreads = (p: Program): number =>
  typeof p.workgroupSize === 'number' ? p.workgroupSize : p.workgroupSize[0] * p.workgroupSize[1];

/** A program factory that builds each variant once (its WGSL and pipeline are then cached by identity). */
export function variants<A extends unknown[]>(make: (...args: A) => Program): (...args: A) => Program {
  const cache = new Map<string, Program>();
  return (...args: A) => {
    const key = JSON.stringify(args);
    let p = cache.get(key);
    if (!p) cache.set(key, (p = make(...args)));
    return p;
  };
}
