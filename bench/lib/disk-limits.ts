// The disk's own limits, measured in the same run as the store figures they are compared with:
// sequential write bandwidth (1 MiB writes, one fdatasync at the end) and the latency of a
// 4 KiB write + fdatasync (what one SYNC_FLUSH group commit costs at least).
import * as fs from 'node:fs';
import { join } from 'node:path';

export interface DiskLimits {
  seqWriteMBps: number;
  fdatasyncP50Ms: number;
  fdatasyncP99Ms: number;
  fdatasyncSamples: number;
}

export function measureDiskLimits(dir: string, options: { writeBytes: number; syncSamples: number }): DiskLimits {
  const path = join(dir, 'disk-limits.tmp');
  const fd = fs.openSync(path, 'w+');
  try {
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    const started = performance.now();
    for (let at = 0; at < options.writeBytes; at += chunk.byteLength) fs.writeSync(fd, chunk, 0, chunk.byteLength, at);
    fs.fdatasyncSync(fd);
    const seconds = (performance.now() - started) / 1000;
    const page = Buffer.alloc(4096, 0x33);
    const latencies: number[] = [];
    for (let i = 0; i < options.syncSamples; i++) {
      const t0 = performance.now();
      fs.writeSync(fd, page, 0, 4096, (i % 256) * 4096);
      fs.fdatasyncSync(fd);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    return {
      seqWriteMBps: options.writeBytes / 2 ** 20 / seconds,
      fdatasyncP50Ms: percentile(latencies, 0.5),
      fdatasyncP99Ms: percentile(latencies, 0.99),
      fdatasyncSamples: latencies.length,
    };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
  }
}

export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
