// PositionWaiters take their deadlines from the injected clock: with a ManualClock a waiter
// times out exactly when simulated time passes its timeout (and a wake-up lets it see that),
// never on real time alone; a position that passes the target resolves 'ok' first.
import { describe, expect, it } from 'vitest';
import { PositionWaiters, type WaitResult } from '../../src/flush/position-waiters.js';
import { ManualClock } from '../../src/util/clock.js';
import { ControlBlock } from '../../src/util/control-block.js';
import { waitUntil } from '../helpers/store-harness.js';

const TIMEOUT_MS = 60_000; // far beyond the test's real duration: only the manual clock can expire it

describe('PositionWaiters on a manual clock', () => {
  it('times out on simulated time, resolves ok when the position passes', async () => {
    const clock = new ManualClock();
    const block = ControlBlock.create(['flushed'] as const);
    const waiters = new PositionWaiters(block, 'flushed', TIMEOUT_MS, () => 'ok', clock);
    const results: WaitResult[] = [];
    const first = waiters.wait(100).then((r) => results.push(r));
    const second = waiters.wait(200).then((r) => results.push(r));
    block.advance('flushed', 150); // wakes the loop: the first is covered
    await first;
    expect(results).toEqual(['ok']);
    clock.advance(TIMEOUT_MS - 1);
    block.notify('flushed');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(results).toEqual(['ok']); // 1 ms before its deadline: still waiting
    expect(waiters.pending).toBe(1);
    clock.advance(1);
    block.notify('flushed'); // the loop looks again and finds the deadline passed
    await second;
    expect(results).toEqual(['ok', 'timed-out']);
    await waitUntil(() => waiters.pending === 0, 'the queue emptied', 5000);
  });
});
