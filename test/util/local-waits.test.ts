// ControlBlock waits served on this thread (local-waits.ts): they resolve where the block would
// Atomics.notify, and time out on the injected scheduler's time, never the real clock.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { ControlBlock } from '../../src/util/control-block.js';
import { LocalWaits } from '../../src/util/local-waits.js';
import { ManualScheduler } from '../../src/util/scheduler.js';

function setup() {
  const clock = new ManualClock(0);
  const scheduler = new ManualScheduler(clock);
  const block = ControlBlock.create(['committed', 'flushed'] as const);
  const waits = new LocalWaits(scheduler, clock);
  block.serveWaitsLocally(waits);
  const settled: string[] = [];
  const track = (label: string, p: Promise<string>): void => void p.then((o) => settled.push(`${label}:${o}`));
  const microtasks = (): Promise<void> => new Promise((r) => setImmediate(r));
  return { clock, scheduler, block, waits, settled, track, microtasks };
}

describe('local control block waits', () => {
  it('waitAtLeastAsync resolves when a store, advance or notify reaches the target, in order', async () => {
    const { block, waits, settled, track, microtasks } = setup();
    track('a', block.waitAtLeastAsync('committed', 100, 10_000));
    track('b', block.waitAtLeastAsync('committed', 200, 10_000));
    track('f', block.waitAtLeastAsync('flushed', 1, 10_000));
    block.advance('committed', 150);
    await microtasks();
    expect(settled).toEqual(['a:ok']);
    block.store('committed', 250);
    await microtasks();
    expect(settled).toEqual(['a:ok', 'b:ok']);
    expect(waits.pending).toBe(1); // the other position's waiter is untouched
    expect(await block.waitAtLeastAsync('committed', 10, 1)).toBe('ok'); // already there: no waiter
  });

  it('waitChangeAsync resolves on a notify without a change, or at once when the value differs', async () => {
    const { block, settled, track, microtasks } = setup();
    track('c', block.waitChangeAsync('flushed', 0, 10_000));
    await microtasks();
    expect(settled).toEqual([]);
    block.notify('flushed');
    await microtasks();
    expect(settled).toEqual(['c:ok']);
    block.store('flushed', 5);
    expect(await block.waitChangeAsync('flushed', 0, 10_000)).toBe('ok');
  });

  it('times out on the scheduler: not before its time, exactly at it, and no real timer is involved', async () => {
    const { scheduler, block, waits, settled, track, microtasks } = setup();
    track('t', block.waitAtLeastAsync('committed', 1, 500));
    scheduler.advance(499);
    await microtasks();
    expect(settled).toEqual([]);
    scheduler.advance(1);
    await microtasks();
    expect(settled).toEqual(['t:timed-out']);
    expect(waits.pending).toBe(0);
    expect(scheduler.size).toBe(0);
    // a wait that resolves cancels its timer
    track('u', block.waitAtLeastAsync('committed', 1, 500));
    block.advance('committed', 1);
    await microtasks();
    expect(settled).toEqual(['t:timed-out', 'u:ok']);
    expect(scheduler.size).toBe(0);
  });
});
