/**
 * Checks of what a caller passes to a public function, so that a typo or a wrong type is an error naming
 * the function and the key instead of a silently ignored setting.
 */
import type { DType } from './dtype.js';

/** A value's expected type, or the strings it may be; 'any' when the function checks the value itself. */
export type OptionType = 'boolean' | 'number' | 'string' | 'function' | 'object' | 'array' | 'any' | readonly string[];

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`);

/**
 * `opts` must be undefined (when nothing is required) or an object whose keys are in `spec`, whose values
 * (unless undefined) have the declared types, and which has every `required` key.
 */
export function checkOptions(fn: string, opts: unknown, spec: Readonly<Record<string, OptionType>>, required: readonly string[] = []): void {
  if (opts === undefined && required.length === 0) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new Error(`${fn}: options must be an object, got ${describe(opts)}`);
  for (const key of required) {
    if ((opts as Record<string, unknown>)[key] === undefined) throw new Error(`${fn}: option '${key}' is required`);
  }
  for (const [key, value] of Object.entries(opts)) {
    const type = spec[key];
    if (type === undefined) throw new Error(`${fn}: unknown option '${key}' (known: ${Object.keys(spec).join(', ')})`);
    if (value === undefined) continue;
    const ok = type === 'any' || (Array.isArray(type)
      ? type.includes(value as string)
      : type === 'array'
        ? Array.isArray(value)
        : type === 'object'
          ? value !== null && typeof value === 'object'
          : typeof value === type);
    if (!ok) {
      const want = Array.isArray(type) ? `one of ${type.map((t) => `'${t}'`).join(', ')}` : `${type === 'array' || type === 'object' ? 'an' : 'a'} ${type}`;
      throw new Error(`${fn}: option '${key}' must be ${want}, got ${describe(value)}`);
    }
    if (type === 'number' && !Number.isFinite(value)) throw new Error(`${fn}: option '${key}' must be a finite number, got ${value}`);
  }
}

const DTYPES: readonly DType[] = ['f32', 'i32', 'u32'];

/** A dtype argument: one of 'f32', 'i32', 'u32' (anything else, e.g. 'int32' or an options object, is an error). */
export function checkDtype(fn: string, dtype: unknown): DType {
  if (typeof dtype === 'string' && (DTYPES as readonly string[]).includes(dtype)) return dtype as DType;
  throw new Error(`${fn}: unknown dtype ${describe(dtype)} (use 'f32', 'i32' or 'u32')`);
}
