// truncateCommitLogFiles through a FileIO (the simulated disk): segments from the offset on are
// deleted and the one holding it is zeroed from there, and both are durable when it returns —
// a power cut right after loses neither the deletions nor the zeros.
import { describe, expect, it } from 'vitest';
import { truncateCommitLogFiles } from '../../src/commitlog/truncate-files.js';
import { segmentFileName } from '../../src/segment/segment-name.js';
import { ManualClock } from '../../src/util/clock.js';
import { SimDisk } from '../sim/sim-disk.js';

const SEGMENT_BYTES = 4096;
const DIR = '/sim/n0/commitlog';
const loseEverythingUnsynced = (): number => 0;

function diskWithSegments(count: number): SimDisk {
  const disk = new SimDisk({ name: 'truncate', clock: new ManualClock() });
  disk.mkdirp(DIR);
  for (const d of ['/', '/sim', '/sim/n0']) disk.fsyncDir(d);
  for (let i = 0; i < count; i++) {
    const fd = disk.open(`${DIR}/${segmentFileName(i * SEGMENT_BYTES)}`, { create: true });
    disk.pwrite(fd, new Uint8Array(SEGMENT_BYTES).fill(i + 1), 0);
    disk.fdatasync(fd);
    disk.close(fd);
  }
  disk.fsyncDir(DIR);
  return disk;
}

describe('truncateCommitLogFiles (sim disk)', () => {
  it('deletes later segments and zeroes the holder from the offset, durably', () => {
    const disk = diskWithSegments(4);
    const cut = truncateCommitLogFiles(disk, DIR, SEGMENT_BYTES, SEGMENT_BYTES + 1000);
    expect(cut).toEqual({ deletedSegments: 2, zeroedBytes: SEGMENT_BYTES - 1000 });
    disk.crash(loseEverythingUnsynced);
    expect(disk.readdir(DIR)).toEqual([segmentFileName(0), segmentFileName(SEGMENT_BYTES)]);
    const holder = disk.readFile(`${DIR}/${segmentFileName(SEGMENT_BYTES)}`);
    expect(holder.length).toBe(SEGMENT_BYTES);
    expect(holder.subarray(0, 1000).every((b) => b === 2)).toBe(true);
    expect(holder.subarray(1000).every((b) => b === 0)).toBe(true);
  });

  it('an offset at a segment start deletes that segment and zeroes nothing', () => {
    const disk = diskWithSegments(3);
    expect(truncateCommitLogFiles(disk, DIR, SEGMENT_BYTES, 2 * SEGMENT_BYTES)).toEqual({ deletedSegments: 1, zeroedBytes: 0 });
    disk.crash(loseEverythingUnsynced);
    expect(disk.readdir(DIR)).toHaveLength(2);
  });

  it('refuses a negative or fractional offset', () => {
    const disk = diskWithSegments(1);
    expect(() => truncateCommitLogFiles(disk, DIR, SEGMENT_BYTES, -1)).toThrow(expect.objectContaining({ code: 'ERR_STORE_INVALID_ARGUMENT' }));
    expect(() => truncateCommitLogFiles(disk, DIR, SEGMENT_BYTES, 1.5)).toThrow(expect.objectContaining({ code: 'ERR_STORE_INVALID_ARGUMENT' }));
  });
});
