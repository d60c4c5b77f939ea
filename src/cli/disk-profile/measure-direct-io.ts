// Whether O_DIRECT works in the directory (io/direct-io-probe.ts) and, when it does, the
// sequential write bandwidth with O_DIRECT (aligned 1 MiB writes + one fdatasync): what a
// TransientStorePool commit with commitMode=direct can reach, to compare with buffered writes.
import { join } from 'node:path';
import { probeDirectIo } from '../../io/direct-io-probe.js';
import type { FileIO } from '../../io/file-io.js';
import type { DirectIoMeasurement } from './report-types.js';
import { timedSequentialWrite, withTempFile } from './write-loop.js';

export function measureDirectIo(io: FileIO, dir: string, chunk: Uint8Array, totalBytes: number, budgetMs: number): DirectIoMeasurement {
  const probe = probeDirectIo(io, dir);
  if (!probe.works) return { works: false, reason: probe.reason, write: null };
  const write = withTempFile(io, join(dir, 'direct-write.tmp'), (fd) => timedSequentialWrite(io, fd, chunk, totalBytes, budgetMs), { direct: true });
  return { works: true, reason: null, write };
}
