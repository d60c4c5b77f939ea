// CommitLog segment rolls (spec §2.2, §2.4), checked on the bytes of the files after close:
// a record that does not fit (with the 8-byte blank reserve) goes to the next segment, the old
// segment ends with the end-of-file blank (TOTALSIZE = bytes left, MAGIC = 0xCBD43194), files
// are named by their 20-digit start offset and are exactly mappedFileSizeCommitLog long, no
// record spans two files, and reads (getMessage, lookMessageByOffset) work across the roll.
// Edge cases: a record that would end exactly at the file end rolls ("exactly full" is
// impossible), and a record leaving exactly 8 bytes stays, followed by an 8-byte blank.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecord } from '../../src/codec/read-record.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, type PutMessageResult } from '../../src/store/statuses.js';
import {
  AVAILABLE_BACKENDS,
  BACKENDS,
  bodyOf,
  putOk,
  recordBytes,
  segmentFiles,
  SMALL_SEGMENT_BYTES,
  smallConfig,
  waitCommitted,
  withStore,
} from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-roll-');
const SEG = SMALL_SEGMENT_BYTES;
const BLANK_MAGIC = 0xcbd43194;
const TOPIC = 'Roll';

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`segment roll on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

interface FileWalk {
  records: { position: number; size: number; physicalOffset: number; queueOffset: number }[];
  blank: { position: number; totalSize: number } | null;
  end: number;
}

/** Walk one segment's bytes from 0: records (body CRC checked) until the blank or `limit`. */
function walkSegment(bytes: Buffer, base: number, limit: number): FileWalk {
  const records: FileWalk['records'] = [];
  let position = 0;
  for (let n = 0; n < SEG / 8 && position < limit; n++) {
    const magic = bytes.readUInt32BE(position + 4);
    if (magic === BLANK_MAGIC) {
      return { records, blank: { position, totalSize: bytes.readInt32BE(position) }, end: position };
    }
    const r = readRecord(bytes, position, { checkCrc: true, readBody: false });
    if (r.kind !== 'message') throw new Error(`segment ${base}: no valid record at ${position}: ${r.kind === 'invalid' ? r.reason : r.kind}`);
    records.push({ position, size: r.size, physicalOffset: r.msg.physicalOffset, queueOffset: r.msg.queueOffset });
    position += r.size;
  }
  return { records, blank: null, end: position };
}

async function putBody(store: MessageStore, seq: number, bodyBytes: number): Promise<PutMessageResult> {
  const r = await putOk(store, { topic: TOPIC, body: bodyOf(seq, bodyBytes) });
  expect(r.wroteBytes).toBe(recordBytes(TOPIC, bodyBytes));
  return r;
}

describe.each(AVAILABLE_BACKENDS)('segment roll: %s backend', (backend) => {
  it('fills segments, ends each with the blank, names and sizes files by rule, never splits a record', async () => {
    const dir = newDir();
    const puts: PutMessageResult[] = [];
    let seq = 0;
    await withStore(smallConfig(dir, backend), async (store) => {
      // varied sizes, about 3.5 segments
      while (store.runtimeInfo().wroteOffset < 3.5 * SEG) puts.push(await putBody(store, seq, 200 + ((seq++ * 977) % 3800)));
      for (let i = 1; i < puts.length; i++) {
        const prev = puts[i - 1]!;
        const cur = puts[i]!;
        const prevEnd = prev.physicalOffset + prev.wroteBytes;
        if (cur.physicalOffset !== prevEnd) {
          // a roll: the record went to the start of the next segment because it did not fit
          expect(cur.physicalOffset % SEG, `put ${i} after a gap must start a segment`).toBe(0);
          expect(cur.physicalOffset).toBe(prevEnd - (prevEnd % SEG) + SEG);
          expect(prevEnd + cur.wroteBytes + 8).toBeGreaterThan(cur.physicalOffset);
        }
        expect(cur.queueOffset).toBe(i);
      }
      await waitCommitted(store);
      // reads across every roll
      const firstOfSegment = puts.filter((p) => p.physicalOffset % SEG === 0 && p.physicalOffset > 0);
      expect(firstOfSegment.length).toBeGreaterThanOrEqual(3);
      for (const p of firstOfSegment) {
        const m = store.lookMessageByOffset(p.physicalOffset);
        expect(m?.queueOffset).toBe(p.queueOffset);
        const got = await store.getMessage({ group: 'G', topic: TOPIC, queueId: 0, offset: p.queueOffset - 2, maxMsgNums: 4 });
        expect(got.status).toBe(GetMessageStatus.FOUND);
        expect(got.messages.map((x) => x.physicalOffset)).toEqual(puts.slice(p.queueOffset - 2, p.queueOffset + 2).map((x) => x.physicalOffset));
        expect(got.messages.map((x) => Buffer.from(x.body!).equals(Buffer.from(bodyOf(x.queueOffset, x.body!.length))))).toEqual([true, true, true, true]);
      }
    });

    const maxPhy = puts.at(-1)!.physicalOffset + puts.at(-1)!.wroteBytes;
    const files = segmentFiles(join(dir, 'commitlog'));
    expect(files.length).toBe(Math.floor((maxPhy - 1) / SEG) + 1);
    files.forEach((f, i) => {
      expect(f.name).toMatch(/^\d{20}$/);
      expect(f.offset).toBe(i * SEG);
      expect(f.name).toBe(String(i * SEG).padStart(20, '0'));
      expect(statSync(f.path).size).toBe(SEG);
    });
    const byOffset = new Map(puts.map((p) => [p.physicalOffset, p]));
    let seen = 0;
    files.forEach((f, i) => {
      const bytes = readFileSync(f.path);
      const last = i === files.length - 1;
      const walk = walkSegment(bytes, f.offset, last ? maxPhy - f.offset : SEG);
      for (const r of walk.records) {
        expect(r.physicalOffset).toBe(f.offset + r.position);
        expect(r.position + r.size).toBeLessThanOrEqual(SEG - 8);
        const put = byOffset.get(r.physicalOffset);
        expect(put, `record at ${r.physicalOffset} was acknowledged`).toBeDefined();
        expect(put!.wroteBytes).toBe(r.size);
        expect(r.queueOffset).toBe(seen++);
      }
      if (last) {
        expect(walk.blank).toBeNull();
        expect(walk.end).toBe(maxPhy - f.offset);
        expect(bytes.subarray(walk.end).every((x) => x === 0)).toBe(true);
      } else {
        expect(walk.blank, `segment ${f.name} ends with the blank`).not.toBeNull();
        expect(walk.blank!.totalSize).toBe(SEG - walk.blank!.position);
        expect(walk.blank!.totalSize).toBeGreaterThanOrEqual(8);
        // the record after the blank really did not fit here
        const next = puts.find((p) => p.physicalOffset === f.offset + SEG)!;
        expect(walk.blank!.position + next.wroteBytes + 8).toBeGreaterThan(SEG);
      }
    });
    expect(seen).toBe(puts.length);
  });

  it('rolls a record that would end exactly at the file end; keeps one that leaves exactly 8 bytes (8-byte blank)', async () => {
    const dir = newDir();
    const puts: PutMessageResult[] = [];
    let seq = 0;
    await withStore(smallConfig(dir, backend), async (store) => {
      const fillTo = async (segmentEnd: number): Promise<number> => {
        // 3000-byte bodies until the space left is between 208 and ~3300 bytes
        while (segmentEnd - store.runtimeInfo().wroteOffset - recordBytes(TOPIC, 3000) >= 208) puts.push(await putBody(store, seq++, 3000));
        return segmentEnd - store.runtimeInfo().wroteOffset;
      };
      // segment 0: a record leaving exactly 8 bytes fits
      let left = await fillTo(SEG);
      const stays = await putBody(store, seq++, left - 8 - recordBytes(TOPIC, 0));
      puts.push(stays);
      expect(stays.physicalOffset).toBe(SEG - left);
      expect(stays.physicalOffset + stays.wroteBytes).toBe(SEG - 8);
      // ...and the next record (any size) rolls, leaving an 8-byte blank
      const afterEight = await putBody(store, seq++, 10);
      puts.push(afterEight);
      expect(afterEight.physicalOffset).toBe(SEG);
      // segment 1: a record exactly as long as the space left must roll
      left = await fillTo(2 * SEG);
      const exact = await putBody(store, seq++, left - recordBytes(TOPIC, 0));
      puts.push(exact);
      expect(exact.wroteBytes).toBe(left);
      expect(exact.physicalOffset).toBe(2 * SEG);
      // one byte smaller would not fit either (needs 8 for the blank): rolls too
      left = await fillTo(3 * SEG);
      const minusSeven = await putBody(store, seq++, left - 7 - recordBytes(TOPIC, 0));
      puts.push(minusSeven);
      expect(minusSeven.physicalOffset).toBe(3 * SEG);
      await waitCommitted(store);
      for (const p of [afterEight, exact, minusSeven]) {
        const m = store.lookMessageByOffset(p.physicalOffset);
        expect(m?.queueOffset).toBe(p.queueOffset);
        expect(Buffer.from(m!.body!).equals(Buffer.from(bodyOf(p.queueOffset, m!.body!.length)))).toBe(true);
      }
    });
    const files = segmentFiles(join(dir, 'commitlog'));
    expect(files.map((f) => f.offset)).toEqual([0, SEG, 2 * SEG, 3 * SEG]);
    const blankOf = (i: number): { position: number; totalSize: number } => walkSegment(readFileSync(files[i]!.path), files[i]!.offset, SEG).blank!;
    expect(blankOf(0)).toEqual({ position: SEG - 8, totalSize: 8 });
    const exact = puts.find((p) => p.physicalOffset === 2 * SEG)!;
    expect(blankOf(1)).toEqual({ position: SEG - exact.wroteBytes, totalSize: exact.wroteBytes });
    const minusSeven = puts.find((p) => p.physicalOffset === 3 * SEG)!;
    expect(blankOf(2)).toEqual({ position: SEG - (minusSeven.wroteBytes + 7), totalSize: minusSeven.wroteBytes + 7 });
  });
});
