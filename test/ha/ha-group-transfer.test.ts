// GroupTransfer (SYNC_MASTER waiting) on a manual clock: acks resolve a prefix in order, one
// timer serves every deadline, out-of-order ends still resolve, close settles everyone.
import { describe, expect, it } from 'vitest';
import { GroupTransfer } from '../../src/ha/ha-group-transfer.js';
import type { ReplicationWait } from '../../src/replication/replication-types.js';
import { ManualClock } from '../../src/util/clock.js';
import { ManualScheduler, type Cancelable, type Scheduler } from '../../src/util/scheduler.js';

function setup(timeoutMs = 100, maxWaiters?: number) {
  const clock = new ManualClock(0);
  const manual = new ManualScheduler(clock);
  let armed = 0;
  const scheduler: Scheduler = {
    after(delayMs: number, task: () => void): Cancelable {
      armed++;
      return manual.after(delayMs, task);
    },
    soon: (task) => manual.soon(task),
  };
  const gt = new GroupTransfer(timeoutMs, scheduler, () => clock.nowMs(), maxWaiters);
  const outcomes = new Map<number, ReplicationWait>();
  const wait = (end: number): void => {
    void gt.wait(end).then((o) => outcomes.set(end, o));
  };
  const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { clock, manual, gt, outcomes, wait, flush, armed: () => armed };
}

describe('GroupTransfer', () => {
  it('resolves waiters in order as the replicated offset passes their ends, with one timer for all', async () => {
    const t = setup();
    for (let end = 100; end <= 1000; end += 100) t.wait(end);
    expect(t.gt.pending).toBe(10);
    expect(t.armed()).toBe(1);
    t.gt.advance(350);
    await t.flush();
    expect([...t.outcomes.keys()]).toEqual([100, 200, 300]);
    expect(t.gt.pending).toBe(7);
    t.gt.advance(200); // never backwards
    expect(t.gt.replicatedOffset).toBe(350);
    expect(await t.gt.wait(300)).toBe('ok'); // already covered: no queueing
    t.gt.advance(1000);
    await t.flush();
    expect(t.outcomes.size).toBe(10);
    expect([...t.outcomes.values()].every((o) => o === 'ok')).toBe(true);
    expect(t.gt.pending).toBe(0);
    expect(t.armed()).toBe(1);
  });

  it('times out waiters at their deadline, re-arming one timer for the next head', async () => {
    const t = setup(100);
    t.wait(100);
    t.clock.advance(30);
    t.wait(200);
    t.clock.advance(30);
    t.wait(300);
    t.manual.advance(39); // t = 99: nothing due yet
    await t.flush();
    expect(t.outcomes.size).toBe(0);
    t.manual.advance(1); // t = 100: the first deadline
    await t.flush();
    expect(t.outcomes.get(100)).toBe('timed-out');
    expect(t.outcomes.has(200)).toBe(false);
    t.gt.advance(200);
    await t.flush();
    expect(t.outcomes.get(200)).toBe('ok');
    t.manual.advance(100);
    await t.flush();
    expect(t.outcomes.get(300)).toBe('timed-out');
    expect(t.armed()).toBeLessThanOrEqual(3);
  });

  it('resolves an out-of-order end without waiting behind a larger one', async () => {
    const t = setup();
    t.wait(500);
    t.wait(100);
    t.gt.advance(150);
    await t.flush();
    expect(t.outcomes.get(100)).toBe('ok');
    expect(t.outcomes.has(500)).toBe(false);
    t.manual.advance(100);
    await t.flush();
    expect(t.outcomes.get(500)).toBe('timed-out');
  });

  it('answers a full queue with timed-out at once, and settles everyone on close', async () => {
    const t = setup(1000, 2);
    t.wait(10);
    t.wait(20);
    expect(await t.gt.wait(30)).toBe('timed-out');
    t.gt.close('not-available');
    await t.flush();
    expect(t.outcomes.get(10)).toBe('not-available');
    expect(t.outcomes.get(20)).toBe('not-available');
    expect(await t.gt.wait(40)).toBe('not-available');
  });
});
