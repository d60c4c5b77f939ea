// QueuePopState (pure) and receipt handles: `committed` only passes offsets that are acked or
// skipped (an ack gap holds it back), stale and unknown handles are told apart, a redelivery
// counts attempts and changes the handle, ChangeInvisibleDuration keeps the attempt, retention's
// jump drops what is gone; receipt handles round-trip and anything malformed decodes to null.
import { describe, expect, it } from 'vitest';
import { QueuePopState } from '../../src/broker/pop-state.js';
import { decodeReceiptHandle, encodeReceiptHandle } from '../../src/broker/receipt-handle.js';

const BOOT = 1_764_000_000_000;
const id = (popSeq: number, bootId = BOOT): { bootId: number; popSeq: number } => ({ bootId, popSeq });

describe('QueuePopState', () => {
  it('committed advances only over a contiguous run of acked or skipped offsets', () => {
    const s = new QueuePopState('T', 0, 5);
    const a = s.deliver(5, id(1), 1000, 100);
    const b = s.deliver(6, id(2), 1000, 100);
    const c = s.deliver(7, id(3), 1000, 100);
    expect(s.next).toBe(8);
    expect(s.ack(6, b)).toEqual({ check: 'ok', committedMoved: false });
    expect(s.committed).toBe(5);
    expect(s.ack(5, a)).toEqual({ check: 'ok', committedMoved: true });
    expect(s.committed).toBe(7);
    expect(s.skip(8)).toBe(false); // 7 still in flight
    expect(s.ack(7, c).committedMoved).toBe(true);
    expect(s.committed).toBe(9);
    expect(s.inflightCount).toBe(0);
  });

  it('stale vs unknown handles; redelivery counts attempts; ChangeInvisibleDuration keeps the attempt', () => {
    const s = new QueuePopState('T', 0, 0);
    const first = s.deliver(0, id(10), 1000, 500);
    expect(s.expired(1499, 10)).toEqual([]);
    expect(s.expired(1500, 10).map((e) => e.offset)).toEqual([0]);
    expect(s.nextExpiryMs()).toBe(1500);
    const again = s.redeliver(0, id(11), 1500, 500);
    expect(again.attempt).toBe(2);
    expect(s.check(0, first)).toBe('stale');
    expect(s.ack(0, first)).toEqual({ check: 'stale', committedMoved: false });
    const renewed = s.changeInvisible(0, again, id(12), 1600, 10_000);
    expect(renewed).toMatchObject({ attempt: 2, popSeq: 12, invisibleUntilMs: 11_600 });
    expect(s.changeInvisible(0, again, id(13), 1600, 10)).toBe('stale');
    expect(s.ack(0, id(12, BOOT + 1)).check).toBe('stale'); // same popSeq, another process
    expect(s.ack(0, id(12)).check).toBe('ok');
    expect(s.ack(0, id(12)).check).toBe('unknown');
    expect(s.committed).toBe(1);
  });

  it('jumpTo drops what retention deleted and keeps the rest', () => {
    const s = new QueuePopState('T', 0, 0);
    s.deliver(0, id(1), 0, 10);
    const keep = s.deliver(1, id(2), 0, 10);
    s.deliver(2, id(3), 0, 10);
    expect(s.jumpTo(2)).toBe(true);
    expect(s.committed).toBe(2);
    expect(s.check(1, keep)).toBe('unknown');
    expect(s.check(2, id(3))).toBe('ok');
    expect(s.jumpTo(1)).toBe(false);
  });
});

describe('receipt handles', () => {
  it('round-trip', () => {
    const h = { bootId: 1_764_000_000_000, queueId: 7, queueOffset: 123_456_789, popSeq: 42 };
    const text = encodeReceiptHandle(h);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeReceiptHandle(text)).toEqual(h);
  });

  it('anything malformed is null', () => {
    const valid = encodeReceiptHandle({ bootId: 1, queueId: 0, queueOffset: 0, popSeq: 1 });
    for (const bad of ['', 'x', 'not a handle', valid.slice(0, -2), Buffer.from('v2 1 0 0 1').toString('base64url'), Buffer.from('v1 1 -1 0 1').toString('base64url'), Buffer.from('v1 1 0 01 1').toString('base64url'), 'A'.repeat(300), 42, null]) {
      expect(decodeReceiptHandle(bad)).toBeNull();
    }
  });
});
