// The persistence service measures its commit and flush intervals on monotonic time: a wall
// clock that steps back (NTP, a VM resumed) does not stall ASYNC_FLUSH flushing. Found by the
// simulator (test/sim, scenario ha, seed 1 before the fix): a slave promoted after its wall clock
// had jumped back 90 s flushed nothing for the next 6 s, and a power cut then lost segments whose
// successors had reached the disk. The store runs on simulated time here (in-thread persistence,
// a ManualScheduler), so the test does not wait on real time.
import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import type { Clock } from '../../src/util/clock.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { drive } from '../helpers/manual-time.js';
import { SimDisk } from '../sim/sim-disk.js';

describe('persistence service and the wall clock', () => {
  it('keeps flushing every flushIntervalCommitLog after the wall clock steps back 60 s', async () => {
    const base = new ManualClock();
    const scheduler = new ManualScheduler(base);
    let skewMs = 0;
    const clock: Clock = { nowMs: () => base.nowMs() + skewMs, monotonicMs: () => base.monotonicMs() };
    const disk = new SimDisk({ name: 'wall-jump', clock: base });
    const opening = MessageStore.open(
      { storePathRootDir: '/store', flushServiceInWorker: false, flushDiskType: 'ASYNC_FLUSH', flushIntervalCommitLog: 5, flushCommitLogLeastPages: 0, mappedFileSizeCommitLog: 73_728, maxMessageSize: 4096, logLevel: 'warn' },
      { io: disk, clock, scheduler, logger: memoryLogger(), diskUsage: () => 0.1 },
    );
    await drive(scheduler, base, 10);
    const store = await opening;
    const putSome = async (n: number): Promise<void> => {
      const puts = Array.from({ length: n }, (_, i) => store.putMessage({ topic: 'T', queueId: 0, body: `m${i}`.padEnd(300, 'x') }));
      await drive(scheduler, base, 500); // commit (buffer mode, every 200 ms) and flush (every 5 ms)
      for (const r of await Promise.all(puts)) expect(r.status).toBe('PUT_OK');
    };
    await putSome(10);
    let info = store.runtimeInfo();
    expect(info.flushedOffset).toBe(info.wroteOffset);
    skewMs = -60_000;
    await putSome(10);
    info = store.runtimeInfo();
    expect(info.wroteOffset).toBeGreaterThan(0);
    expect(info.flushedOffset).toBe(info.wroteOffset);
  });
});
