// ConsumeQueue files on the simulated disk: what `takeUnsyncedFiles` hands out for fdatasync is
// everything written since the last call — including the first file of a queue that starts
// mid-stream (its filler and entries) — so once those are synced a power cut loses none of it.
import { describe, expect, it } from 'vitest';
import { ConsumeQueue } from '../../src/consumequeue/consume-queue.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { SimDisk } from '../sim/sim-disk.js';

const SEGMENT_BYTES = 20 * 100;
const DIR = '/sim/cq/T/0';
const loseEverythingUnsynced = (): number => 0;

function syncRound(disk: SimDisk, q: ConsumeQueue): number {
  q.writeTail();
  const fds = q.takeUnsyncedFiles();
  for (const fd of fds) disk.fdatasync(fd);
  return fds.length;
}

describe('ConsumeQueue durability (sim disk)', () => {
  for (const [name, firstQueueOffset] of [
    ['from queue offset 0', 0],
    ['mid-stream (first file starts at a later queue offset)', 250],
  ] as const) {
    it(`${name}: synced entries survive a power cut`, () => {
      const disk = new SimDisk({ name: `cq-${firstQueueOffset}`, clock: new ManualClock() });
      const q = new ConsumeQueue(disk, 'T', 0, DIR, SEGMENT_BYTES);
      for (let i = 0; i < 180; i++) q.append(firstQueueOffset + i, 1000 + i * 100, 100, i);
      expect(syncRound(disk, q)).toBeGreaterThan(0);
      disk.crash(loseEverythingUnsynced);

      const reopened = new ConsumeQueue(disk, 'T', 0, DIR, SEGMENT_BYTES);
      reopened.load(memoryLogger());
      reopened.recover(Number.MAX_SAFE_INTEGER);
      expect(reopened.minOffset).toBe(firstQueueOffset);
      expect(reopened.maxOffset).toBe(firstQueueOffset + 180);
      const entries = reopened.read(firstQueueOffset, 180);
      expect(entries.map((e) => e.commitLogOffset)).toEqual(Array.from({ length: 180 }, (_, i) => 1000 + i * 100));
    });
  }
});
