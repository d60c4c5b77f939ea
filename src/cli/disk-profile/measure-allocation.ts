// Preallocated vs sparse new files: the time to create a file of N bytes with fallocate
// (preallocate.ts: zeros where there is no fallocate) and with ftruncate,
// the bandwidth of the first write into each (block allocation / unwritten-extent conversion
// is paid here), and of a second write over the same pages (what a warmed segment gives).
// One file at a time; each is removed before the next is made.
import { join } from 'node:path';
import type { FileIO } from '../../io/file-io.js';
import { preallocate } from './preallocate.js';
import type { AllocationMeasurement } from './report-types.js';
import { timedSequentialWrite, withTempFile } from './write-loop.js';

export function measureAllocation(io: FileIO, dir: string, chunk: Uint8Array, fileBytes: number, passBudgetMs: number): AllocationMeasurement {
  const pre = withTempFile(io, join(dir, 'preallocated.tmp'), (fd) => {
    const t0 = performance.now();
    const fallocated = preallocate(io, fd, fileBytes);
    const createMs = performance.now() - t0;
    const first = timedSequentialWrite(io, fd, chunk, fileBytes, passBudgetMs);
    const again = timedSequentialWrite(io, fd, chunk, first.bytes, passBudgetMs);
    return { createMs, first, again, fallocated };
  });
  const sparse = withTempFile(io, join(dir, 'sparse.tmp'), (fd) => {
    const createMs = timed(() => io.ftruncate(fd, fileBytes));
    return { createMs, first: timedSequentialWrite(io, fd, chunk, fileBytes, passBudgetMs) };
  });
  return {
    fileBytes,
    fallocateSupported: pre.fallocated,
    createPreallocatedMs: pre.createMs,
    createSparseMs: sparse.createMs,
    firstWritePreallocated: pre.first,
    firstWriteSparse: sparse.first,
    overwrite: pre.again,
  };
}

function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}
