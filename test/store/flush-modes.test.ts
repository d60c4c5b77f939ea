// Flush policies (spec §5.3, §5.4), with the persistence service in a worker thread and
// in-thread, on every IO backend here:
//   SYNC_FLUSH   a put resolves PUT_OK only once `flushed` covers its bytes (group commit: many
//                puts in flight, all flushed when they resolve); its entry is visible at once.
//   ASYNC_FLUSH  a put resolves at once; `flushed` reaches the end of the log by itself (the
//                least-pages rule defers a small tail until the thorough interval), and close()
//                flushes everything (flushed == wrote, clean shutdown: no abort file).
// Waits poll runtimeInfo() between setImmediate turns, bounded by a deadline; no sleeps.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, PutMessageStatus, type PutMessageInput, type PutMessageResult } from '../../src/store/statuses.js';
import { AVAILABLE_BACKENDS, type Backend, BACKENDS, bodyOf, openStore, smallConfig, waitUntil, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-flush-');

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`flush modes on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

interface Setup {
  name: string;
  backend: Backend;
  inWorker: boolean;
  tsp: boolean;
}

const SETUPS: Setup[] = AVAILABLE_BACKENDS.flatMap((backend) => [
  { name: `${backend}, worker`, backend, inWorker: true, tsp: false },
  { name: `${backend}, in-thread`, backend, inWorker: false, tsp: false },
  { name: `${backend} + TSP, worker`, backend, inWorker: true, tsp: true },
]);

function configOf(s: Setup, dir: string, overrides: Record<string, unknown>): Record<string, unknown> {
  return smallConfig(dir, s.backend, { flushServiceInWorker: s.inWorker, transientStorePoolEnable: s.tsp, ...overrides });
}

interface Settled {
  r: PutMessageResult;
  /** runtimeInfo().flushedOffset read when the put resolved. */
  flushedAtResolve: number;
}

/** `total` puts with at most `inFlight` outstanding; records the flushed offset seen at each resolution. */
async function putConcurrently(store: MessageStore, total: number, inFlight: number, make: (i: number) => PutMessageInput): Promise<Settled[]> {
  const out: Settled[] = new Array(total);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      const r = await store.putMessage(make(i));
      out[i] = { r, flushedAtResolve: store.runtimeInfo().flushedOffset };
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return out;
}

function expectOrdered(store: MessageStore): void {
  const info = store.runtimeInfo();
  expect(info.flushedOffset).toBeLessThanOrEqual(info.committedOffset);
  expect(info.committedOffset).toBeLessThanOrEqual(info.wroteOffset);
}

describe.each(SETUPS.map((s) => [s.name, s] as const))('SYNC_FLUSH: %s', (_name, setup) => {
  it('resolves each put PUT_OK only when flushed covers it, and its entry is readable at once', async () => {
    await withStore(configOf(setup, newDir(), { flushDiskType: 'SYNC_FLUSH' }), async (store) => {
      expect(store.runtimeInfo().persistencePlacement).toBe(setup.inWorker ? 'worker' : 'in-thread');
      for (let i = 0; i < 60; i++) {
        const r = await store.putMessage({ topic: 'Sync', queueId: i % 2, body: bodyOf(i, 200 + i * 40) });
        expect(r.status, r.reason).toBe(PutMessageStatus.PUT_OK);
        const info = store.runtimeInfo();
        expect(info.flushedOffset, `put ${i}`).toBeGreaterThanOrEqual(r.physicalOffset + r.wroteBytes);
        expectOrdered(store);
        expect(store.getMaxOffsetInQueue('Sync', i % 2), `put ${i} visible`).toBe(r.queueOffset + 1);
      }
      // a batch too
      const b = await store.putMessages(Array.from({ length: 5 }, (_, j) => ({ topic: 'Sync', body: bodyOf(j, 300) })));
      expect(b.status).toBe(PutMessageStatus.PUT_OK);
      expect(store.runtimeInfo().flushedOffset).toBeGreaterThanOrEqual(b.physicalOffset + b.wroteBytes);
      const got = await store.getMessage({ group: 'G', topic: 'Sync', queueId: 0, offset: b.queueOffset, maxMsgNums: 5 });
      expect(got.status).toBe(GetMessageStatus.FOUND);
      expect(got.messages).toHaveLength(5);
    });
  });

  it('2000 puts with 256 in flight: all PUT_OK, each flushed when it resolves (group commit)', async () => {
    const dir = newDir();
    await withStore(configOf(setup, dir, { flushDiskType: 'SYNC_FLUSH' }), async (store) => {
      const settled = await putConcurrently(store, 2000, 256, (i) => ({ topic: 'Group', body: bodyOf(i, 100 + (i % 200)) }));
      const notOk = settled.filter((s) => s.r.status !== PutMessageStatus.PUT_OK);
      expect(notOk.map((s) => `${s.r.status}: ${s.r.reason}`)).toEqual([]);
      for (const s of settled) expect(s.flushedAtResolve).toBeGreaterThanOrEqual(s.r.physicalOffset + s.r.wroteBytes);
      // every queue offset once, every record at its own place
      expect(new Set(settled.map((s) => s.r.queueOffset)).size).toBe(2000);
      expect(Math.max(...settled.map((s) => s.r.queueOffset))).toBe(1999);
      const byOffset = [...settled].sort((a, b) => a.r.physicalOffset - b.r.physicalOffset);
      for (let i = 1; i < byOffset.length; i++) {
        const prev = byOffset[i - 1]!.r;
        expect(byOffset[i]!.r.physicalOffset).toBeGreaterThanOrEqual(prev.physicalOffset + prev.wroteBytes);
      }
      const info = store.runtimeInfo();
      expect(info.flushedOffset).toBe(info.wroteOffset);
      expect(store.getMaxOffsetInQueue('Group', 0)).toBe(2000);
      expect(store.getMaxPhyOffset()).toBeGreaterThan(3 * 73_728); // crossed several segments
    });
  });
});

describe.each(SETUPS.map((s) => [s.name, s] as const))('ASYNC_FLUSH: %s', (_name, setup) => {
  it('flushed reaches the end of the log by itself (small tail flushed by the thorough interval)', async () => {
    // least-pages 4 (the default) keeps a tail under 16 KiB waiting until the thorough interval
    const config = configOf(setup, newDir(), { flushDiskType: 'ASYNC_FLUSH', flushCommitLogLeastPages: 4, flushCommitLogThoroughInterval: 50 });
    await withStore(config, async (store) => {
      const settled = await putConcurrently(store, 500, 64, (i) => ({ topic: 'Async', queueId: i % 4, body: bodyOf(i, 150 + (i % 300)) }));
      expect(settled.every((s) => s.r.status === PutMessageStatus.PUT_OK)).toBe(true);
      expectOrdered(store);
      const wrote = store.runtimeInfo().wroteOffset;
      await waitUntil(() => store.runtimeInfo().flushedOffset >= wrote, `flushed reaches ${wrote}`, 15_000);
      const info = store.runtimeInfo();
      expect(info.flushedOffset).toBe(wrote);
      expect(info.committedOffset).toBe(wrote);
      expect(info.flushBehindBytes).toBe(0);
      expect(info.commitBehindBytes).toBe(0);
      // and a single small put later: also flushed eventually
      const r = await store.putMessage({ topic: 'Async', body: 'tail' });
      expect(r.status).toBe(PutMessageStatus.PUT_OK);
      await waitUntil(() => store.runtimeInfo().flushedOffset >= r.physicalOffset + r.wroteBytes, 'the small tail is flushed', 15_000);
    });
  });

  it('close() flushes everything: flushed == wrote, no abort file, the reopened log ends there', async () => {
    const dir = newDir();
    // long intervals: nothing would be flushed by the service on its own during the test
    const config = configOf(setup, dir, {
      flushDiskType: 'ASYNC_FLUSH',
      flushIntervalCommitLog: 60_000,
      flushCommitLogThoroughInterval: 600_000,
      commitIntervalCommitLog: 60_000,
      commitCommitLogThoroughInterval: 600_000,
    });
    const store = await openStore(config);
    let wrote = 0;
    try {
      const settled = await putConcurrently(store, 400, 32, (i) => ({ topic: 'Close', body: bodyOf(i, 100 + (i % 700)) }));
      expect(settled.every((s) => s.r.status === PutMessageStatus.PUT_OK)).toBe(true);
      wrote = store.runtimeInfo().wroteOffset;
      expect(wrote).toBe(Math.max(...settled.map((s) => s.r.physicalOffset + s.r.wroteBytes)));
      expectOrdered(store);
    } finally {
      await store.close();
    }
    const after = store.runtimeInfo();
    expect(after.wroteOffset).toBe(wrote);
    expect(after.flushedOffset).toBe(wrote);
    expect(after.committedOffset).toBe(wrote);
    expect(existsSync(join(dir, 'abort'))).toBe(false);
    await withStore(config, async (reopened) => {
      expect(reopened.runtimeInfo().lastRecovery).toMatchObject({ endOffset: wrote, corruption: null });
      expect(reopened.getMaxOffsetInQueue('Close', 0)).toBe(400);
      const last = await reopened.getMessage({ group: 'G', topic: 'Close', queueId: 0, offset: 399, maxMsgNums: 1 });
      expect(Buffer.from(last.messages[0]!.body!).equals(Buffer.from(bodyOf(399, 100 + (399 % 700))))).toBe(true);
    });
  });
});
