// A busy TransientStorePool applies backpressure (issue 12): when a segment roll finds every pool
// buffer still holding a segment the commit service has not finished, the put waits for a buffer
// (order kept) instead of failing with CREATE_MAPPED_FILE_FAILED, and answers OS_PAGE_CACHE_BUSY
// after osPageCacheBusyTimeOutMills with nothing appended. Runs on simulated time (in-thread
// persistence, a ManualScheduler, a SimDisk) so no test waits on real time.
import { describe, expect, it } from 'vitest';
import type { StoreConfigInput } from '../../src/config/load-config.js';
import { MessageStore } from '../../src/store/message-store.js';
import { POOL_BUSY, StalledPuts } from '../../src/store/stalled-puts.js';
import { failedPut, type PutMessageResult } from '../../src/store/statuses.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { drive, settle } from '../helpers/manual-time.js';
import { SimDisk } from '../sim/sim-disk.js';

let storeCount = 0;
const SEGMENT_BYTES = 73_728;
const BODY = 'x'.repeat(300);

async function openPoolStore(extra: StoreConfigInput): Promise<{ store: MessageStore; scheduler: ManualScheduler; clock: ManualClock }> {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler(clock);
  const disk = new SimDisk({ name: 'pool', clock });
  const opening = MessageStore.open(
    {
      storePathRootDir: `/store-${++storeCount}`,
      flushServiceInWorker: false,
      transientStorePoolEnable: true,
      transientStorePoolSize: 1,
      wakeCommitWhenPutMessage: false,
      mappedFileSizeCommitLog: SEGMENT_BYTES,
      maxMessageSize: 4096,
      logLevel: 'error',
      ...extra,
    },
    { io: disk, clock, scheduler, logger: memoryLogger(), diskUsage: () => 0.1 },
  );
  await drive(scheduler, clock, 10);
  return { store: await opening, scheduler, clock };
}

/** Puts `n` messages; reports which have answered after the current turn. */
function putMany(store: MessageStore, n: number): { results: Array<PutMessageResult | null>; all: Promise<PutMessageResult[]> } {
  const results: Array<PutMessageResult | null> = new Array(n).fill(null);
  const all = Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.putMessage({ topic: 'T', queueId: 0, body: BODY }).then((r) => {
        results[i] = r;
        return r;
      }),
    ),
  );
  return { results, all };
}

describe('TransientStorePool backpressure', () => {
  it('a put that finds the pool busy waits for the commit to free a buffer, in order, and never fails', async () => {
    const { store, scheduler, clock } = await openPoolStore({});
    const perSegment = Math.floor(SEGMENT_BYTES / (BODY.length + 100));
    const n = perSegment * 3; // three segments through a pool of one buffer
    const { results, all } = putMany(store, n);
    await settle();
    const answered = results.filter((r) => r !== null).length;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThan(n); // the rest wait: the only buffer holds an uncommitted segment
    for (let i = 0; i < 50 && results.includes(null); i++) await drive(scheduler, clock, 250);
    const done = await all;
    expect(done.map((r) => r.status)).toEqual(new Array(n).fill('PUT_OK'));
    expect(done.map((r) => r.queueOffset)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let i = 1; i < n; i++) expect(done[i]!.physicalOffset).toBeGreaterThan(done[i - 1]!.physicalOffset);
    expect(store.runtimeInfo().wroteOffset).toBeGreaterThan(2 * SEGMENT_BYTES);
    await store.close();
  });

  it('answers waiting puts SERVICE_NOT_AVAILABLE when the store closes', async () => {
    const { store } = await openPoolStore({});
    const perSegment = Math.floor(SEGMENT_BYTES / (BODY.length + 100));
    const { results, all } = putMany(store, perSegment * 2);
    await settle();
    expect(results.includes(null)).toBe(true);
    const closing = store.close();
    const done = await all;
    expect(done.filter((r) => r.status === 'SERVICE_NOT_AVAILABLE').length).toBe(results.length - done.filter((r) => r.status === 'PUT_OK').length);
    await closing;
  });
});

describe('StalledPuts (the wait queue on its own, on a manual clock)', () => {
  const ok = (n: number): Promise<PutMessageResult> => Promise.resolve({ ...failedPut('PUT_OK', ''), queueOffset: n });

  it('times a waiting put out with OS_PAGE_CACHE_BUSY after the bound, without running it', async () => {
    const clock = new ManualClock();
    const waits: Array<(o: 'ok' | 'timed-out' | 'none') => void> = [];
    const stalled = new StalledPuts((timeoutMs) => new Promise((r) => waits.push(r) && expect(timeoutMs).toBeLessThanOrEqual(500)), clock, 500, 8);
    let ran = 0;
    const attempt = (): typeof POOL_BUSY => (ran++, POOL_BUSY);
    const p = stalled.add(attempt);
    await settle();
    expect(waits.length).toBe(1);
    clock.advance(500);
    waits.shift()!('timed-out');
    const r = await p;
    expect(r.status).toBe('OS_PAGE_CACHE_BUSY');
    expect(r.reason).toMatch(/osPageCacheBusyTimeOutMills=500/);
    expect(r.physicalOffset).toBe(-1);
    expect(ran).toBe(2); // tried when queued and once more at its deadline; nothing appended
  });

  it('keeps arrival order, answers busy past maxPending at once, and fails all when no buffer can come back', async () => {
    const clock = new ManualClock();
    const waits: Array<(o: 'ok' | 'timed-out' | 'none') => void> = [];
    const stalled = new StalledPuts(() => new Promise((r) => waits.push(r)), clock, 1000, 3);
    let free = false;
    const order: number[] = [];
    const attempt = (n: number) => (): Promise<PutMessageResult> | typeof POOL_BUSY => (free ? (order.push(n), ok(n)) : POOL_BUSY);
    const a = stalled.add(attempt(1));
    const b = stalled.add(attempt(2));
    const c = stalled.add(attempt(3));
    expect((await stalled.add(attempt(4))).status).toBe('OS_PAGE_CACHE_BUSY');
    await settle();
    free = true;
    waits.shift()!('ok');
    expect((await Promise.all([a, b, c])).map((r) => r.queueOffset)).toEqual([1, 2, 3]);
    expect(order).toEqual([1, 2, 3]);
    free = false;
    const d = stalled.add(attempt(5));
    await settle();
    waits.shift()!('none');
    expect((await d).status).toBe('CREATE_MAPPED_FILE_FAILED');
  });
});
