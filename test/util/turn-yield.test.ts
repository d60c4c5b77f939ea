// TurnYield (src/util/turn-yield.ts): at most maxPerTurn settled answers between two scheduler
// turns, later ones on the next turn in call order; and the store's ASYNC_FLUSH put path with it:
// a producer that awaits put after put without ever yielding still lets an IO callback run.
import { stat } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { PutMessageStatus } from '../../src/store/statuses.js';
import { ManualClock } from '../../src/util/clock.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { TurnYield } from '../../src/util/turn-yield.js';
import { smallConfig } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

describe('TurnYield', () => {
  it('resolves maxPerTurn values at once, defers the rest to the next turn in order', async () => {
    const clock = new ManualClock();
    const scheduler = new ManualScheduler(clock);
    const gate = new TurnYield(scheduler, 3);
    const order: number[] = [];
    const all = [1, 2, 3, 4, 5].map((v) => gate.settle(v).then((x) => order.push(x)));
    await Promise.resolve();
    await Promise.resolve();
    expect(order).toEqual([1, 2, 3]);
    expect(gate.deferredCount).toBe(2);
    scheduler.advance(0);
    await Promise.all(all);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    // a new turn has a new budget
    const next = await gate.settle(6);
    expect(next).toBe(6);
    expect(gate.deferredCount).toBe(0);
  });
});

describe('a producer that never yields', () => {
  const newDir = tempDirs('turn-yield-');

  it('ASYNC_FLUSH puts still give IO callbacks a turn', async () => {
    const dir = newDir();
    const store = await MessageStore.open(smallConfig(dir, 'node', { flushDiskType: 'ASYNC_FLUSH', mappedFileSizeCommitLog: 8 << 20 }));
    try {
      let ioDoneAt = -1;
      let i = 0;
      stat(dir, () => (ioDoneAt = i));
      // awaits only resolved promises: without the turn budget this loop starves libuv to the end
      for (; i < 20_000; i++) {
        const r = await store.putMessage({ topic: 'T', queueId: 0, body: 'x' });
        expect(r.status).toBe(PutMessageStatus.PUT_OK);
      }
      expect(ioDoneAt).toBeGreaterThanOrEqual(0);
      expect(ioDoneAt).toBeLessThan(20_000);
    } finally {
      await store.close();
    }
  });
});
