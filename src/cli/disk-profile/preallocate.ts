// Preallocate [0, bytes) of a new file as mqstore does for a segment: fallocate where the
// backend and file system have it, otherwise zeros written in 1 MiB pwrites (the node backend
// does that inside allocate; a file system without fallocate answers EOPNOTSUPP/ENOSYS).
// Returns whether real fallocate was used.
import type { FileIO } from '../../io/file-io.js';

const ZERO_CHUNK_BYTES = 1 << 20;

export function preallocate(io: FileIO, fd: number, bytes: number): boolean {
  if (io.capabilities.fallocate) {
    try {
      io.allocate(fd, 0, bytes);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
      // no fallocate on this file system: fall through to writing zeros
    }
  }
  writeZeros(io, fd, bytes);
  return false;
}

function writeZeros(io: FileIO, fd: number, bytes: number): void {
  const zeros = new Uint8Array(Math.min(ZERO_CHUNK_BYTES, bytes));
  for (let at = 0; at < bytes; at += zeros.byteLength) io.pwrite(fd, zeros.subarray(0, Math.min(zeros.byteLength, bytes - at)), at);
}
