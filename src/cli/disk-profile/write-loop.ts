// Timed sequential writes, the building block of the bandwidth measurements: 1 MiB writes from
// offset 0 until the asked-for bytes are written or the time budget has passed (at least one
// write), then one fdatasync; the elapsed time includes the fdatasync, so the figure is what
// reaching the disk costs, not what filling the page cache costs.
import { randomFillSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { FileIO } from '../../io/file-io.js';
import type { SequentialWrite } from './report-types.js';

export const WRITE_CHUNK_BYTES = 1 << 20;

/** One 1 MiB chunk of random bytes (so compressing file systems cannot shrink the writes),
 *  aligned for O_DIRECT where the backend can align memory. */
export function randomChunk(io: FileIO): Uint8Array {
  const chunk = io.capabilities.directIo ? io.allocAligned(WRITE_CHUNK_BYTES) : new Uint8Array(WRITE_CHUNK_BYTES);
  randomFillSync(chunk);
  return chunk;
}

export function timedSequentialWrite(io: FileIO, fd: number, chunk: Uint8Array, totalBytes: number, budgetMs: number): SequentialWrite {
  const started = performance.now();
  const deadline = started + budgetMs;
  let bytes = 0;
  do {
    const n = Math.min(chunk.byteLength, totalBytes - bytes);
    io.pwrite(fd, n === chunk.byteLength ? chunk : chunk.subarray(0, n), bytes);
    bytes += n;
  } while (bytes < totalBytes && performance.now() < deadline);
  io.fdatasync(fd);
  return rate(bytes, performance.now() - started);
}

export function rate(bytes: number, elapsedMs: number): SequentialWrite {
  const ms = Math.max(elapsedMs, 0.001);
  return { bytes, elapsedMs: ms, mibPerS: bytes / 2 ** 20 / (ms / 1000) };
}

/** Open `path` (created), run `fn`, and always close and remove the file. */
export function withTempFile<T>(io: FileIO, path: string, fn: (fd: number) => T, options: { direct?: boolean } = {}): T {
  const fd = io.open(path, { create: true, direct: options.direct === true });
  try {
    return fn(fd);
  } finally {
    io.close(fd);
    rmSync(path, { force: true });
  }
}
