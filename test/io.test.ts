/**
 * engine/io: the safetensors format (round trips, a file written by PyTorch's convention, clear errors
 * for damaged files), atomic writes and phase checkpoints. CPU backend; files under a fresh temp dir.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ms from '../index.js';
import { decodeSafetensors, encodeSafetensors, loadTensors, saveTensors, type SafeTensor } from '../engine/io/safetensors.js';
import { readJsonFile, writeFileAtomic } from '../engine/io/atomic-file.js';
import { listCheckpoints, loadCheckpoint, saveCheckpoint } from '../engine/io/checkpoint.js';

let tmp: string;
beforeAll(async () => {
  await ms.setBackend('cpu');
  tmp = await mkdtemp(join(tmpdir(), 'maskscope-io-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A file with a hand-written header (object or raw text) followed by `data` bytes. */
function craft(header: object | string, data: number | Uint8Array = 0): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + text.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(body, 8 + text.length);
  return out;
}

describe('safetensors format', () => {
  const sample: Record<string, SafeTensor> = {
    w: { dtype: 'F32', shape: [2, 3], data: Float32Array.of(1, -2.5, 3e-7, Infinity, -0, 6) },
    idx: { dtype: 'I32', shape: [3], data: Int32Array.of(-2147483648, 0, 2147483647) },
    u: { dtype: 'U32', shape: [1, 2], data: Uint32Array.of(0, 4294967295) },
    scalar: { dtype: 'F32', shape: [], data: Float32Array.of(42) },
    empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
    '0': { dtype: 'I32', shape: [1], data: Int32Array.of(7) },
  };

  it('round trips every dtype, empty shapes, zero-size tensors and metadata', () => {
    const bytes = encodeSafetensors(sample, { format: 'pt', note: 'ünïcode ✓' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(sample).sort());
    for (const [name, t] of Object.entries(sample)) {
      expect(tensors[name].dtype).toBe(t.dtype);
      expect(tensors[name].stored).toBe(t.dtype);
      expect(tensors[name].shape).toEqual(t.shape);
      expect(tensors[name].data).toBeInstanceOf(t.data.constructor);
      expect(Array.from(tensors[name].data)).toEqual(Array.from(t.data));
    }
    expect(Object.is(tensors.w.data[4], -0)).toBe(true);
  });

  it('is deterministic: sorted names, independent of insertion order', () => {
    const reversed = Object.fromEntries(Object.entries(sample).reverse());
    expect(encodeSafetensors(reversed)).toEqual(encodeSafetensors(sample));
    const header = new TextDecoder().decode(encodeSafetensors(sample)).slice(8);
    expect(header.indexOf('"0"')).toBeLessThan(header.indexOf('"empty"'));
    expect(header.indexOf('"empty"')).toBeLessThan(header.indexOf('"w"'));
    expect(decodeSafetensors(encodeSafetensors({})).tensors).toEqual({});
  });

  it('reads unaligned data from a subarray', () => {
    const bytes = encodeSafetensors(sample);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(Array.from(decodeSafetensors(shifted.subarray(3)).tensors.w.data)).toEqual(Array.from(sample.w.data));
  });

  it('decodes a file written the PyTorch way (test/fixtures/make_safetensors.py)', async () => {
    const { tensors: t, metadata } = decodeSafetensors(await readFile(new URL('./fixtures/torch.safetensors', import.meta.url)));
    expect(metadata).toEqual({ format: 'pt' });
    const f = (xs: number[]) => xs.map(Math.fround);
    expect(t.weight).toMatchObject({ dtype: 'F32', stored: 'F32', shape: [2, 3] });
    expect(Array.from(t.weight.data)).toEqual(f([1.5, -2.25, 3, 0.1, 1e-8, -1e30]));
    expect(t.double).toMatchObject({ dtype: 'F32', stored: 'F64', shape: [3] });
    expect(Array.from(t.double.data)).toEqual([Math.fround(0.1), -Infinity, 2.5]);
    expect(t.half).toMatchObject({ dtype: 'F32', stored: 'F16' });
    expect(Array.from(t.half.data)).toEqual([0.5, -2, 65504, 2 ** -24, Infinity]);
    expect(t.brain).toMatchObject({ dtype: 'F32', stored: 'BF16' });
    expect(Array.from(t.brain.data)).toEqual([1, -3.5, 9.972771014849226e19]);
    expect(t.index).toMatchObject({ dtype: 'I32', stored: 'I64' });
    expect(Array.from(t.index.data)).toEqual([0, -1, 2147483647, -2147483648]);
    expect(t.count).toMatchObject({ dtype: 'I32', stored: 'I32', shape: [2, 1] });
    expect(Array.from(t.count.data)).toEqual([7, -9]);
    expect(t.bytes).toMatchObject({ dtype: 'I32', stored: 'U8' });
    expect(Array.from(t.bytes.data)).toEqual([0, 1, 255]);
    expect(t.mask).toMatchObject({ dtype: 'F32', stored: 'BOOL', shape: [2, 2] });
    expect(Array.from(t.mask.data)).toEqual([1, 0, 0, 1]);
    expect(t.scalar).toMatchObject({ shape: [] });
    expect(Array.from(t.scalar.data)).toEqual([4]);
    expect(t.empty).toMatchObject({ shape: [0, 4] });
    expect(t.empty.data.length).toBe(0);
    expect(t.transposed.shape).toEqual([3, 2]);
    expect(Array.from(t.transposed.data)).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it('rejects I64 values outside int32', () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigInt64(8, 4294967296n, true);
    expect(() => decodeSafetensors(craft({ i: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, data))).toThrow(
      'safetensors: tensor "i" is I64 and element 1 is 4294967296, outside the int32 range',
    );
  });

  it('truncated files say so', () => {
    const bytes = encodeSafetensors(sample);
    expect(() => decodeSafetensors(bytes.subarray(0, 5))).toThrow('safetensors: file is 5 bytes, too short');
    expect(() => decodeSafetensors(bytes.subarray(0, 100))).toThrow(/safetensors: header length \d+ exceeds file size 100/);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/safetensors: file is truncated: tensor "w" needs data bytes \[\d+, \d+\] but only \d+ bytes follow/);
  });

  it('corrupt headers give clear errors', () => {
    expect(() => decodeSafetensors(craft('{"w": {"dtype": "F32",'))).toThrow(/safetensors: header is not valid JSON/);
    expect(() => decodeSafetensors(craft('[1, 2]'))).toThrow('safetensors: header must be a JSON object, got an array');
    const bad = craft('{}    ');
    bad[9] = 0xff;
    expect(() => decodeSafetensors(bad)).toThrow('safetensors: header is not valid UTF-8');
    expect(() => decodeSafetensors(craft({ w: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 1))).toThrow(
      'safetensors: tensor "w" has unknown dtype "F8" (supported: F64, F32, F16, BF16, I64, I32, U32, U8, BOOL)',
    );
    expect(() => decodeSafetensors(craft({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }))).toThrow(/tensor "w" has shape \[-1\]; dimensions must be non-negative integers/);
    expect(() => decodeSafetensors(craft({ w: { dtype: 'F32', shape: [1] } }))).toThrow(/tensor "w" has data_offsets undefined, not two non-negative integers/);
    expect(() => decodeSafetensors(craft({ w: 3 }))).toThrow(/tensor "w" must be an object/);
    expect(() => decodeSafetensors(craft({ __metadata__: { n: 1 } }))).toThrow('safetensors: "__metadata__" value "n" must be a string, got 1');
    // padding with spaces is allowed (JSON whitespace)
    expect(decodeSafetensors(craft('{"__metadata__":{"a":"b"}}      ')).metadata).toEqual({ a: 'b' });
  });

  it('bad offsets give clear errors', () => {
    const w = (data_offsets: number[], shape = [2, 3]) => ({ dtype: 'F32', shape, data_offsets });
    expect(() => decodeSafetensors(craft({ w: w([0, 10]) }, 10))).toThrow('safetensors: tensor "w" has data_offsets [0, 10] but shape [2,3] F32 needs 24 bytes');
    expect(() => decodeSafetensors(craft({ w: w([24, 0]) }, 24))).toThrow('tensor "w" has data_offsets [24, 0] that end before they begin');
    expect(() => decodeSafetensors(craft({ a: w([0, 24]), b: w([16, 40]) }, 40))).toThrow('safetensors: tensors "a" [0, 24] and "b" [16, 40] overlap');
    expect(() => decodeSafetensors(craft({ a: w([0, 24]), b: w([28, 52]) }, 52))).toThrow('safetensors: 4 unused bytes before tensor "b"');
    expect(() => decodeSafetensors(craft({ a: w([0, 24]) }, 30))).toThrow('safetensors: 6 bytes of data after the last tensor');
    expect(() => decodeSafetensors(craft({ a: w([100, 124]) }, 24))).toThrow(/file is truncated: tensor "a" needs data bytes \[100, 124\] but only 24 bytes follow/);
  });

  it('encoding rejects inconsistent input', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow('safetensors: tensor "w" has 3 values but shape [2,2] needs 4');
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Int32Array(1) } })).toThrow('tensor "w" is F32 but its data is a Int32Array');
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [], data: new Float32Array(1) } })).toThrow(/reserved/);
  });

  it('saveTensors / loadTensors go through engine tensors', async () => {
    const named = { a: ms.tensor([[1, 2], [3, 4]]), i: ms.tensor([5, -6], [2], 'i32'), u: ms.tensor([7], [], 'u32'), z: ms.zeros([0, 3]) };
    const loaded = loadTensors(await saveTensors(named, { k: 'v' }));
    for (const [name, t] of Object.entries(named)) {
      expect(loaded[name].shape).toEqual(t.shape);
      expect(loaded[name].dtype).toBe(t.dtype);
      expect(Array.from(await loaded[name].toArray())).toEqual(Array.from(await t.toArray()));
    }
    const fromTorch = loadTensors(await readFile(new URL('./fixtures/torch.safetensors', import.meta.url)));
    expect(fromTorch.mask.dtype).toBe('f32');
    expect(fromTorch.index.dtype).toBe('i32');
    // a BOOL mask arrives as f32 0/1, ready to multiply weights
    expect(Array.from(await ms.tensor([[2, 3], [4, 5]]).mul(fromTorch.mask).toArray())).toEqual([2, 0, 0, 5]);
  });
});

describe('atomic files', () => {
  const temps = async (dir: string) => (await readdir(dir)).filter((n) => n.includes('.tmp-'));

  it('replaces the target completely and leaves no temp files', async () => {
    const dir = await mkdtemp(join(tmp, 'atomic-'));
    const target = join(dir, 'a.bin');
    await writeFileAtomic(target, 'old content that is longer');
    await writeFileAtomic(target, Uint8Array.of(1, 2, 3));
    expect(Array.from(await readFile(target))).toEqual([1, 2, 3]);
    expect(await temps(dir)).toEqual([]);
  });

  it('a failed write errors and never touches the target', async () => {
    await expect(writeFileAtomic(join(tmp, 'no-such-dir', 'x.json'), '{}')).rejects.toThrow(/writeFileAtomic: cannot write .*no-such-dir.*ENOENT/);
    // the rename fails (target is a non-empty directory): temp removed, target as it was
    const dir = await mkdtemp(join(tmp, 'atomic-'));
    const target = join(dir, 'busy');
    await mkdir(target);
    await writeFile(join(target, 'keep'), 'kept');
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow(/writeFileAtomic: cannot write/);
    expect(await readFile(join(target, 'keep'), 'utf8')).toBe('kept');
    expect(await temps(dir)).toEqual([]);
  });

  it('readJsonFile names the file and what it is', async () => {
    const dir = await mkdtemp(join(tmp, 'json-'));
    await expect(readJsonFile(join(dir, 'gone.json'), 'run config')).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringMatching(/^run config .*gone\.json does not exist$/) });
    await writeFile(join(dir, 'cut.json'), '{"a": [1, 2');
    await expect(readJsonFile(join(dir, 'cut.json'), 'run config')).rejects.toThrow(/^run config .*cut\.json is not valid JSON .*delete cut\.json/);
    await writeFile(join(dir, 'empty.json'), '');
    await expect(readJsonFile(join(dir, 'empty.json'), 'run config')).rejects.toThrow(/is not valid JSON \(it is empty\)/);
    await writeFileAtomic(join(dir, 'ok.json'), JSON.stringify({ a: 1 }));
    expect(await readJsonFile<{ a: number }>(join(dir, 'ok.json'), 'run config')).toEqual({ a: 1 });
  });
});

describe('checkpoints', () => {
  const tensors = () => ({ w: ms.tensor([[0.5, -1], [2, 3]]), steps: ms.tensor([10, 20], [2], 'i32') });

  it('round trips tensors and state; lists finished phases', async () => {
    const dir = join(tmp, 'run-a'); // created by saveCheckpoint
    expect(await listCheckpoints(dir)).toEqual([]);
    expect(await loadCheckpoint(dir, 'train')).toBeNull();
    await saveCheckpoint(dir, 'train', tensors(), { step: 100, loss: 0.25 });
    await saveCheckpoint(dir, 'mask-1', { m: ms.ones([3]) }, {});
    const got = await loadCheckpoint(dir, 'train');
    expect(got!.state).toEqual({ step: 100, loss: 0.25 });
    expect(Array.from(await got!.tensors.w.toArray())).toEqual([0.5, -1, 2, 3]);
    expect(got!.tensors.steps.dtype).toBe('i32');
    expect(await listCheckpoints(dir)).toEqual(['mask-1', 'train']);
    // a saved-over phase holds the new data
    await saveCheckpoint(dir, 'train', { w: ms.zeros([1]) }, { step: 200 });
    expect((await loadCheckpoint(dir, 'train'))!.state).toEqual({ step: 200 });
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('a data file without its JSON is an unfinished phase', async () => {
    const dir = join(tmp, 'run-b');
    await saveCheckpoint(dir, 'train', tensors(), {});
    await rm(join(dir, 'train.json'));
    expect(await loadCheckpoint(dir, 'train')).toBeNull();
    expect(await listCheckpoints(dir)).toEqual([]);
  });

  it('truncated, missing or tampered data files give the clear error', async () => {
    const dir = join(tmp, 'run-c');
    await saveCheckpoint(dir, 'train', tensors(), { step: 1 });
    const data = join(dir, 'train.safetensors');
    const size = (await stat(data)).size;
    const original = await readFile(data);

    await truncate(data, 50);
    await expect(loadCheckpoint(dir, 'train')).rejects.toThrow(
      `checkpoint ${dir}/train: safetensors file is truncated (50 of ${size} bytes) — delete the folder or the phase files to start that phase again`,
    );
    expect(await listCheckpoints(dir)).toEqual([]);

    const tampered = Uint8Array.from(original);
    tampered[size - 1] ^= 1;
    await writeFile(data, tampered);
    await expect(loadCheckpoint(dir, 'train')).rejects.toThrow(/checkpoint .*train: safetensors file does not match its SHA-256/);

    await rm(data);
    await expect(loadCheckpoint(dir, 'train')).rejects.toThrow(/checkpoint .*train: safetensors file .*train\.safetensors is missing/);

    await writeFile(data, original);
    await writeFile(join(dir, 'train.json'), '{"format": "maskscope-chec');
    await expect(loadCheckpoint(dir, 'train')).rejects.toThrow(/checkpoint .*train: checkpoint record .*train\.json is not valid JSON/);
  });

  it('a data file that hashes right but does not decode is reported', async () => {
    const dir = join(tmp, 'run-d');
    await saveCheckpoint(dir, 'p', tensors(), {});
    const junk = new TextEncoder().encode('not a safetensors file');
    const record = JSON.parse(await readFile(join(dir, 'p.json'), 'utf8'));
    const { createHash } = await import('node:crypto');
    await writeFile(join(dir, 'p.safetensors'), junk);
    await writeFile(join(dir, 'p.json'), JSON.stringify({ ...record, bytes: junk.length, sha256: createHash('sha256').update(junk).digest('hex') }));
    await expect(loadCheckpoint(dir, 'p')).rejects.toThrow(/checkpoint .*p: cannot decode the safetensors file \(safetensors: header length \d+ exceeds file size 22\)/);
  });

  it('phase names must be safe file names', async () => {
    await expect(saveCheckpoint(tmp, '../escape', {}, {})).rejects.toThrow(/phase name "..\/escape" must be/);
  });
});
