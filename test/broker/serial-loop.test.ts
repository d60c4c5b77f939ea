// SerialLoop on simulated time: a step runs when woken and again after the wait it returns;
// never two steps at once (a wake during a step runs one more right after it); an earlier wake
// replaces a later plan, a later one does not; a throwing step is retried after RETRY_MS;
// close() waits for the step in progress and stops all scheduling.
import { describe, expect, it } from 'vitest';
import { RETRY_MS, SerialLoop } from '../../src/broker/serial-loop.js';
import { ManualClock } from '../../src/util/clock.js';
import { consoleLogger } from '../../src/util/logger.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { drive, settle } from '../helpers/manual-time.js';

function setUp(step: (n: number) => Promise<number>): { loop: SerialLoop; clock: ManualClock; scheduler: ManualScheduler; runs: number[] } {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler(clock);
  const runs: number[] = [];
  const t0 = clock.monotonicMs();
  const loop = new SerialLoop('test loop', clock, scheduler, consoleLogger('loop', 'error'), () => {
    runs.push(clock.monotonicMs() - t0);
    return step(runs.length);
  });
  return { loop, clock, scheduler, runs };
}

describe('SerialLoop', () => {
  it('runs when woken, then after the wait each step returns; an earlier wake replaces a later plan', async () => {
    const { loop, clock, scheduler, runs } = setUp(async () => 1000);
    loop.wake(100);
    loop.wake(500); // later: ignored
    await drive(scheduler, clock, 99);
    expect(runs).toEqual([]);
    await drive(scheduler, clock, 1);
    expect(runs).toEqual([100]);
    loop.wake(200); // earlier than the planned +1000
    await drive(scheduler, clock, 1200);
    expect(runs).toEqual([100, 300, 1300]);
    await loop.close();
    await drive(scheduler, clock, 5000);
    expect(runs).toHaveLength(3);
  });

  it('never overlaps steps: a wake during a step runs one more right after it; close waits for the step', async () => {
    let release: (() => void) | null = null;
    let active = 0;
    let maxActive = 0;
    const { loop, clock, scheduler, runs } = setUp(async (n) => {
      active++;
      maxActive = Math.max(maxActive, active);
      if (n === 1) await new Promise<void>((r) => (release = r));
      active--;
      return 10_000;
    });
    loop.wake();
    await drive(scheduler, clock, 0);
    expect(runs).toHaveLength(1);
    loop.wake();
    loop.wake(5);
    await drive(scheduler, clock, 50);
    expect(runs).toHaveLength(1); // still inside the first step
    release!();
    await settle();
    await drive(scheduler, clock, 0);
    expect(runs).toHaveLength(2);
    expect(maxActive).toBe(1);
    const closing = loop.close();
    await closing;
    await drive(scheduler, clock, 20_000);
    expect(runs).toHaveLength(2);
  });

  it('a step that throws is retried after RETRY_MS', async () => {
    const { loop, clock, scheduler, runs } = setUp(async (n) => {
      if (n === 1) throw new Error('boom');
      return 60_000;
    });
    loop.wake();
    await drive(scheduler, clock, RETRY_MS - 1);
    expect(runs).toEqual([0]);
    await drive(scheduler, clock, 1);
    expect(runs).toEqual([0, RETRY_MS]);
    await loop.close();
  });
});
