/**
 * Node only: the IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): bytes 0-1 zero,
 * byte 2 the element type, byte 3 the rank, then one big-endian u32 per dimension, then the elements in
 * row-major order. Files may be gzipped (the Debian package and the official downloads are); gzip is
 * recognised by its magic bytes, not the name, so a renamed file still reads.
 */
import { open, readFile } from 'node:fs/promises';
import { constants, gunzipSync } from 'node:zlib';

export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

/** Element type codes of the format; only u8 is read (MNIST-like sets store pixels and labels as u8). */
const IDX_TYPES: Record<number, string> = { 0x08: 'u8', 0x09: 'i8', 0x0b: 'i16', 0x0c: 'i32', 0x0d: 'f32', 0x0e: 'f64' };

const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** Header of an IDX buffer: shape and where the data starts. `source` names the file in errors. */
function parseIdxHeader(bytes: Uint8Array, source: string): { shape: number[]; offset: number } {
  if (bytes.length < 4) throw new Error(`${source}: truncated IDX file (${bytes.length} bytes, no header)`);
  const typeName = IDX_TYPES[bytes[2]];
  if (bytes[0] !== 0 || bytes[1] !== 0 || typeName === undefined || bytes[3] === 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${source}: bad IDX magic number ${magic} (expected 00 00 <type> <rank>, e.g. 00 00 08 03)`);
  }
  if (typeName !== 'u8') throw new Error(`${source}: IDX element type is ${typeName}, only u8 is supported`);
  const rank = bytes[3];
  const offset = 4 + 4 * rank;
  if (bytes.length < offset) throw new Error(`${source}: truncated IDX header (rank ${rank} needs ${offset} bytes, file has ${bytes.length})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: rank }, (_, d) => view.getUint32(4 + 4 * d, false));
  return { shape, offset };
}

/** Parses a whole (already decompressed) IDX buffer; the data is a view into `bytes`, not a copy. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const { shape, offset } = parseIdxHeader(bytes, source);
  const size = shape.reduce((a, b) => a * b, 1);
  const have = bytes.length - offset;
  if (have < size) throw new Error(`${source}: truncated IDX data (shape [${shape}] needs ${size} bytes, file has ${have})`);
  if (have > size) throw new Error(`${source}: ${have - size} bytes after the IDX data of shape [${shape}]`);
  return { shape, data: bytes.subarray(offset) };
}

function gunzip(bytes: Uint8Array, path: string, partial = false): Buffer {
  try {
    // SYNC_FLUSH lets a prefix of a gzip stream decompress to what it holds (for reading headers alone).
    return gunzipSync(bytes, partial ? { finishFlush: constants.Z_SYNC_FLUSH } : {});
  } catch (e) {
    throw new Error(`${path}: gzip data is damaged (${(e as Error).message})`);
  }
}

/** Reads a raw or gzipped IDX file. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  const bytes = await readFile(path);
  return parseIdx(isGzip(bytes) ? gunzip(bytes, path) : bytes, path);
}

/** The shape in an IDX file's header, reading only its first few KiB: a cheap check before a full load. */
export async function readIdxShape(path: string): Promise<number[]> {
  const file = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4096), 0, 4096, 0);
    const head = buffer.subarray(0, bytesRead);
    return parseIdxHeader(isGzip(head) ? gunzip(head, path, true) : head, path).shape;
  } finally {
    await file.close();
  }
}
