// Does O_DIRECT work in a directory? Writes and reads back one aligned block of a temporary
// file opened with O_DIRECT, then removes it. Needs the native backend (aligned memory).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FileIO } from './file-io.js';

export interface DirectIoProbe {
  works: boolean;
  /** Why not, when it does not. */
  reason: string | null;
}

export function probeDirectIo(io: FileIO, dir: string): DirectIoProbe {
  if (!io.capabilities.directIo) return { works: false, reason: `the ${io.backend} IO backend cannot align memory` };
  const tmp = mkdtempSync(join(dir, '.mqstore-odirect-'));
  let fd = -1;
  try {
    fd = io.open(join(tmp, 'probe'), { create: true, direct: true });
    const block = io.allocAligned(io.directAlignment);
    block.fill(0x5a);
    io.pwrite(fd, block, 0);
    const back = io.allocAligned(io.directAlignment);
    io.pread(fd, back, 0);
    const same = back.every((b) => b === 0x5a);
    return same ? { works: true, reason: null } : { works: false, reason: 'read back different bytes' };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { works: false, reason: `${e.syscall ?? 'open'}: ${e.code ?? e.message}` };
  } finally {
    if (fd >= 0) io.close(fd);
    rmSync(tmp, { recursive: true, force: true });
  }
}
