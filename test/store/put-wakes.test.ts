// Which puts wake the persistence service (src/store/put-wakes.ts): every SYNC_FLUSH put; an
// ASYNC_FLUSH put only once leastPages pages have accumulated since the last wake, or when the
// last wake is older than the thorough interval; never when no wake key is set.
import { describe, expect, it } from 'vitest';
import { PutWakes } from '../../src/store/put-wakes.js';

const base = {
  flushDiskType: 'ASYNC_FLUSH',
  wakeCommitWhenPutMessage: true,
  wakeFlushWhenPutMessage: false,
  commitCommitLogLeastPages: 4,
  commitCommitLogThoroughInterval: 200,
  flushCommitLogLeastPages: 4,
  flushCommitLogThoroughInterval: 10_000,
};

describe('PutWakes', () => {
  it('wakes on every SYNC_FLUSH put', () => {
    const w = PutWakes.forConfig({ ...base, flushDiskType: 'SYNC_FLUSH' }, true)!;
    for (let end = 100; end < 2000; end += 100) expect(w.shouldWake(end, () => 0)).toBe(true);
  });

  it('ASYNC_FLUSH with the pool: wakes when 4 pages accumulated or 200 ms passed since the last wake', () => {
    const w = PutWakes.forConfig(base, true)!;
    let now = 1000;
    const clock = (): number => now;
    expect(w.shouldWake(128, clock)).toBe(true); // the first put after a quiet spell
    const woke: number[] = [];
    for (let end = 256; end <= 128 + 3 * 16_384; end += 128) if (w.shouldWake(end, clock)) woke.push(end);
    expect(woke).toEqual([128 + 16_384, 128 + 2 * 16_384, 128 + 3 * 16_384]);
    now += 199;
    expect(w.shouldWake(128 + 3 * 16_384 + 128, clock)).toBe(false);
    now += 1;
    expect(w.shouldWake(128 + 3 * 16_384 + 256, clock)).toBe(true);
  });

  it('leastPages 0 wakes on every put; no wake keys (or no pool for the commit key): never asked', () => {
    const every = PutWakes.forConfig({ ...base, commitCommitLogLeastPages: 0 }, true)!;
    expect([1, 2, 3].every((end) => every.shouldWake(end, () => 0))).toBe(true);
    expect(PutWakes.forConfig({ ...base, wakeCommitWhenPutMessage: false }, true)).toBeNull();
    expect(PutWakes.forConfig(base, false)).toBeNull();
    const flush = PutWakes.forConfig({ ...base, wakeCommitWhenPutMessage: false, wakeFlushWhenPutMessage: true }, false)!;
    expect(flush.shouldWake(10, () => 0)).toBe(true);
    expect(flush.shouldWake(20, () => 9_999)).toBe(false);
    expect(flush.shouldWake(30, () => 10_000)).toBe(true);
  });
});
