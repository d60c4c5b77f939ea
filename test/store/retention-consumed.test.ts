// Issue 14 item 3 (full disks), with a disk-usage probe the test sets: above
// diskSpaceCleanForciblyRatio retention deletes an unexpired segment only when every consumer
// group of every topic in it has consumed past it; otherwise it keeps it, says why, and the disk
// guard refuses puts at diskSpaceWarningLevelRatio with that reason. RocketMQ's forced deletion
// needs cleanFileForciblyEnable=true and is logged as a WARN (at start and per segment).
// The same on a real full tmpfs: test/faults/disk-full-retention.test.ts.
import { describe, expect, it } from 'vitest';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, PutMessageStatus, type PutMessageResult } from '../../src/store/statuses.js';
import { memoryLogger } from '../../src/util/logger.js';
import { bodyOf, putOk, smallConfig, SMALL_SEGMENT_BYTES, waitCommitted, waitUntil, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-retention-');
const TOPIC = 'Keep';

function config(dir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return smallConfig(dir, 'node', { flushServiceInWorker: false, cleanResourceInterval: 5, flushCommitLogLeastPages: 0, ...overrides });
}

async function putMany(store: MessageStore, count: number): Promise<PutMessageResult[]> {
  const out: PutMessageResult[] = [];
  for (let i = 0; i < count; i++) out.push(await putOk(store, { topic: TOPIC, queueId: 0, body: bodyOf(i, 3000) }));
  await waitCommitted(store, { flushed: true });
  return out;
}

/** Queue offsets [from, puts.length) read back with their bodies. */
async function expectAllReadable(store: MessageStore, puts: PutMessageResult[], from = 0): Promise<void> {
  for (let offset = from; offset < puts.length; ) {
    const r = await store.getMessage({ group: 'check', topic: TOPIC, queueId: 0, offset, maxMsgNums: 32 });
    expect(r.status, `queue offset ${offset}`).toBe(GetMessageStatus.FOUND);
    for (const m of r.messages) expect(Buffer.from(m.body!).equals(Buffer.from(bodyOf(m.queueOffset, 3000)))).toBe(true);
    offset = r.nextBeginOffset;
  }
}

describe('retention under disk pressure keeps unconsumed messages by default', () => {
  it('no consumer group: nothing is deleted, the reason is logged, puts are refused at the warning level with it', async () => {
    let usage = 0.1;
    const logger = memoryLogger();
    await withStore(
      config(newDir()),
      async (store) => {
        const puts = await putMany(store, 100); // ~5 segments
        usage = 0.87; // above diskSpaceCleanForciblyRatio (85), below the warning level (90)
        await waitUntil(() => logger.lines.some((l) => l.startsWith('WARN') && l.includes('holds unconsumed messages')), 'retention says why it keeps the segment');
        expect(store.getMinPhyOffset()).toBe(0);
        expect(logger.lines.some((l) => l.includes('no consumer group of Keep is known'))).toBe(true);
        expect(logger.lines.some((l) => /retention: deleting|FORCED/.test(l))).toBe(false);
        usage = 0.95;
        let refused: PutMessageResult | null = null;
        for (let i = 0; i < 10_000 && refused === null; i++) {
          const r = await store.putMessage({ topic: TOPIC, queueId: 0, body: bodyOf(100 + i, 3000) });
          if (r.status === PutMessageStatus.PUT_OK) puts.push(r);
          else refused = r;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        expect(refused?.status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
        expect(refused?.reason).toMatch(/diskSpaceWarningLevelRatio=90; nothing can be deleted without losing messages/);
        expect(store.getMinPhyOffset()).toBe(0);
        await waitCommitted(store);
        await expectAllReadable(store, puts);
      },
      { logger, diskUsage: () => usage },
    );
  });

  it('segments every group has consumed go; the first one a group still needs stays', async () => {
    let usage = 0.1;
    const logger = memoryLogger();
    await withStore(
      config(newDir()),
      async (store) => {
        const puts = await putMany(store, 100);
        const inSegment = (k: number): number => puts.findIndex((p) => p.physicalOffset >= k * SMALL_SEGMENT_BYTES); // first queue offset in segment k
        store.commitOffset('fast', TOPIC, 0, inSegment(3)); // consumed segments 0..2
        store.commitOffset('slow', TOPIC, 0, inSegment(1) + 1); // consumed segment 0 (and one more message)
        usage = 0.87;
        await waitUntil(() => store.getMinPhyOffset() === SMALL_SEGMENT_BYTES, 'segment 0 is deleted');
        await waitUntil(() => logger.lines.some((l) => l.includes('not consumed by group slow')), 'retention names the group that holds segment 1');
        expect(store.getMinPhyOffset()).toBe(SMALL_SEGMENT_BYTES);
        expect(store.getMinOffsetInQueue(TOPIC, 0)).toBe(inSegment(1));
        store.commitOffset('slow', TOPIC, 0, inSegment(3));
        await waitUntil(() => store.getMinPhyOffset() === 3 * SMALL_SEGMENT_BYTES, 'segments 1 and 2 are deleted once both groups consumed them');
        await expectAllReadable(store, puts, inSegment(3));
      },
      { logger, diskUsage: () => usage },
    );
  });

  it('cleanFileForciblyEnable=true: RocketMQ behaviour, unconsumed segments are deleted, with a warning at start and per segment', async () => {
    let usage = 0.1;
    const logger = memoryLogger();
    await withStore(
      config(newDir(), { cleanFileForciblyEnable: true }),
      async (store) => {
        expect(logger.lines.some((l) => l.startsWith('WARN') && l.includes('cleanFileForciblyEnable=true'))).toBe(true);
        await putMany(store, 100);
        usage = 0.87;
        await waitUntil(() => store.getMinPhyOffset() > 0, 'forced deletion');
        expect(logger.lines.some((l) => l.startsWith('WARN') && l.includes('FORCED deletion') && l.includes('never consumed'))).toBe(true);
        const r = await store.getMessage({ group: 'g', topic: TOPIC, queueId: 0, offset: 0, maxMsgNums: 1 });
        expect(r.status).toBe(GetMessageStatus.OFFSET_TOO_SMALL);
      },
      { logger, diskUsage: () => usage },
    );
  });
});
