// mmap mode: the persistence service faults the next pages of the active segment in through its
// own mapping when the writer asks (prefaultRequest), at most 4 MiB per step in madvise calls of
// at most 256 KiB, from the writer's position on, without changing a byte of the file; a
// failing madvise turns it off quietly (the writer's own page faults do the same work).
import { closeSync, openSync, readFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PERSISTENCE_POSITIONS, type PersistenceSettings } from '../../src/flush/persistence-layout.js';
import { PersistenceService } from '../../src/flush/persistence-service.js';
import type { FileIO, MadviseAdvice, MappedRegion } from '../../src/io/file-io.js';
import { NativeFileIO } from '../../src/io/native-file-io.js';
import { ControlBlock } from '../../src/util/control-block.js';
import { addon, NEEDS_ADDON } from '../helpers/native.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-prefault-');
const SEGMENT = 16 << 20;
const MiB = 1 << 20;

const SETTINGS: PersistenceSettings = {
  flushDiskType: 'ASYNC_FLUSH',
  flushIntervalMs: 60_000,
  flushLeastPages: 4,
  flushThoroughIntervalMs: 60_000,
  flushTimed: false,
  commitIntervalMs: 200,
  commitLeastPages: 4,
  commitThoroughIntervalMs: 200,
  commitMode: 'pwrite',
  ioBackend: 'native',
  emulatedDevice: null,
};

/** The native FileIO, recording every mapping and advice; `failAdvise` makes madvise throw. */
function recordingIo(failAdvise = false): { io: FileIO; advised: Array<[number, number, MadviseAdvice]>; maps: number; unmaps: number } {
  const real = new NativeFileIO(addon!);
  const rec = { advised: [] as Array<[number, number, MadviseAdvice]>, maps: 0, unmaps: 0 };
  const io = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'mmap') return Reflect.get(target, prop, receiver);
      return (fd: number, offset: number, length: number, writable: boolean): MappedRegion => {
        const region = target.mmap(fd, offset, length, writable);
        rec.maps++;
        return {
          get bytes() {
            return region.bytes;
          },
          sync: (o, l, a) => region.sync(o, l, a),
          lock: (o, l) => region.lock(o, l),
          unlock: (o, l) => region.unlock(o, l),
          advise: (o, l, advice) => {
            if (failAdvise) throw Object.assign(new Error('madvise: EINVAL'), { code: 'EINVAL' });
            rec.advised.push([o, l, advice]);
            region.advise(o, l, advice);
          },
          unmap: () => {
            rec.unmaps++;
            region.unmap();
          },
        };
      };
    },
  });
  return Object.assign(rec, { io });
}

/** [first, end) of the advised ranges, which must leave no gap (a step starts at the page
 * holding the previous step's end, so one page may be advised twice). */
function covered(advised: Array<[number, number, MadviseAdvice]>): [number, number] {
  let end = advised[0]![0];
  for (const [o, l] of advised) {
    expect(o).toBeLessThanOrEqual(end);
    expect(o).toBeGreaterThan(end - 4096);
    end = Math.max(end, o + l);
  }
  return [advised[0]![0], end];
}

function segmentFile(dir: string): { path: string; fd: number } {
  const path = join(dir, '00000000000000000000');
  const fd = openSync(path, 'w+');
  ftruncateSync(fd, SEGMENT);
  writeSync(fd, Buffer.from('already written'), 0, 15, 0);
  return { path, fd };
}

describe.skipIf(!addon)(`prefault in the persistence service (${NEEDS_ADDON})`, () => {
  it('faults in [wrote, request) in steps of at most 4 MiB and leaves the bytes as they were', () => {
    const dir = newDir();
    const { path, fd } = segmentFile(dir);
    const block = ControlBlock.create(PERSISTENCE_POSITIONS);
    const rec = recordingIo();
    const service = new PersistenceService(rec.io, block, SETTINGS, () => {});
    try {
      service.addSegment({ type: 'segment', fromOffset: 0, sizeBytes: SEGMENT, path, fd, memory: { kind: 'none' } });
      expect(service.step(0)).toBeGreaterThan(0);
      expect(rec.maps).toBe(0); // nothing asked, nothing mapped
      block.store('wrote', 5000);
      block.advance('prefaultRequest', 10 * MiB);
      expect(service.step(1)).toBe(0); // more to do: come back at once
      expect(covered(rec.advised)).toEqual([4096, 4 * MiB + 5000]);
      service.step(2);
      expect(covered(rec.advised)).toEqual([4096, 8 * MiB + 5000]);
      service.step(3);
      expect(service.step(4)).toBeGreaterThan(0); // done
      expect(covered(rec.advised)).toEqual([4096, 10 * MiB]);
      expect(rec.advised.every(([, l, advice]) => l <= 256 << 10 && advice === 'populate-write')).toBe(true); // small calls
      expect(rec.maps).toBe(1);
      expect(readFileSync(path).subarray(0, 20).toString('latin1')).toBe('already written\0\0\0\0\0');
      expect(readFileSync(path).subarray(15).every((b) => b === 0)).toBe(true);
    } finally {
      service.close();
      closeSync(fd);
    }
    expect(rec.unmaps).toBe(1);
  });

  it('a failing madvise switches prefaulting off without failing the service', () => {
    const dir = newDir();
    const { path, fd } = segmentFile(dir);
    const block = ControlBlock.create(PERSISTENCE_POSITIONS);
    const rec = recordingIo(true);
    const service = new PersistenceService(rec.io, block, SETTINGS, () => {});
    try {
      service.addSegment({ type: 'segment', fromOffset: 0, sizeBytes: SEGMENT, path, fd, memory: { kind: 'none' } });
      block.advance('prefaultRequest', 8 * MiB);
      expect(service.step(1)).toBeGreaterThan(0);
      expect(service.failed).toBe(false);
      block.advance('prefaultRequest', 12 * MiB);
      service.step(2);
      expect(rec.maps).toBe(1); // not tried again
      expect(rec.unmaps).toBe(1);
    } finally {
      service.close();
      closeSync(fd);
    }
  });
});
