/**
 * The safetensors format (Hugging Face / PyTorch): an 8-byte little-endian u64 header length N, N bytes
 * of UTF-8 JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { k: v } }`, then
 * the raw little-endian data, offsets relative to the first byte after the header.
 *
 * Pure and browser-safe (no Node imports). Decoding validates the way the reference Rust implementation
 * does — tensors must tile the data section exactly — so a truncated, padded or spliced file is caught
 * here with an error that names the problem, instead of surfacing later as silently wrong weights.
 */
import type { DType } from '../dtype.js';
import { tensor } from '../create.js';
import type { Tensor } from '../tensor.js';

/** The dtypes the engine holds; encoding writes only these. */
export type EngineDtype = 'F32' | 'I32' | 'U32';
/**
 * Dtypes decoding accepts, with what they become: F64, F16, BF16 -> F32; I64 -> I32 (error if a value
 * is outside int32); BOOL -> F32 0/1 (masks multiply weights); U8 -> I32.
 */
export type StoredDtype = EngineDtype | 'F64' | 'F16' | 'BF16' | 'I64' | 'BOOL' | 'U8';

export type EngineArray = Float32Array | Int32Array | Uint32Array;
export interface SafeTensor {
  dtype: EngineDtype;
  shape: number[];
  data: EngineArray;
}
export interface DecodedTensor extends SafeTensor {
  /** The dtype as stored in the file, before conversion to `dtype`. */
  stored: StoredDtype;
}

const ITEM_BYTES: Record<StoredDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U32: 4, U8: 1, BOOL: 1 };
const METADATA = '__metadata__';
/** Whether typed arrays are already little-endian, so bytes can be copied instead of converted. */
const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function fail(msg: string): never {
  throw new Error(`safetensors: ${msg}`);
}
const fmtShape = (shape: readonly number[]): string => `[${shape.join(',')}]`;

// ---- encoding ------------------------------------------------------------------------------------

/** Deterministic: tensors in sorted name order, header padded with spaces to a multiple of 8 bytes. */
export function encodeSafetensors(tensors: Record<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const entries: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail(`metadata "${k}" must be a string, got ${typeof v}`);
    }
    entries.push(`${JSON.stringify(METADATA)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA) fail(`"${METADATA}" is reserved and cannot name a tensor`);
    const { dtype, shape, data } = tensors[name];
    const n = checkShape(name, shape);
    const expected = dtype === 'F32' ? Float32Array : dtype === 'I32' ? Int32Array : dtype === 'U32' ? Uint32Array : null;
    if (!expected) fail(`tensor "${name}" has dtype "${dtype}"; encoding writes F32, I32 or U32`);
    if (!(data instanceof expected)) fail(`tensor "${name}" is ${dtype} but its data is a ${data?.constructor?.name}`);
    if (data.length !== n) fail(`tensor "${name}" has ${data.length} values but shape ${fmtShape(shape)} needs ${n}`);
    const entry = { dtype, shape, data_offsets: [offset, offset + data.byteLength] };
    entries.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    offset += data.byteLength;
  }
  // Built by hand, not JSON.stringify(object): objects put integer-like keys ("0", "1") first.
  const json = `{${entries.join(',')}}`;
  const jsonBytes = new TextEncoder().encode(json).length;
  const header = new TextEncoder().encode(json + ' '.repeat(Math.ceil(jsonBytes / 8) * 8 - jsonBytes));

  const out = new Uint8Array(8 + header.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let pos = 8 + header.length;
  for (const name of names) {
    const { dtype, data } = tensors[name];
    if (HOST_LE) out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    else for (let i = 0; i < data.length; i++) {
      if (dtype === 'F32') view.setFloat32(pos + 4 * i, data[i], true);
      else if (dtype === 'I32') view.setInt32(pos + 4 * i, data[i], true);
      else view.setUint32(pos + 4 * i, data[i], true);
    }
    pos += data.byteLength;
  }
  return out;
}

// ---- decoding ------------------------------------------------------------------------------------

interface Entry {
  name: string;
  stored: StoredDtype;
  shape: number[];
  begin: number;
  end: number;
}

export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, DecodedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short to hold the 8-byte header length (truncated file?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) fail(`header length ${headerLen} exceeds file size ${bytes.length}`);
  const start = 8 + Number(headerLen);
  const dataLen = bytes.length - start;

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, start));
  } catch {
    fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`header is not valid JSON (${(e as Error).message}); header starts ${JSON.stringify(text.slice(0, 40))}`);
  }
  if (!isObject(header)) fail(`header must be a JSON object, got ${header === null ? 'null' : Array.isArray(header) ? 'an array' : typeof header}`);
  const head = header as Record<string, unknown>;

  const metadata = parseMetadata(head[METADATA]);
  const entries = Object.keys(head).filter((k) => k !== METADATA).map((name) => parseEntry(name, head[name]));
  checkLayout(entries, dataLen);

  const tensors = Object.fromEntries(
    entries.map((e) => [e.name, { ...convert(e, new DataView(bytes.buffer, bytes.byteOffset + start + e.begin, e.end - e.begin)), shape: e.shape, stored: e.stored }]),
  );
  return { tensors, metadata };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isObject(raw)) fail(`"${METADATA}" must be an object of strings`);
  for (const [k, v] of Object.entries(raw as object)) {
    if (typeof v !== 'string') fail(`"${METADATA}" value "${k}" must be a string, got ${JSON.stringify(v)}`);
  }
  return Object.fromEntries(Object.entries(raw as Record<string, string>));
}

function parseEntry(name: string, raw: unknown): Entry {
  if (!isObject(raw)) fail(`tensor "${name}" must be an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in ITEM_BYTES)) {
    fail(`tensor "${name}" has unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEM_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape)) fail(`tensor "${name}" has shape ${JSON.stringify(shape)}, not an array`);
  const n = checkShape(name, shape as number[]);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    fail(`tensor "${name}" has data_offsets ${JSON.stringify(offsets)}, not two non-negative integers`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end) fail(`tensor "${name}" has data_offsets [${begin}, ${end}] that end before they begin`);
  const stored = dtype as StoredDtype;
  const need = n * ITEM_BYTES[stored];
  if (end - begin !== need) {
    fail(`tensor "${name}" has data_offsets [${begin}, ${end}] but shape ${fmtShape(shape as number[])} ${stored} needs ${need} bytes`);
  }
  return { name, stored, shape: [...(shape as number[])], begin, end };
}

/** Tensors, sorted by offset, must cover the data section exactly: no overlap, gap or trailing bytes. */
function checkLayout(entries: Entry[], dataLen: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const last = sorted.reduce<Entry | null>((m, e) => (m && m.end >= e.end ? m : e), null);
  if (last && last.end > dataLen) {
    fail(`file is truncated: tensor "${last.name}" needs data bytes [${last.begin}, ${last.end}] but only ${dataLen} bytes follow the header`);
  }
  let cursor = 0;
  let prev: Entry | null = null;
  for (const e of sorted) {
    if (e.begin < cursor) fail(`tensors "${prev!.name}" [${prev!.begin}, ${prev!.end}] and "${e.name}" [${e.begin}, ${e.end}] overlap`);
    if (e.begin > cursor) fail(`${e.begin - cursor} unused bytes before tensor "${e.name}" (data_offsets [${e.begin}, ${e.end}]); offsets must be contiguous`);
    cursor = e.end;
    prev = e;
  }
  if (cursor < dataLen) fail(`${dataLen - cursor} bytes of data after the last tensor (file has extra bytes, or the header lost an entry)`);
}

/** Converts one tensor's bytes to what the engine holds. */
function convert(e: Entry, v: DataView): { dtype: EngineDtype; data: EngineArray } {
  const n = v.byteLength / ITEM_BYTES[e.stored];
  switch (e.stored) {
    case 'F32':
    case 'I32':
    case 'U32': {
      const Ctor = e.stored === 'F32' ? Float32Array : e.stored === 'I32' ? Int32Array : Uint32Array;
      // Copy into a fresh buffer: the file's offset may not be 4-byte aligned for a direct view.
      const copy = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
      const data = new Ctor(copy.buffer);
      if (!HOST_LE) for (let i = 0; i < n; i++) data[i] = e.stored === 'F32' ? v.getFloat32(4 * i, true) : e.stored === 'I32' ? v.getInt32(4 * i, true) : v.getUint32(4 * i, true);
      return { dtype: e.stored, data };
    }
    case 'F64':
      return { dtype: 'F32', data: Float32Array.from({ length: n }, (_, i) => v.getFloat64(8 * i, true)) };
    case 'F16':
      return { dtype: 'F32', data: Float32Array.from({ length: n }, (_, i) => halfToFloat(v.getUint16(2 * i, true))) };
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const bits = Uint32Array.from({ length: n }, (_, i) => v.getUint16(2 * i, true) << 16);
      return { dtype: 'F32', data: new Float32Array(bits.buffer) };
    }
    case 'I64': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const lo = v.getInt32(8 * i, true);
        // Fits int32 exactly when the high word is the sign extension of the low word.
        if (v.getInt32(8 * i + 4, true) !== lo >> 31) {
          fail(`tensor "${e.name}" is I64 and element ${i} is ${v.getBigInt64(8 * i, true)}, outside the int32 range the engine holds`);
        }
        data[i] = lo;
      }
      return { dtype: 'I32', data };
    }
    case 'BOOL':
      return { dtype: 'F32', data: Float32Array.from({ length: n }, (_, i) => (v.getUint8(i) !== 0 ? 1 : 0)) };
    case 'U8':
      return { dtype: 'I32', data: Int32Array.from({ length: n }, (_, i) => v.getUint8(i)) };
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Validates a shape and returns its element count. */
function checkShape(name: string, shape: readonly unknown[]): number {
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`tensor "${name}" has shape ${JSON.stringify(shape)}; dimensions must be non-negative integers`);
  const n = (shape as number[]).reduce((a, d) => a * d, 1);
  if (!Number.isSafeInteger(n)) fail(`tensor "${name}" has shape ${fmtShape(shape as number[])} with too many elements`);
  return n;
}

const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const isObject = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);

// ---- with the engine -----------------------------------------------------------------------------

const TO_FILE: Record<DType, EngineDtype> = { f32: 'F32', i32: 'I32', u32: 'U32' };
const TO_ENGINE: Record<EngineDtype, DType> = { F32: 'f32', I32: 'i32', U32: 'u32' };

/** Reads every tensor back to the host (toArray) and encodes them. */
export async function saveTensors(named: Record<string, Tensor>, metadata?: Record<string, string>): Promise<Uint8Array> {
  const entries = await Promise.all(
    Object.entries(named).map(async ([name, t]): Promise<[string, SafeTensor]> => [name, { dtype: TO_FILE[t.dtype], shape: [...t.shape], data: await t.toArray() }]),
  );
  return encodeSafetensors(Object.fromEntries(entries), metadata);
}

/** Decodes a file into tensors on the active backend (see StoredDtype for dtype conversions). */
export function loadTensors(bytes: Uint8Array): Record<string, Tensor> {
  const { tensors } = decodeSafetensors(bytes);
  const out: [string, Tensor][] = [];
  try {
    for (const [name, t] of Object.entries(tensors)) out.push([name, tensor(t.data, t.shape, TO_ENGINE[t.dtype])]);
  } catch (e) {
    for (const [, t] of out) t.dispose(); // don't leak what was already uploaded
    throw e;
  }
  return Object.fromEntries(out);
}
