// Issue 14 item 6: a ConsumeQueue missing or damaged for one queue is detected at open and
// rebuilt from the CommitLog, with a log line naming the queue and the entry count: its only
// file deleted, its directory deleted, a file in the middle deleted, garbage in 10 entries, an
// entry that points at another queue's record, and (no manifest) a queue with committed
// consumer offsets but no files. A clean reopen rebuilds nothing. Files are changed with node:fs
// while the store is closed.
import { closeSync, openSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, type PutMessageResult } from '../../src/store/statuses.js';
import { memoryLogger } from '../../src/util/logger.js';
import { AVAILABLE_BACKENDS, bodyOf, putOk, segmentFiles, smallConfig, withStore, type Backend } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-cqrebuild-');
const TOPIC = 'Rebuild';
const QUEUES = 3;
const COUNT = 600;
const ENTRY = 20;

function config(dir: string, backend: Backend, cqEntriesPerFile = 100): Record<string, unknown> {
  return smallConfig(dir, backend, { flushServiceInWorker: false, mappedFileSizeConsumeQueue: cqEntriesPerFile * ENTRY });
}

async function fill(dir: string, backend: Backend, cqEntriesPerFile?: number): Promise<PutMessageResult[]> {
  const out: PutMessageResult[] = [];
  await withStore(config(dir, backend, cqEntriesPerFile), async (store) => {
    for (let i = 0; i < COUNT; i++) out.push(await putOk(store, { topic: TOPIC, queueId: i % QUEUES, body: bodyOf(i, 200 + (i % 5) * 50) }));
  });
  return out;
}

/** Every message of every queue reads back, in order, with its body; no skipped offsets. */
async function expectAll(store: MessageStore): Promise<void> {
  for (let q = 0; q < QUEUES; q++) {
    const want = Array.from({ length: COUNT / QUEUES }, (_, k) => k * QUEUES + q);
    expect(store.getMaxOffsetInQueue(TOPIC, q), `max offset of queue ${q}`).toBe(want.length);
    const got: number[] = [];
    for (let offset = 0, guard = 0; offset < want.length && guard < want.length; guard++) {
      const r = await store.getMessage({ group: 'G', topic: TOPIC, queueId: q, offset, maxMsgNums: 32 });
      expect(r.status, `queue ${q} offset ${offset}`).toBe(GetMessageStatus.FOUND);
      for (const m of r.messages) {
        const seq = want[m.queueOffset]!;
        expect(Buffer.from(m.body!).equals(Buffer.from(bodyOf(seq, 200 + (seq % 5) * 50)))).toBe(true);
        got.push(seq);
      }
      offset = r.nextBeginOffset;
    }
    expect(got).toEqual(want);
  }
}

function queueDir(dir: string, q: number): string {
  return join(dir, 'consumequeue', TOPIC, String(q));
}

function patch(path: string, position: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}

function readAt(path: string, position: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, out, 0, length, position);
  } finally {
    closeSync(fd);
  }
  return out;
}

async function reopenExpectingRebuild(dir: string, backend: Backend, queue: number, why: RegExp, cqEntriesPerFile?: number): Promise<void> {
  const logger = memoryLogger();
  await withStore(
    config(dir, backend, cqEntriesPerFile),
    async (store) => {
      await expectAll(store);
      const lines = logger.lines.filter((l) => /ConsumeQueue \S+\/\d+: .*rebuilt/.test(l));
      expect(lines, logger.lines.join('\n')).toHaveLength(1);
      expect(lines[0]).toContain(`ConsumeQueue ${TOPIC}/${queue}:`);
      expect(lines[0]).toContain(`rebuilt ${COUNT / QUEUES} entries`);
      expect(lines[0]).toMatch(why);
    },
    { logger },
  );
  // and the rebuilt queue is right at the next open, with nothing to rebuild
  const again = memoryLogger();
  await withStore(config(dir, backend, cqEntriesPerFile), async (store) => expectAll(store), { logger: again });
  expect(again.lines.filter((l) => /ConsumeQueue \S+\/\d+: .*rebuilt/.test(l))).toEqual([]);
}

describe.each(AVAILABLE_BACKENDS)('ConsumeQueue check and rebuild at open: %s backend', (backend) => {
  it('a clean reopen rebuilds nothing', async () => {
    const dir = newDir();
    await fill(dir, backend);
    const logger = memoryLogger();
    await withStore(config(dir, backend), async (store) => expectAll(store), { logger });
    expect(logger.lines.filter((l) => l.includes('rebuilt'))).toEqual([]);
  });

  it("one queue's only ConsumeQueue file deleted: rebuilt", async () => {
    const dir = newDir();
    await fill(dir, backend, 1000);
    const files = segmentFiles(queueDir(dir, 1));
    expect(files).toHaveLength(1);
    rmSync(files[0]!.path);
    await reopenExpectingRebuild(dir, backend, 1, /no ConsumeQueue entries, but the queue had 200 at the last close/, 1000);
  });

  it("one queue's directory deleted: rebuilt", async () => {
    const dir = newDir();
    await fill(dir, backend);
    rmSync(queueDir(dir, 2), { recursive: true });
    await reopenExpectingRebuild(dir, backend, 2, /no ConsumeQueue entries/);
  });

  it('a ConsumeQueue file in the middle deleted: rebuilt (not a refusal to open)', async () => {
    const dir = newDir();
    await fill(dir, backend, 20); // 10 files per queue
    const files = segmentFiles(queueDir(dir, 0));
    expect(files.length).toBeGreaterThanOrEqual(10);
    rmSync(files[4]!.path);
    await reopenExpectingRebuild(dir, backend, 0, /does not follow/, 20);
  });

  it('the last ConsumeQueue file deleted: rebuilt (fewer entries than at the last clean close)', async () => {
    const dir = newDir();
    await fill(dir, backend, 20);
    rmSync(segmentFiles(queueDir(dir, 0)).at(-1)!.path);
    await reopenExpectingRebuild(dir, backend, 0, /entries, but it had 200 at the last clean close/, 20);
  });

  it('garbage in 10 entries: rebuilt, no message skipped', async () => {
    const dir = newDir();
    await fill(dir, backend);
    const path = segmentFiles(queueDir(dir, 1))[0]!.path;
    const garbage = Buffer.alloc(10 * ENTRY);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 151 + 7) & 0xff;
    patch(path, 40 * ENTRY, garbage);
    await reopenExpectingRebuild(dir, backend, 1, /entry 40 /);
  });

  it("an entry that points at another queue's record: rebuilt", async () => {
    const dir = newDir();
    await fill(dir, backend);
    const fromOther = readAt(segmentFiles(queueDir(dir, 1))[0]!.path, 7 * ENTRY, ENTRY);
    patch(segmentFiles(queueDir(dir, 0))[0]!.path, 7 * ENTRY, fromOther); // still in CommitLog order
    await reopenExpectingRebuild(dir, backend, 0, new RegExp(`entry 7 .*points at a record of ${TOPIC}/1 queue offset 7`));
  });

  it('no manifest (an older store): a queue with committed consumer offsets but no files is rebuilt', async () => {
    const dir = newDir();
    await fill(dir, backend);
    await withStore(config(dir, backend), async (store) => store.commitOffset('G', TOPIC, 2, 5));
    rmSync(join(dir, 'config', 'consumeQueues.json'));
    rmSync(queueDir(dir, 2), { recursive: true });
    await reopenExpectingRebuild(dir, backend, 2, /a consumer group committed offset 5/);
  });

  it('the manifest lists every queue with its count after a clean close', async () => {
    const dir = newDir();
    await fill(dir, backend);
    const manifest = JSON.parse(readFileSync(join(dir, 'config', 'consumeQueues.json'), 'utf8')) as { queues: Record<string, Record<string, number>> };
    expect(manifest.queues).toEqual({ [TOPIC]: { '0': 200, '1': 200, '2': 200 } });
  });
});
