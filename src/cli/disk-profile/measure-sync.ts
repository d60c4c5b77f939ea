// The two figures every flush policy is built on: sequential write bandwidth (1 MiB writes and
// one fdatasync) and the latency distribution of a 4 KiB append + fdatasync into a preallocated
// file, which is what one SYNC_FLUSH group commit does at least (mqstore preallocates segments).
// Both run in their own temporary file in `dir`, removed before returning.
import { join } from 'node:path';
import type { FileIO } from '../../io/file-io.js';
import { preallocate } from './preallocate.js';
import type { LatencyDistribution, SequentialWrite } from './report-types.js';
import { timedSequentialWrite, withTempFile } from './write-loop.js';

const PAGE_BYTES = 4096;

export function measureSequentialWrite(io: FileIO, dir: string, chunk: Uint8Array, totalBytes: number, budgetMs: number): SequentialWrite {
  return withTempFile(io, join(dir, 'sequential-write.tmp'), (fd) => timedSequentialWrite(io, fd, chunk, totalBytes, budgetMs));
}

export function measureFdatasync(io: FileIO, dir: string, samples: number, budgetMs: number): LatencyDistribution {
  return withTempFile(io, join(dir, 'fdatasync.tmp'), (fd) => {
    preallocate(io, fd, samples * PAGE_BYTES);
    io.fdatasync(fd);
    const page = new Uint8Array(PAGE_BYTES).fill(0x33);
    const latenciesMs: number[] = [];
    const deadline = performance.now() + budgetMs;
    do {
      const t0 = performance.now();
      io.pwrite(fd, page, latenciesMs.length * PAGE_BYTES);
      io.fdatasync(fd);
      latenciesMs.push(performance.now() - t0);
    } while (latenciesMs.length < samples && performance.now() < deadline);
    return distribution(latenciesMs);
  });
}

export function distribution(latenciesMs: number[]): LatencyDistribution {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

/** Nearest-rank percentile of an ascending array (0 for an empty one). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
