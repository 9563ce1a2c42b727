/**
 * Crash-safe file writes (Node only). A run can be killed at any moment (out of memory, Ctrl-C, a
 * preempted machine); a checkpoint must then be either the old file or the new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/**
 * Writes `data` to a temporary file beside `path`, fsyncs it, renames it over `path` (atomic within a
 * directory on POSIX and NTFS) and fsyncs the directory so the rename itself survives a power cut.
 * On failure the temporary file is removed and `path` is untouched.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, 'wx'); // 'wx': never share a temp file with another writer
    await fh.writeFile(data);
    await fh.sync(); // the data must be on disk before the rename makes it visible
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => {});
    await rm(tmp, { force: true }).catch(() => {});
    throw withCode(`writeFileAtomic: cannot write ${path}: ${(e as Error).message}`, e);
  }
  await syncDir(dirname(path));
}

/** Best effort: some platforms (Windows) and file systems cannot open or fsync a directory. */
async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // the rename already happened; durability of the directory entry is all that is at stake
  } finally {
    await fh?.close().catch(() => {});
  }
}

/**
 * Reads and parses a JSON file. Errors name the file and what it is (`what`, e.g. "checkpoint state");
 * they carry the fs error's `code` (ENOENT when missing) so callers can treat a missing file specially.
 */
export async function readJsonFile<T>(path: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
    throw withCode(`${what} ${path} ${why}`, e);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const hint = text.trim() === '' ? 'it is empty' : `${(e as Error).message}`;
    throw new Error(`${what} ${path} is not valid JSON (${hint}); it may be corrupt or from an interrupted write — delete ${basename(path)} and regenerate it`, { cause: e });
  }
}

function withCode(message: string, cause: unknown): Error {
  return Object.assign(new Error(message, { cause }), { code: (cause as NodeJS.ErrnoException)?.code });
}
