// Every GetMessageStatus of MessageStore.getMessage (RocketMQ DefaultMessageStore.getMessage, spec
// §4.4), with the nextBeginOffset each one must suggest, plus the batch limits of FOUND.
//
//   NO_MATCHED_LOGIC_QUEUE   no ConsumeQueue for (topic, queueId)                next = 0
//   NO_MESSAGE_IN_QUEUE      the queue exists but has no entry (max = 0)          next = 0
//   OFFSET_TOO_SMALL         offset < minOffset                                   next = min
//   OFFSET_OVERFLOW_ONE      offset == maxOffset                                  next = offset
//   OFFSET_OVERFLOW_BADLY    offset > maxOffset                                   next = min == 0 ? 0 : max
//   FOUND                    >= 1 message                                         next = offset + entries scanned
//   OFFSET_FOUND_NULL        entries scanned but none readable in the CommitLog   next = offset + entries scanned
//   MESSAGE_CORRUPTED        (mqstore) the first entry's record is damaged        next = offset + 1
//
// How the hard ones are reached here (all through the public API plus file operations done
// while the store is closed):
//   NO_MESSAGE_IN_QUEUE  (a) a put whose bytes are not committed yet: the queue exists from the
//                        put on, its entry only after commit (node backend, in-thread service,
//                        frozen ManualClock = the commit interval never elapses until we step it);
//                        (b) an empty queue directory on disk.
//   OFFSET_TOO_SMALL     (a) the first ConsumeQueue file deleted while closed (tiny CQ segments);
//                        (b) retention deleting old CommitLog segments under disk pressure.
//   OFFSET_FOUND_NULL    the oldest CommitLog segment deleted while closed.
//   MESSAGE_CORRUPTED    a record in an old CommitLog segment damaged while closed (normal
//                        recovery only scans the last three segments, so its CQ entry survives).
import { openSync, closeSync, mkdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, type GetMessageResult, type PutMessageResult } from '../../src/store/statuses.js';
import {
  AVAILABLE_BACKENDS,
  type Backend,
  BACKENDS,
  bodyOf,
  openStore,
  putOk,
  segmentFiles,
  smallConfig,
  waitCommitted,
  waitUntil,
  withStore,
} from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-getstatus-');

/** The statuses do not depend on where the persistence service runs (flush-modes.test.ts covers
 * both placements): in-thread here, which opens in ~2 ms instead of ~200 ms for a worker. */
function storeConfig(dir: string, backend: Backend, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return smallConfig(dir, backend, { flushServiceInWorker: false, ...overrides });
}

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`getMessage statuses on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

function get(store: MessageStore, topic: string, queueId: number, offset: number, maxMsgNums = 32): Promise<GetMessageResult> {
  return store.getMessage({ group: 'G', topic, queueId, offset, maxMsgNums });
}

async function putMany(store: MessageStore, topic: string, count: number, bodyBytes = 100, queueId = 0): Promise<PutMessageResult[]> {
  const out: PutMessageResult[] = [];
  for (let i = 0; i < count; i++) out.push(await putOk(store, { topic, queueId, body: bodyOf(i, bodyBytes), keys: `k${i}` }));
  return out;
}

describe.each(AVAILABLE_BACKENDS)('getMessage statuses: %s backend', (backend) => {
  it('NO_MATCHED_LOGIC_QUEUE for an unknown topic and for an unknown queue of a known topic', async () => {
    await withStore(storeConfig(newDir(), backend), async (store) => {
      let r = await get(store, 'Nobody', 0, 0);
      expect(r).toMatchObject({ status: GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, nextBeginOffset: 0, messages: [] });
      await putMany(store, 'Known', 3);
      await waitCommitted(store);
      r = await get(store, 'Known', 7, 0);
      expect(r).toMatchObject({ status: GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, nextBeginOffset: 0, messages: [] });
      r = await get(store, 'Known', 0, 0);
      expect(r.status).toBe(GetMessageStatus.FOUND);
    });
  });

  it('NO_MESSAGE_IN_QUEUE for a queue directory without entries', async () => {
    const dir = newDir();
    mkdirSync(join(dir, 'consumequeue', 'Empty', '5'), { recursive: true });
    await withStore(storeConfig(dir, backend), async (store) => {
      for (const offset of [0, 3]) {
        const r = await get(store, 'Empty', 5, offset);
        expect(r).toMatchObject({ status: GetMessageStatus.NO_MESSAGE_IN_QUEUE, nextBeginOffset: 0, minOffset: 0, maxOffset: 0, messages: [] });
      }
      // the queue takes messages normally afterwards, from queue offset 0
      const p = await putOk(store, { topic: 'Empty', queueId: 5, body: 'first' });
      expect(p.queueOffset).toBe(0);
      await waitCommitted(store);
      expect((await get(store, 'Empty', 5, 0)).status).toBe(GetMessageStatus.FOUND);
    });
  });

  it('OFFSET_OVERFLOW_ONE at maxOffset and OFFSET_OVERFLOW_BADLY past it (minOffset 0: next = 0)', async () => {
    await withStore(storeConfig(newDir(), backend), async (store) => {
      await putMany(store, 'Over', 5);
      await waitCommitted(store);
      const one = await get(store, 'Over', 0, 5);
      expect(one).toMatchObject({ status: GetMessageStatus.OFFSET_OVERFLOW_ONE, nextBeginOffset: 5, minOffset: 0, maxOffset: 5, messages: [] });
      for (const offset of [6, 1000]) {
        const badly = await get(store, 'Over', 0, offset);
        expect(badly).toMatchObject({ status: GetMessageStatus.OFFSET_OVERFLOW_BADLY, nextBeginOffset: 0, minOffset: 0, maxOffset: 5, messages: [] });
      }
    });
  });

  it('FOUND: nextBeginOffset = offset + messages, limited by maxMsgNums, the transfer count and the transfer bytes', async () => {
    const config = storeConfig(newDir(), backend, { maxTransferCountOnMessageInMemory: 8, maxTransferBytesOnMessageInMemory: 5000 });
    await withStore(config, async (store) => {
      const puts = await putMany(store, 'Found', 20, 100); // 100-byte bodies: 196-byte records
      await waitCommitted(store);
      const expectRun = (r: GetMessageResult, from: number, count: number): void => {
        expect(r.status).toBe(GetMessageStatus.FOUND);
        expect(r.messages.map((m) => m.queueOffset)).toEqual(Array.from({ length: count }, (_, i) => from + i));
        expect(r.messages.map((m) => m.physicalOffset)).toEqual(puts.slice(from, from + count).map((p) => p.physicalOffset));
        expect(r.nextBeginOffset).toBe(from + count);
        expect(r.minOffset).toBe(0);
        expect(r.maxOffset).toBe(20);
      };
      expectRun(await get(store, 'Found', 0, 0, 1), 0, 1);
      expectRun(await get(store, 'Found', 0, 3, 5), 3, 5);
      // maxMsgNums 0 still returns one message (RocketMQ: the first message never makes the batch full)
      expectRun(await get(store, 'Found', 0, 3, 0), 3, 1);
      // capped by maxTransferCountOnMessageInMemory = 8
      expectRun(await get(store, 'Found', 0, 2, 100), 2, 8);
      // at the end of the queue: what is left
      expectRun(await get(store, 'Found', 0, 17, 8), 17, 3);
    });
    // byte limit: 1000-byte bodies = 1096-byte records; 4 fit in 5000 bytes, the 5th would not
    await withStore(storeConfig(newDir(), backend, { maxTransferBytesOnMessageInMemory: 5000 }), async (store) => {
      await putMany(store, 'Big', 10, 1000);
      await waitCommitted(store);
      const r = await get(store, 'Big', 0, 1, 32);
      expect(r.status).toBe(GetMessageStatus.FOUND);
      expect(r.messages.map((m) => m.queueOffset)).toEqual([1, 2, 3, 4]);
      expect(r.nextBeginOffset).toBe(5);
    });
  });

  it('OFFSET_TOO_SMALL below minOffset when the first ConsumeQueue file is gone (next = minOffset; past max: next = max)', async () => {
    const dir = newDir();
    // 200-byte ConsumeQueue segments: 10 entries per file
    const config = storeConfig(dir, backend, { mappedFileSizeConsumeQueue: 200 });
    await withStore(config, async (store) => {
      await putMany(store, 'Small', 25);
    });
    const cqDir = join(dir, 'consumequeue', 'Small', '0');
    expect(segmentFiles(cqDir).map((f) => f.offset)).toEqual([0, 200, 400]);
    rmSync(join(cqDir, '00000000000000000000'));
    await withStore(config, async (store) => {
      expect(store.getMinOffsetInQueue('Small', 0)).toBe(10);
      expect(store.getMaxOffsetInQueue('Small', 0)).toBe(25);
      for (const offset of [0, 9]) {
        const r = await get(store, 'Small', 0, offset);
        expect(r).toMatchObject({ status: GetMessageStatus.OFFSET_TOO_SMALL, nextBeginOffset: 10, minOffset: 10, maxOffset: 25, messages: [] });
      }
      const found = await get(store, 'Small', 0, 10, 2);
      expect(found.status).toBe(GetMessageStatus.FOUND);
      expect(found.messages.map((m) => m.queueOffset)).toEqual([10, 11]);
      expect(found.messages[0]!.keys).toEqual(['k10']);
      // with minOffset > 0, OFFSET_OVERFLOW_BADLY suggests maxOffset
      const badly = await get(store, 'Small', 0, 40);
      expect(badly).toMatchObject({ status: GetMessageStatus.OFFSET_OVERFLOW_BADLY, nextBeginOffset: 25 });
      // new messages continue the queue
      expect((await putOk(store, { topic: 'Small', body: 'next' })).queueOffset).toBe(25);
    });
  });

  it('MESSAGE_CORRUPTED when a ConsumeQueue entry points at a record that cannot be read (damaged old segment)', async () => {
    const dir = newDir();
    const config = storeConfig(dir, backend);
    let puts: PutMessageResult[] = [];
    await withStore(config, async (store) => {
      puts = await putMany(store, 'Null', 100, 3000); // ~3.1 KB records, 23 per 72 KiB segment: 5 segments
    });
    expect(segmentFiles(join(dir, 'commitlog')).length).toBeGreaterThanOrEqual(5);
    // damage the MAGIC of message 3 (segment 0 is outside the last-three-segments normal recovery scan)
    const fd = openSync(join(dir, 'commitlog', '00000000000000000000'), 'r+');
    try {
      writeSync(fd, Buffer.alloc(4), 0, 4, puts[3]!.physicalOffset + 4);
    } finally {
      closeSync(fd);
    }
    await withStore(config, async (store) => {
      expect(store.runtimeInfo().lastRecovery?.corruption).toBeNull();
      expect(store.getMaxOffsetInQueue('Null', 0)).toBe(100);
      const bad = await get(store, 'Null', 0, 3, 1);
      expect(bad).toMatchObject({ status: GetMessageStatus.MESSAGE_CORRUPTED, nextBeginOffset: 4, messages: [] });
      expect(bad.corruption).toMatchObject({ queueOffset: 3, physicalOffset: puts[3]!.physicalOffset });
      // a wider window ends before the unreadable entry (never skips it silently)
      const around = await get(store, 'Null', 0, 2, 3);
      expect(around.status).toBe(GetMessageStatus.FOUND);
      expect(around.messages.map((m) => m.queueOffset)).toEqual([2]);
      expect(around.nextBeginOffset).toBe(3);
      const after = await get(store, 'Null', 0, 4, 3);
      expect(after.messages.map((m) => m.queueOffset)).toEqual([4, 5, 6]);
      expect(store.lookMessageByOffset(puts[3]!.physicalOffset)).toBeNull();
      expect(store.lookMessageByOffset(puts[4]!.physicalOffset)?.queueOffset).toBe(4);
    });
  });
});

describe('NO_MESSAGE_IN_QUEUE before the first put of a queue is committed (node backend, in-thread service, frozen clock)', () => {
  it('reports NO_MESSAGE_IN_QUEUE until the commit, then FOUND', async () => {
    const clock = new ManualClock();
    const config = smallConfig(newDir(), 'node', { flushServiceInWorker: false, commitIntervalCommitLog: 200 });
    await withStore(
      config,
      async (store) => {
        const p = await putOk(store, { topic: 'Pending', queueId: 2, body: 'not yet committed' });
        expect(p.queueOffset).toBe(0);
        // the bytes are written but not committed: the queue exists, its entry does not yet
        expect(store.runtimeInfo().committedOffset).toBe(0);
        const r = await get(store, 'Pending', 2, 0);
        expect(r).toMatchObject({ status: GetMessageStatus.NO_MESSAGE_IN_QUEUE, nextBeginOffset: 0, maxOffset: 0 });
        // a queue that was never put to is still NO_MATCHED_LOGIC_QUEUE
        expect((await get(store, 'Pending', 3, 0)).status).toBe(GetMessageStatus.NO_MATCHED_LOGIC_QUEUE);
        await waitCommitted(store, { tick: () => clock.advance(50) });
        const found = await get(store, 'Pending', 2, 0);
        expect(found.status).toBe(GetMessageStatus.FOUND);
        expect(new TextDecoder().decode(found.messages[0]!.body!)).toBe('not yet committed');
      },
      { clock },
    );
  });
});

describe('statuses after the oldest CommitLog segments are gone', () => {
  it('OFFSET_FOUND_NULL for entries whose segment was deleted while the store was closed', async () => {
    const dir = newDir();
    const config = storeConfig(dir, 'node');
    await withStore(config, async (store) => {
      await putMany(store, 'Gone', 100, 3000);
    });
    rmSync(join(dir, 'commitlog', '00000000000000000000'));
    await withStore(config, async (store) => {
      expect(store.getMinPhyOffset()).toBe(73_728);
      // the queue still starts at 0 here (see the retention test below for the RocketMQ rule)
      const min = store.getMinOffsetInQueue('Gone', 0);
      if (min === 0) {
        const r = await get(store, 'Gone', 0, 0, 1);
        expect(r).toMatchObject({ status: GetMessageStatus.OFFSET_FOUND_NULL, nextBeginOffset: 1, messages: [] });
      } else {
        expect((await get(store, 'Gone', 0, 0, 1)).status).toBe(GetMessageStatus.OFFSET_TOO_SMALL);
      }
      const last = await get(store, 'Gone', 0, 99, 1);
      expect(last.status).toBe(GetMessageStatus.FOUND);
    });
  });

  async function retainUnderPressure(dir: string): Promise<{ config: Record<string, unknown>; firstKept: number; minPhy: number }> {
    let usage = 0.1;
    // forced deletion of unconsumed segments is RocketMQ's cleanFileForciblyEnable (off by default here)
    const config = storeConfig(dir, 'node', { cleanResourceInterval: 5, flushCommitLogLeastPages: 0, cleanFileForciblyEnable: true });
    let firstKept = -1;
    let minPhy = -1;
    await withStore(
      config,
      async (store) => {
        const puts = await putMany(store, 'Kept', 100, 3000);
        await waitCommitted(store, { flushed: true });
        usage = 0.87; // above diskSpaceCleanForciblyRatio (85), below the warning level (90)
        await waitUntil(() => store.getMinPhyOffset() > 0, 'retention deletes the oldest segments');
        usage = 0.1;
        minPhy = store.getMinPhyOffset();
        firstKept = puts.findIndex((p) => p.physicalOffset >= minPhy);
        expect(firstKept).toBeGreaterThan(0);
        expect(store.getMinOffsetInQueue('Kept', 0)).toBe(firstKept);
        const r = await get(store, 'Kept', 0, 0);
        expect(r).toMatchObject({ status: GetMessageStatus.OFFSET_TOO_SMALL, nextBeginOffset: firstKept, minOffset: firstKept, messages: [] });
        const f = await get(store, 'Kept', 0, firstKept, 1);
        expect(f.status).toBe(GetMessageStatus.FOUND);
      },
      { diskUsage: () => usage },
    );
    return { config, firstKept, minPhy };
  }

  it('OFFSET_TOO_SMALL after retention deleted the oldest segments (live store)', async () => {
    await retainUnderPressure(newDir());
  });

  // RocketMQ recoverTopicQueueTable (spec §3.3 step 4) corrects every queue's min offset to the
  // first entry at or above the CommitLog min offset at load. Here the queue's minOffset goes
  // back to 0 after a restart, so consumers get OFFSET_FOUND_NULL (and getMinOffsetInQueue lies).
  it('OFFSET_TOO_SMALL after retention, still after a restart (queue minOffset corrected at load)', async () => {
    const dir = newDir();
    const { config, firstKept, minPhy } = await retainUnderPressure(dir);
    const store = await openStore(config);
    try {
      expect(store.getMinPhyOffset()).toBe(minPhy);
      expect(store.getMinOffsetInQueue('Kept', 0)).toBe(firstKept);
      const r = await get(store, 'Kept', 0, 0);
      expect(r.status).toBe(GetMessageStatus.OFFSET_TOO_SMALL);
    } finally {
      await store.close();
    }
  });
});
