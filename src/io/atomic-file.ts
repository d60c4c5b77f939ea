// Small whole files (the epoch file, consumer offsets, the lock and abort markers) written and
// read through a FileIO, so a fault-injecting FileIO reaches them.
//
// writeFileAtomic: the content goes to `<path>.tmp` in the same directory (truncated first, so a
// leftover of a crashed attempt does not matter), is fsynced and closed, then renamed over
// `path`, and the directory is fsynced. After a crash the file holds either the old or the new
// content, never a mix; once it returns, the new content and its name are durable. On failure
// the temporary file is removed (best effort: the first error is the one thrown) and `path` is
// untouched. With `backupPath`, the previous file is renamed there first (same directory), so
// the last two versions are kept; between the two renames `path` is briefly missing, which a
// reader handles by falling back to the backup.
//
// ensureDir: mkdir -p that is durable: every directory it creates has its parent fsynced.
import { dirname } from 'node:path';
import { IoError } from '../errors.js';
import { assert } from '../util/assert.js';
import type { FileIO } from './file-io.js';

/** Files read whole are small; a bigger one is refused instead of read into memory. */
export const SMALL_FILE_MAX_BYTES = 64 << 20;

export interface AtomicWriteOptions {
  /** Rename the current file (if any) to this path before replacing it (same directory). */
  backupPath?: string;
}

export function writeFileAtomic(io: FileIO, path: string, content: Uint8Array | string, options: AtomicWriteOptions = {}): void {
  const bytes = typeof content === 'string' ? new TextEncoder().encode(content) : content;
  const dir = dirname(path);
  assert(options.backupPath === undefined || dirname(options.backupPath) === dir, `backup of ${path} must be in the same directory`);
  const tmp = `${path}.tmp`;
  let fd = -1;
  try {
    fd = io.open(tmp, { create: true });
    io.ftruncate(fd, 0);
    io.pwrite(fd, bytes, 0);
    io.fsync(fd);
    io.close(fd);
    fd = -1;
    if (options.backupPath !== undefined && io.exists(path)) io.rename(path, options.backupPath);
    io.rename(tmp, path);
    io.fsyncDir(dir);
  } catch (err) {
    throw new IoError(`writing ${path}${cleanUp(io, fd, tmp)}`, err);
  }
}

/** The whole file, or null when it does not exist. */
export function readSmallFile(io: FileIO, path: string): Uint8Array | null {
  let fd = -1;
  try {
    fd = io.open(path, { write: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new IoError(`opening ${path}`, err);
  }
  try {
    const sizeBytes = io.size(fd);
    if (sizeBytes > SMALL_FILE_MAX_BYTES) throw new Error(`${sizeBytes} bytes, more than ${SMALL_FILE_MAX_BYTES} for a small file`);
    const bytes = new Uint8Array(sizeBytes);
    const n = io.pread(fd, bytes, 0);
    return bytes.subarray(0, n);
  } catch (err) {
    throw new IoError(`reading ${path}`, err);
  } finally {
    io.close(fd);
  }
}

/** The file as UTF-8 text, or null when it does not exist. */
export function readTextFile(io: FileIO, path: string): string | null {
  const bytes = readSmallFile(io, path);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

/** Remove a file and make the removal durable; false when there was none. */
export function removeFile(io: FileIO, path: string): boolean {
  try {
    io.unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new IoError(`removing ${path}`, err);
  }
  io.fsyncDir(dirname(path));
  return true;
}

/** Create `dir` and its missing parents, fsyncing the parent of each one created. */
export function ensureDir(io: FileIO, dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !io.exists(d); d = dirname(d)) {
    missing.push(d);
    assert(missing.length < 256 && dirname(d) !== d, `ensureDir: no existing ancestor of ${dir}`);
  }
  if (missing.length === 0) return;
  io.mkdirp(dir);
  for (const d of missing.reverse()) io.fsyncDir(dirname(d));
}

/** Close and remove the temporary file after a failed write; returns a note for the error
 * message when that fails too (the write's error stays the one thrown; a leftover .tmp is
 * truncated by the next write). */
function cleanUp(io: FileIO, fd: number, tmp: string): string {
  try {
    if (fd >= 0) io.close(fd);
    if (io.exists(tmp)) io.unlink(tmp);
    return '';
  } catch (err) {
    return ` (removing ${tmp} failed too: ${(err as Error).message})`;
  }
}
