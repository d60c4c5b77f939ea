// Issue 14 item 2 (data safety): one damaged record in a cleanly closed store is fenced, never
// spread. Recovery keeps every segment and every valid record after a damaged one (the damage
// is reported as a hole with its file, offset and size, and copied to quarantine/), reads check
// the body CRC (checkCRCOnRead) and answer MESSAGE_CORRUPTED instead of the damaged bytes, and a
// ConsumeQueue rebuilt from the log skips the hole. After an unclean exit a torn tail is still
// cut, with a copy in quarantine/. Files are damaged with node:fs while the store is closed.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, type PutMessageResult } from '../../src/store/statuses.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { AVAILABLE_BACKENDS, bodyOf, putOk, segmentFiles, SMALL_SEGMENT_BYTES, smallConfig, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-fence-');
const SEG = SMALL_SEGMENT_BYTES;
const BODY_AT = 88; // BODY starts at byte 88 of a record with IPv4 hosts
const TOPIC = 'Fence';
const QUEUES = 2;

interface Sent {
  r: PutMessageResult;
  queueId: number;
  seq: number;
}

async function putMany(store: MessageStore, count: number): Promise<Sent[]> {
  const out: Sent[] = [];
  for (let seq = 0; seq < count; seq++) {
    const queueId = seq % QUEUES;
    out.push({ r: await putOk(store, { topic: TOPIC, queueId, body: bodyOf(seq, 1000 + (seq % 7) * 100) }), queueId, seq });
  }
  return out;
}

function flipByte(path: string, position: number): void {
  const fd = openSync(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, position);
    b[0] = b[0]! ^ 0x5a;
    writeSync(fd, b, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

function segmentPath(dir: string, offset: number): string {
  return join(dir, 'commitlog', String(offset - (offset % SEG)).padStart(20, '0'));
}

/** Every message but `skip` reads back through its queue with its own body, in order. */
async function expectReadableExcept(store: MessageStore, sent: Sent[], skip: Set<number>): Promise<void> {
  for (let queueId = 0; queueId < QUEUES; queueId++) {
    const mine = sent.filter((s) => s.queueId === queueId);
    const got: number[] = [];
    let offset = 0;
    for (let guard = 0; offset < mine.length && guard < 2 * mine.length; guard++) {
      const r = await store.getMessage({ group: 'G', topic: TOPIC, queueId, offset, maxMsgNums: 32 });
      if (r.status === GetMessageStatus.MESSAGE_CORRUPTED) {
        expect(skip.has(mine[offset]!.seq), `queue ${queueId} offset ${offset} reported damaged`).toBe(true);
        expect(r.nextBeginOffset).toBe(offset + 1);
        offset = r.nextBeginOffset;
        continue;
      }
      expect(r.status).toBe(GetMessageStatus.FOUND);
      for (const m of r.messages) {
        const s = mine[m.queueOffset]!;
        expect(Buffer.from(m.body!).equals(Buffer.from(bodyOf(s.seq, 1000 + (s.seq % 7) * 100))), `body of seq ${s.seq}`).toBe(true);
        got.push(s.seq);
      }
      offset = r.nextBeginOffset;
    }
    expect(got).toEqual(mine.filter((s) => !skip.has(s.seq)).map((s) => s.seq));
  }
}

describe.each(AVAILABLE_BACKENDS)('corruption fencing: %s backend', (backend) => {
  it('a flipped body byte in one of the last three segments is fenced: no segment deleted, every other message readable, the damaged one is MESSAGE_CORRUPTED', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false }); // placement is not the point here
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putMany(store, 300); // ~5 segments
    });
    const before = segmentFiles(join(dir, 'commitlog')).map((f) => f.name);
    expect(before.length).toBeGreaterThanOrEqual(5);
    // a record in the second-to-last data segment: inside normal recovery's scan
    const lastSegmentStart = Math.floor((sent.at(-1)!.r.physicalOffset) / SEG) * SEG;
    const victim = sent.find((s) => s.r.physicalOffset >= lastSegmentStart - SEG + 5000)!;
    const path = segmentPath(dir, victim.r.physicalOffset);
    const original = readFileSync(path).subarray(victim.r.physicalOffset % SEG, (victim.r.physicalOffset % SEG) + victim.r.wroteBytes);
    flipByte(path, (victim.r.physicalOffset % SEG) + BODY_AT + 17);
    const logger = memoryLogger();
    const end = sent.at(-1)!.r.physicalOffset + sent.at(-1)!.r.wroteBytes;
    await withStore(
      config,
      async (store) => {
        const rec = store.runtimeInfo().lastRecovery!;
        expect(rec.endOffset).toBe(end);
        expect(rec.droppedSegments).toBe(0);
        expect(rec.corruption).toBeNull();
        expect(rec.holes).toHaveLength(1);
        const hole = rec.holes[0]!;
        expect(hole).toMatchObject({ file: path, position: victim.r.physicalOffset % SEG, offset: victim.r.physicalOffset, size: victim.r.wroteBytes });
        expect(hole.reason).toMatch(/crc/i);
        // reported with file, offset and size
        expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes(path) && l.includes(`offset ${victim.r.physicalOffset}`) && l.includes(`${victim.r.wroteBytes} bytes`))).toBe(true);
        // a copy of the damaged bytes in quarantine/<from>-<to>-<ms>/<from>
        expect(hole.quarantineDir).not.toBeNull();
        expect(hole.quarantineDir!).toContain(join(dir, 'quarantine', `${String(hole.offset).padStart(20, '0')}-${String(hole.offset + hole.size).padStart(20, '0')}-`));
        const copy = readFileSync(join(hole.quarantineDir!, String(hole.offset).padStart(20, '0')));
        expect(copy.length).toBe(victim.r.wroteBytes);
        expect(copy.equals(original)).toBe(false); // the damaged bytes, as found
        expect(store.getMaxPhyOffset()).toBe(end);
        await expectReadableExcept(store, sent, new Set([victim.seq]));
        // the damaged message itself: a status and its place, never its bytes
        const r = await store.getMessage({ group: 'G', topic: TOPIC, queueId: victim.queueId, offset: victim.r.queueOffset, maxMsgNums: 8 });
        expect(r.status).toBe(GetMessageStatus.MESSAGE_CORRUPTED);
        expect(r.messages).toEqual([]);
        expect(r.corruption).toMatchObject({ queueOffset: victim.r.queueOffset, physicalOffset: victim.r.physicalOffset, size: victim.r.wroteBytes });
        expect(r.corruption!.reason).toMatch(/crc/i);
        // a batch that starts before it ends just before it
        const earlier = await store.getMessage({ group: 'G', topic: TOPIC, queueId: victim.queueId, offset: victim.r.queueOffset - 3, maxMsgNums: 8 });
        expect(earlier.status).toBe(GetMessageStatus.FOUND);
        expect(earlier.messages.map((m) => m.queueOffset)).toEqual([0, 1, 2].map((i) => victim.r.queueOffset - 3 + i));
        expect(earlier.nextBeginOffset).toBe(victim.r.queueOffset);
        expect(store.lookMessageByOffset(victim.r.physicalOffset)).toBeNull();
        // new puts go after the end, not into the hole
        const next = await putOk(store, { topic: TOPIC, queueId: 0, body: 'after' });
        expect(next.physicalOffset).toBeGreaterThanOrEqual(end);
      },
      { logger },
    );
    expect(segmentFiles(join(dir, 'commitlog')).map((f) => f.name).slice(0, before.length)).toEqual(before);
    // the hole is found again at the next open, and the copy is not made twice
    await withStore(config, async (store) => {
      expect(store.runtimeInfo().lastRecovery!.holes).toHaveLength(1);
    });
    expect(readdirSync(join(dir, 'quarantine'))).toHaveLength(1);
  });

  it('a damaged record header (TOTALSIZE) in the middle is fenced up to the next valid record', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false }); // placement is not the point here
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putMany(store, 150);
    });
    const victim = sent[sent.length - 20]!;
    const path = segmentPath(dir, victim.r.physicalOffset);
    flipByte(path, (victim.r.physicalOffset % SEG) + 2); // TOTALSIZE: the scan cannot step over it
    await withStore(config, async (store) => {
      const rec = store.runtimeInfo().lastRecovery!;
      expect(rec.droppedSegments).toBe(0);
      expect(rec.holes.map((h) => [h.offset, h.size])).toEqual([[victim.r.physicalOffset, victim.r.wroteBytes]]);
      expect(store.getMaxPhyOffset()).toBe(sent.at(-1)!.r.physicalOffset + sent.at(-1)!.r.wroteBytes);
      await expectReadableExcept(store, sent, new Set([victim.seq]));
    });
  });

  it('the search for the next valid record does not stop at a valid record copied inside a body (its PHYSICALOFFSET is not its place)', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false });
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putMany(store, 5);
    });
    const first = sent[0]!.r;
    const copy = readFileSync(segmentPath(dir, 0)).subarray(first.physicalOffset, first.physicalOffset + first.wroteBytes);
    let victim: PutMessageResult | null = null;
    await withStore(config, async (store) => {
      victim = await putOk(store, { topic: TOPIC, queueId: 1, body: Buffer.concat([Buffer.alloc(100, 0x11), copy, Buffer.alloc(50, 0x22)]) });
      for (let i = 0; i < 20; i++) await putOk(store, { topic: TOPIC, queueId: 0, body: bodyOf(1000 + i, 500) });
    });
    const v = victim!;
    flipByte(segmentPath(dir, v.physicalOffset), (v.physicalOffset % SEG) + 2); // its TOTALSIZE
    await withStore(config, async (store) => {
      const rec = store.runtimeInfo().lastRecovery!;
      expect(rec.holes.map((h) => [h.offset, h.size])).toEqual([[v.physicalOffset, v.wroteBytes]]);
      expect(rec.droppedSegments).toBe(0);
      expect(store.getMaxOffsetInQueue(TOPIC, 0)).toBe(3 + 20);
      const r = await store.getMessage({ group: 'G', topic: TOPIC, queueId: 0, offset: 3, maxMsgNums: 32 });
      expect(r.messages.map((m) => Buffer.from(m.body!).equals(Buffer.from(bodyOf(1000 + m.queueOffset - 3, 500))))).toEqual(Array(20).fill(true));
    });
  });

  it('a flipped body byte in an older segment (not scanned at open) is caught by the read CRC check', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false }); // placement is not the point here
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putMany(store, 300);
    });
    const victim = sent[3]!; // segment 0, outside the last three
    expect(segmentFiles(join(dir, 'commitlog')).length).toBeGreaterThan(3);
    flipByte(segmentPath(dir, victim.r.physicalOffset), (victim.r.physicalOffset % SEG) + BODY_AT + 5);
    const logger = memoryLogger();
    await withStore(
      config,
      async (store) => {
        expect(store.runtimeInfo().lastRecovery!.holes).toEqual([]);
        await expectReadableExcept(store, sent, new Set([victim.seq]));
        // a consumer retrying the damaged offset: one log line per interval, with a count
        for (let i = 0; i < 50; i++) {
          const r = await store.getMessage({ group: 'G', topic: TOPIC, queueId: victim.queueId, offset: victim.r.queueOffset, maxMsgNums: 1 });
          expect(r.status).toBe(GetMessageStatus.MESSAGE_CORRUPTED);
        }
        const lines = logger.lines.filter((l) => l.startsWith('ERROR') && l.includes('read:'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`${TOPIC}/${victim.queueId} queue offset ${victim.r.queueOffset}`);
      },
      { logger },
    );
    // with checkCRCOnRead=false the damaged body is returned (the documented opt-out)
    await withStore({ ...config, checkCRCOnRead: false }, async (store) => {
      const r = await store.getMessage({ group: 'G', topic: TOPIC, queueId: victim.queueId, offset: victim.r.queueOffset, maxMsgNums: 1 });
      expect(r.status).toBe(GetMessageStatus.FOUND);
      expect(Buffer.from(r.messages[0]!.body!).equals(Buffer.from(bodyOf(victim.seq, 1000 + (victim.seq % 7) * 100)))).toBe(false);
    });
  });

  it('ConsumeQueues rebuilt from the log skip a fenced hole', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false }); // placement is not the point here
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putMany(store, 200);
    });
    const victim = sent[sent.length - 30]!;
    flipByte(segmentPath(dir, victim.r.physicalOffset), (victim.r.physicalOffset % SEG) + 1); // TOTALSIZE
    rmSync(join(dir, 'consumequeue'), { recursive: true });
    const logger = memoryLogger();
    await withStore(
      config,
      async (store) => {
        expect(store.runtimeInfo().lastRecovery!.holes).toHaveLength(1);
        const mine = sent.filter((s) => s.queueId === victim.queueId);
        expect(store.getMaxOffsetInQueue(TOPIC, victim.queueId)).toBe(mine.length);
        await expectReadableExcept(store, sent, new Set([victim.seq]));
        expect(logger.lines.some((l) => l.startsWith('WARN') && l.includes('re-dispatch: skipping') && l.includes(`offset ${victim.r.physicalOffset}`))).toBe(true);
      },
      { logger },
    );
  });

  it('after an unclean exit a torn tail is still cut, with a copy of the cut bytes in quarantine/', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false }); // placement is not the point here
    const clock = new ManualClock();
    let sent: Sent[] = [];
    await withStore(
      config,
      async (store) => {
        sent = await putMany(store, 40);
      },
      { clock },
    );
    const last = sent.at(-1)!.r;
    const end = last.physicalOffset + last.wroteBytes;
    // the last record torn: its body damaged
    flipByte(segmentPath(dir, last.physicalOffset), (last.physicalOffset % SEG) + BODY_AT + 3);
    writeFileSync(join(dir, 'abort'), '');
    await withStore(
      config,
      async (store) => {
        const rec = store.runtimeInfo().lastRecovery!;
        expect(rec.endOffset).toBe(last.physicalOffset);
        expect(rec.holes).toEqual([]);
        expect(rec.quarantineDir).not.toBeNull();
        const copy = readFileSync(join(rec.quarantineDir!, String(last.physicalOffset).padStart(20, '0')));
        expect(copy.length).toBeGreaterThanOrEqual(last.wroteBytes);
        expect(copy.subarray(0, 4).readInt32BE(0)).toBe(last.wroteBytes);
        expect(existsSync(rec.quarantineDir!)).toBe(true);
        await expectReadableExcept(store, sent.slice(0, -1), new Set());
      },
      { clock, logger: memoryLogger() },
    );
    expect(end).toBeGreaterThan(last.physicalOffset);
  });
});
