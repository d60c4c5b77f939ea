// Close + reopen (spec §3): after a clean close every message reads back and queue offsets
// continue; consumer offsets persist in config/consumerOffset.json (RocketMQ's shape). After a
// dirty stop (abort file left) with a torn tail, recovery cuts the log after the last valid
// record and reports it; after a dirty stop a record damaged in the middle (body CRC) ends the
// log before it and is reported with its file and position (after a clean close it is fenced:
// corruption-fencing.test.ts); ConsumeQueues deleted while closed are rebuilt.
// Files are damaged only while the store is closed.
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, type PutMessageResult } from '../../src/store/statuses.js';
import {
  AVAILABLE_BACKENDS,
  BACKENDS,
  bodyOf,
  putOk,
  segmentFiles,
  SMALL_SEGMENT_BYTES,
  smallConfig,
  waitCommitted,
  withStore,
} from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-reopen-');
const SEG = SMALL_SEGMENT_BYTES;
const BODY_AT = 88; // BODY starts at byte 88 of a record with IPv4 hosts

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`reopen on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

interface Sent {
  r: PutMessageResult;
  topic: string;
  queueId: number;
  seq: number;
  bodyBytes: number;
}

const QUEUES: ReadonlyArray<[string, number]> = [
  ['Alpha', 0],
  ['Alpha', 3],
  ['Beta', 0],
];

/** `count` puts spread over three queues, bodies derived from seq. */
async function putSpread(store: MessageStore, count: number, firstSeq = 0, bodyBytes = (seq: number) => 300 + ((seq * 131) % 2500)): Promise<Sent[]> {
  const out: Sent[] = [];
  for (let seq = firstSeq; seq < firstSeq + count; seq++) {
    const [topic, queueId] = QUEUES[seq % QUEUES.length]!;
    const n = bodyBytes(seq);
    out.push({ r: await putOk(store, { topic, queueId, body: bodyOf(seq, n), keys: `s${seq}` }), topic, queueId, seq, bodyBytes: n });
  }
  return out;
}

/** Every message in `sent` reads back through its queue, at its queue offset, unchanged. */
async function expectAllReadable(store: MessageStore, sent: Sent[]): Promise<void> {
  for (const [topic, queueId] of QUEUES) {
    const mine = sent.filter((s) => s.topic === topic && s.queueId === queueId);
    expect(store.getMaxOffsetInQueue(topic, queueId), `${topic}/${queueId} max`).toBe(mine.length);
    for (let from = 0; from < mine.length; from += 32) {
      const got = await store.getMessage({ group: 'G', topic, queueId, offset: from, maxMsgNums: 32 });
      expect(got.status).toBe(GetMessageStatus.FOUND);
      const want = mine.slice(from, from + 32);
      expect(got.messages.map((m) => m.queueOffset)).toEqual(want.map((s) => s.r.queueOffset));
      expect(got.messages.map((m) => m.physicalOffset)).toEqual(want.map((s) => s.r.physicalOffset));
      got.messages.forEach((m, i) => {
        expect(Buffer.from(m.body!).equals(Buffer.from(bodyOf(want[i]!.seq, want[i]!.bodyBytes))), `body of seq ${want[i]!.seq}`).toBe(true);
        expect(m.keys).toEqual([`s${want[i]!.seq}`]);
      });
    }
  }
}

/** The next put to each queue continues its queue offsets right after `sent`, at the log end. */
async function expectOffsetsContinue(store: MessageStore, sent: Sent[], logEnd: number): Promise<void> {
  let at = logEnd;
  for (const [topic, queueId] of QUEUES) {
    const r = await putOk(store, { topic, queueId, body: 'next' });
    expect(r.queueOffset, `${topic}/${queueId}`).toBe(sent.filter((s) => s.topic === topic && s.queueId === queueId).length);
    // the first put after a reopen starts at the recovered end (or at the next segment)
    if (at === logEnd) expect([logEnd, logEnd - (logEnd % SEG) + SEG]).toContain(r.physicalOffset);
    at = r.physicalOffset + r.wroteBytes;
  }
}

function patchFile(path: string, position: number, bytes: Uint8Array): void {
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

function segmentPath(dir: string, offset: number): string {
  return join(dir, 'commitlog', String(offset - (offset % SEG)).padStart(20, '0'));
}

describe.each(AVAILABLE_BACKENDS)('reopen: %s backend', (backend) => {
  it('after a clean close: everything reads back, queue offsets continue, no abort file', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend);
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putSpread(store, 120); // ~4 segments
    });
    const end = sent.at(-1)!.r.physicalOffset + sent.at(-1)!.r.wroteBytes;
    expect(existsSync(join(dir, 'abort'))).toBe(false);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    await withStore(config, async (store) => {
      const rec = store.runtimeInfo().lastRecovery!;
      expect(rec).toMatchObject({ endOffset: end, droppedSegments: 0, corruption: null });
      expect(store.getMaxPhyOffset()).toBe(end);
      expect(store.runtimeInfo().wroteOffset).toBe(end);
      expect(existsSync(join(dir, 'abort'))).toBe(true); // marks the running store
      await expectAllReadable(store, sent);
      await expectOffsetsContinue(store, sent, end);
    });
    // and once more, with the extra messages
    await withStore(config, async (store) => {
      expect(store.getMaxOffsetInQueue('Beta', 0)).toBe(41);
    });
  });

  it('keeps consumer offsets across reopen in config/consumerOffset.json ({"offsetTable": {"topic@group": {"0": n}}})', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false }); // placement is not the point here
    await withStore(config, async (store) => {
      await putSpread(store, 9);
      expect(store.queryOffset('G1', 'Alpha', 0)).toBe(-1);
      store.commitOffset('G1', 'Alpha', 0, 2);
      store.commitOffset('G1', 'Alpha', 3, 3);
      store.commitOffset('G2', 'Alpha', 0, 1);
      store.commitOffset('G2', 'Beta', 0, 5);
      store.commitOffset('G2', 'Beta', 0, 3); // moving back is accepted
      expect(store.queryOffset('G1', 'Alpha', 0)).toBe(2);
      expect(store.queryOffset('G2', 'Beta', 0)).toBe(3);
      expect(store.queryOffset('G3', 'Alpha', 0)).toBe(-1);
      expect(store.queryOffset('G1', 'Beta', 0)).toBe(-1);
      expect(() => store.commitOffset('G1', 'Alpha', 0, -1)).toThrow();
    });
    const path = join(dir, 'config', 'consumerOffset.json');
    expect(existsSync(path)).toBe(true);
    const json = JSON.parse(readFileSync(path, 'utf8')) as { offsetTable: Record<string, Record<string, number>> };
    expect(json.offsetTable).toEqual({
      'Alpha@G1': { '0': 2, '3': 3 },
      'Alpha@G2': { '0': 1 },
      'Beta@G2': { '0': 3 },
    });
    await withStore(config, async (store) => {
      expect(store.queryOffset('G1', 'Alpha', 0)).toBe(2);
      expect(store.queryOffset('G1', 'Alpha', 3)).toBe(3);
      expect(store.queryOffset('G2', 'Alpha', 0)).toBe(1);
      expect(store.queryOffset('G2', 'Beta', 0)).toBe(3);
      expect(store.queryOffset('G1', 'Beta', 0)).toBe(-1);
      store.commitOffset('G1', 'Alpha', 0, 4);
    });
    await withStore(config, async (store) => {
      expect(store.queryOffset('G1', 'Alpha', 0)).toBe(4);
    });
    // a file written by RocketMQ is read as well
    writeFileSync(path, JSON.stringify({ offsetTable: { 'Gamma@rmq': { '0': 7, '12': 99 } }, dataVersion: { counter: 3, timestamp: 1 } }));
    await withStore(config, async (store) => {
      expect(store.queryOffset('rmq', 'Gamma', 0)).toBe(7);
      expect(store.queryOffset('rmq', 'Gamma', 12)).toBe(99);
      expect(store.queryOffset('G1', 'Alpha', 0)).toBe(-1);
    });
  });

  for (const tear of ['garbage', 'partial record'] as const) {
    it(`abnormal recovery cuts a torn tail (${tear}) after the last valid record and reports it`, async () => {
      const dir = newDir();
      const config = smallConfig(dir, backend);
      let sent: Sent[] = [];
      await withStore(config, async (store) => {
        sent = await putSpread(store, 40);
      });
      const last = sent.at(-1)!.r;
      const end = last.physicalOffset + last.wroteBytes;
      const path = segmentPath(dir, end);
      const torn =
        tear === 'garbage'
          ? Buffer.from(bodyOf(777, 300)).fill(0xab, 0, 1)
          : readAt(segmentPath(dir, last.physicalOffset), last.physicalOffset % SEG, 120); // a record's first 120 bytes only
      if (tear === 'partial record') torn.writeBigInt64BE(BigInt(end), 28); // even with the right PHYSICALOFFSET
      patchFile(path, end % SEG, torn);
      writeFileSync(join(dir, 'abort'), '');
      const logger = memoryLogger();
      await withStore(
        config,
        async (store) => {
          const rec = store.runtimeInfo().lastRecovery!;
          expect(rec.endOffset).toBe(end);
          expect(rec.zeroedTail).toBe(true);
          expect(rec.droppedSegments).toBe(0);
          if (rec.corruption !== null) expect(rec.corruption).toMatchObject({ file: path, position: end % SEG });
          expect(logger.lines.some((l) => /recovery \(abnormal\)/.test(l))).toBe(true);
          expect(store.getMaxPhyOffset()).toBe(end);
          await expectAllReadable(store, sent);
          await expectOffsetsContinue(store, sent, end);
          await waitCommitted(store);
        },
        { logger },
      );
      // the torn bytes were replaced by the new records, and nothing else remains after the log end
      const bytes = readFileSync(path);
      const info = segmentFiles(join(dir, 'commitlog')).at(-1)!;
      expect(info.path).toBe(path);
      expect(bytes.subarray(end % SEG, end % SEG + torn.length).equals(torn)).toBe(false);
    });
  }

  it('abnormal recovery deletes a half-written next segment and zeroes the bytes after the end', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend);
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putSpread(store, 30);
    });
    const last = sent.at(-1)!.r;
    const end = last.physicalOffset + last.wroteBytes;
    const files = segmentFiles(join(dir, 'commitlog'));
    const nextStart = files.at(-1)!.offset + SEG;
    // an extra segment file whose first record is torn; garbage after the end in the current one
    const extra = Buffer.alloc(SEG);
    readAt(segmentPath(dir, last.physicalOffset), last.physicalOffset % SEG, 100).copy(extra, 0);
    writeFileSync(join(dir, 'commitlog', String(nextStart).padStart(20, '0')), extra);
    patchFile(segmentPath(dir, end), end % SEG, Buffer.alloc(64, 0x5a));
    writeFileSync(join(dir, 'abort'), '');
    await withStore(
      config,
      async (store) => {
        const rec = store.runtimeInfo().lastRecovery!;
        expect(rec.endOffset).toBe(end);
        expect(rec.droppedSegments).toBe(1);
        expect(existsSync(join(dir, 'commitlog', String(nextStart).padStart(20, '0')))).toBe(false);
        await expectAllReadable(store, sent);
      },
      { logger: memoryLogger() },
    );
    const tail = readFileSync(segmentPath(dir, end)).subarray(end % SEG);
    expect(tail.every((x) => x === 0)).toBe(true);
  });

  // After a clean close the same damage is fenced instead (test/store/corruption-fencing.test.ts).
  for (const abnormal of [true]) {
    it(`a record damaged in the middle (body byte) ends the log before it and is reported (${abnormal ? 'abnormal' : 'normal'} recovery)`, async () => {
      const dir = newDir();
      const config = smallConfig(dir, backend);
      // a frozen clock: every store timestamp equals the checkpoint time, so abnormal recovery
      // (which starts at the newest segment stored >= 3 s before the checkpoint) scans from segment 0
      const clock = new ManualClock();
      let sent: Sent[] = [];
      await withStore(
        config,
        async (store) => {
          sent = await putSpread(store, 60); // ~2 segments: inside the normal-recovery scan
        },
        { clock },
      );
      const segmentsBefore = segmentFiles(join(dir, 'commitlog')).length;
      const k = 37;
      const victim = sent[k]!;
      const path = segmentPath(dir, victim.r.physicalOffset);
      const at = (victim.r.physicalOffset % SEG) + BODY_AT + 10;
      const original = readAt(path, at, 1);
      patchFile(path, at, Uint8Array.of(original[0]! ^ 0xff));
      if (abnormal) writeFileSync(join(dir, 'abort'), '');
      const logger = memoryLogger();
      await withStore(config, async (store) => {
        const rec = store.runtimeInfo().lastRecovery!;
        expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes(path) && l.includes(`position ${victim.r.physicalOffset % SEG}`))).toBe(true);
        expect(rec.corruption).not.toBeNull();
        expect(rec.corruption!.file).toBe(path);
        expect(rec.corruption!.position).toBe(victim.r.physicalOffset % SEG);
        expect(rec.corruption!.reason).toMatch(/crc/i);
        expect(rec.endOffset).toBe(victim.r.physicalOffset);
        expect(rec.droppedSegments).toBe(segmentsBefore - 1 - Math.floor(victim.r.physicalOffset / SEG));
        expect(segmentFiles(join(dir, 'commitlog')).length).toBe(Math.floor(victim.r.physicalOffset / SEG) + 1);
        expect(store.getMaxPhyOffset()).toBe(victim.r.physicalOffset);
        const kept = sent.slice(0, k);
        await expectAllReadable(store, kept);
        expect(store.lookMessageByOffset(victim.r.physicalOffset)).toBeNull();
        const ofVictim = await store.getMessage({ group: 'G', topic: victim.topic, queueId: victim.queueId, offset: victim.r.queueOffset, maxMsgNums: 1 });
        expect(ofVictim.status).toBe(GetMessageStatus.OFFSET_OVERFLOW_ONE);
        await expectOffsetsContinue(store, kept, victim.r.physicalOffset);
      }, { logger, clock });
    });
  }

  // Since 5c657f7, recovery re-dispatches from the checkpoint's consumeQueueDurableOffset
  // (src/store/message-store.ts loadAndRecover: durable = min(max(checkpoint value, log start), end)),
  // which a clean close sets to the log end. It trusts that value even when the ConsumeQueue
  // files are gone, so nothing is re-dispatched and every queue stays empty (max offset 0).
  // Deleting consumequeue/ to force a rebuild is a standard RocketMQ operation (reput starts at
  // the highest offset the existing queues cover: 0 when there are none, spec §3.7).
  it('rebuilds ConsumeQueues deleted while closed (same queue offsets, same records)', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { mappedFileSizeConsumeQueue: 400 });
    let sent: Sent[] = [];
    await withStore(config, async (store) => {
      sent = await putSpread(store, 200); // ~5 segments, several CQ files per queue
    });
    expect(segmentFiles(join(dir, 'commitlog')).length).toBeGreaterThanOrEqual(5);
    expect(segmentFiles(join(dir, 'consumequeue', 'Alpha', '0')).length).toBeGreaterThanOrEqual(3);
    rmSync(join(dir, 'consumequeue'), { recursive: true });
    const end = sent.at(-1)!.r.physicalOffset + sent.at(-1)!.r.wroteBytes;
    await withStore(config, async (store) => {
      await expectAllReadable(store, sent);
      await expectOffsetsContinue(store, sent, end);
    });
    expect(segmentFiles(join(dir, 'consumequeue', 'Alpha', '0')).length).toBeGreaterThanOrEqual(3);
    // and the rebuilt queues survive another reopen
    await withStore(config, async (store) => {
      expect(store.getMaxOffsetInQueue('Alpha', 0)).toBe(68);
      expect(store.getMaxOffsetInQueue('Beta', 0)).toBe(67);
    });
  });
});
