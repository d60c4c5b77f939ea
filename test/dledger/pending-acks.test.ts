// The leader's puts waiting for the confirm offset (src/dledger/pending-acks.ts), on simulated
// time: 'ok' once the confirm covers a put of the term leading now, 'not-available' on a term
// change or failAll, 'timed-out' after the wait, in order.
import { describe, expect, it } from 'vitest';
import { PendingAcks } from '../../src/dledger/pending-acks.js';
import { ManualClock } from '../../src/util/clock.js';
import { ManualScheduler } from '../../src/util/scheduler.js';

function setup(waitMs = 100, max = 3) {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler(clock);
  const acks = new PendingAcks(waitMs, max, scheduler, () => clock.monotonicMs());
  const outcomes: string[] = [];
  const add = (end: number, term: number) => void acks.add(end, term).then((w) => outcomes.push(`${end}:${w}`));
  return { clock, scheduler, acks, outcomes, add };
}

const settle = () => new Promise<void>((r) => queueMicrotask(() => queueMicrotask(r)));

describe('PendingAcks', () => {
  it('resolves ok up to the confirm offset, in order, only for the leading term', async () => {
    const { acks, outcomes, add } = setup();
    add(10, 1);
    add(20, 1);
    add(30, 1);
    expect(acks.size).toBe(3);
    acks.confirm(20, 1);
    await settle();
    expect(outcomes).toEqual(['10:ok', '20:ok']);
    acks.confirm(30, 2); // a put of term 1 confirmed while term 2 leads: not this leader's success
    await settle();
    expect(outcomes).toEqual(['10:ok', '20:ok', '30:not-available']);
    expect(acks.size).toBe(0);
  });

  it('times out after the wait, and failAll answers the rest not-available', async () => {
    const { scheduler, acks, outcomes, add } = setup(100);
    add(10, 1);
    scheduler.advance(50);
    add(20, 1);
    scheduler.advance(60); // 110: the first is past its deadline, the second is not
    await settle();
    expect(outcomes).toEqual(['10:timed-out']);
    acks.failAll();
    await settle();
    expect(outcomes).toEqual(['10:timed-out', '20:not-available']);
    scheduler.advance(1000);
    await settle();
    expect(outcomes).toHaveLength(2);
  });
});
