// getMessageRaw (src/store/raw-read-path.ts): the records getMessage returns, as the log holds
// them. Checked against getMessage call for call (statuses, offsets, every record's bytes and
// fields), and at the boundaries: records back to back across segment ends (a slice never spans
// two segments), the queue's end, the confirm offset of a replication policy, batch limits, and
// a damaged record (body CRC under checkCRCOnRead, a broken MAGIC) that ends a batch before it.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRecord } from '../../src/codec/read-record.js';
import type { ReplicationPolicy } from '../../src/replication/replication-policy.js';
import type { ReplicationWait } from '../../src/replication/replication-types.js';
import type { MessageStore } from '../../src/store/message-store.js';
import type { RawReadResult } from '../../src/store/raw-read-path.js';
import { GetMessageStatus, type GetMessageRequest, type PutMessageResult } from '../../src/store/statuses.js';
import { memoryLogger } from '../../src/util/logger.js';
import { AVAILABLE_BACKENDS, bodyOf, openStore, putOk, SMALL_SEGMENT_BYTES, smallConfig, waitCommitted, waitUntil, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-rawread-');

function request(topic: string, queueId: number, offset: number, maxMsgNums = 32): GetMessageRequest {
  return { group: 'G', topic, queueId, offset, maxMsgNums };
}

/** Every record of a raw answer, decoded, with the slice invariants checked on the way. */
function recordsOf(r: RawReadResult, segmentBytes: number) {
  const out: { queueOffset: number; physicalOffset: number; body: Uint8Array; msgTopic: string; size: number }[] = [];
  for (const s of r.slices) {
    expect(s.size).toBe(s.bytes.byteLength);
    expect(Math.floor(s.physicalOffset / segmentBytes)).toBe(Math.floor((s.physicalOffset + s.size - 1) / segmentBytes)); // one segment
    let pos = 0;
    for (let k = 0; k < s.count; k++) {
      const d = readRecord(s.bytes, pos, { checkCrc: true, readBody: true });
      if (d.kind !== 'message') throw new Error(`slice record ${k}: ${d.kind}`);
      expect(d.msg.queueOffset).toBe(s.queueOffset + k); // consecutive queue offsets
      expect(d.msg.physicalOffset).toBe(s.physicalOffset + pos); // back to back in the log
      out.push({ queueOffset: d.msg.queueOffset, physicalOffset: d.msg.physicalOffset, body: d.msg.body!, msgTopic: d.msg.topic, size: d.size });
      pos += d.size;
    }
    expect(pos).toBe(s.size); // nothing else in the slice
  }
  expect(out.length).toBe(r.messageCount);
  return out;
}

async function expectSameAsGet(store: MessageStore, req: GetMessageRequest): Promise<RawReadResult> {
  const got = await store.getMessage(req);
  const raw = store.getMessageRaw(req);
  expect(raw.status).toBe(got.status);
  expect(raw.nextBeginOffset).toBe(got.nextBeginOffset);
  expect([raw.minOffset, raw.maxOffset]).toEqual([got.minOffset, got.maxOffset]);
  expect([raw.suggestPullingFromSlave, raw.suggestWhichBrokerId]).toEqual([got.suggestPullingFromSlave, got.suggestWhichBrokerId]);
  expect(raw.corruption).toEqual(got.corruption);
  const records = recordsOf(raw, SMALL_SEGMENT_BYTES);
  expect(records.map((m) => [m.queueOffset, m.physicalOffset, m.size, m.msgTopic])).toEqual(got.messages.map((m) => [m.queueOffset, m.physicalOffset, m.totalSize, m.topic]));
  records.forEach((m, k) => expect(m.body).toEqual(got.messages[k]!.body));
  return raw;
}

describe.each(AVAILABLE_BACKENDS)('getMessageRaw: %s backend', (backend) => {
  it('answers what getMessage answers, record for record, over interleaved queues and segment ends', async () => {
    await withStore(smallConfig(newDir(), backend, { flushServiceInWorker: false }), async (store) => {
      // three queues interleaved, sizes that vary, ~6 segments of 72 KiB
      for (let i = 0; i < 300; i++) await putOk(store, { topic: 'Raw', queueId: i % 3, body: bodyOf(i, 200 + ((i * 397) % 1300)), keys: `k${i}`, tags: `t${i % 5}` });
      for (let i = 0; i < 200; i++) await putOk(store, { topic: 'One', queueId: 0, body: bodyOf(1000 + i, 900) });
      await waitCommitted(store);
      for (let q = 0; q < 3; q++) {
        for (const batch of [1, 7, 32]) {
          for (let offset = 0; offset < 100; ) {
            const raw = await expectSameAsGet(store, request('Raw', q, offset, batch));
            expect(raw.status).toBe(GetMessageStatus.FOUND);
            offset = raw.nextBeginOffset;
          }
        }
      }
      // one queue: its records lie back to back, so a batch is a few slices, split only at segment ends
      let slices = 0;
      let segmentSplits = 0;
      for (let offset = 0; offset < 200; ) {
        const raw = await expectSameAsGet(store, request('One', 0, offset, 32));
        slices += raw.slices.length;
        for (let k = 1; k < raw.slices.length; k++) {
          const prev = raw.slices[k - 1]!;
          expect(raw.slices[k]!.queueOffset).toBe(prev.queueOffset + prev.count);
          if (Math.floor(raw.slices[k]!.physicalOffset / SMALL_SEGMENT_BYTES) !== Math.floor(prev.physicalOffset / SMALL_SEGMENT_BYTES)) segmentSplits++;
        }
        offset = raw.nextBeginOffset;
      }
      expect(segmentSplits).toBeGreaterThan(0); // the run crossed segment ends
      expect(slices).toBe(Math.ceil(200 / 32) + segmentSplits); // and split nowhere else
    });
  });

  it('gives the statuses of the queue end and of unknown queues, like getMessage', async () => {
    await withStore(smallConfig(newDir(), backend, { flushServiceInWorker: false }), async (store) => {
      for (let i = 0; i < 10; i++) await putOk(store, { topic: 'End', body: bodyOf(i, 100) });
      await waitCommitted(store);
      const tail = await expectSameAsGet(store, request('End', 0, 8, 32));
      expect(tail.messageCount).toBe(2);
      expect(tail.nextBeginOffset).toBe(10);
      expect((await expectSameAsGet(store, request('End', 0, 10))).status).toBe(GetMessageStatus.OFFSET_OVERFLOW_ONE);
      expect((await expectSameAsGet(store, request('End', 0, 11))).status).toBe(GetMessageStatus.OFFSET_OVERFLOW_BADLY);
      expect((await expectSameAsGet(store, request('End', 1, 0))).status).toBe(GetMessageStatus.NO_MATCHED_LOGIC_QUEUE);
      expect((await expectSameAsGet(store, request('Nobody', 0, 0))).status).toBe(GetMessageStatus.NO_MATCHED_LOGIC_QUEUE);
    });
  });

  it('keeps the batch limits: maxTransferCountOnMessageInMemory and maxTransferBytesOnMessageInMemory', async () => {
    await withStore(smallConfig(newDir(), backend, { flushServiceInWorker: false, maxTransferCountOnMessageInMemory: 5, maxTransferBytesOnMessageInMemory: 2048 }), async (store) => {
      for (let i = 0; i < 20; i++) await putOk(store, { topic: 'Lim', body: bodyOf(i, i < 10 ? 100 : 900) });
      await waitCommitted(store);
      expect((await expectSameAsGet(store, request('Lim', 0, 0, 32))).messageCount).toBe(5);
      expect((await expectSameAsGet(store, request('Lim', 0, 10, 32))).messageCount).toBe(2); // ~1 KB records, 2 KiB limit
    });
  });

  it('sees only records below the confirm offset of the replication policy', async () => {
    const store = await openStore(smallConfig(newDir(), backend, { flushServiceInWorker: false }), { logger: memoryLogger() });
    try {
      const waiting: Array<{ end: number; release: (w: ReplicationWait) => void }> = [];
      const state = { confirm: 0 };
      const policy: ReplicationPolicy = {
        role: 'SCRIPTED',
        follows: false,
        wantsPromptCommit: true,
        putRefusal: () => null,
        afterAppend: (end) => new Promise<ReplicationWait>((release) => waiting.push({ end, release })),
        confirmOffset: () => state.confirm,
      };
      store.setReplicationPolicy(policy);
      const puts = [0, 1, 2, 3].map((i) => store.putMessage({ topic: 'V', body: `v${i}` }));
      await waitUntil(() => waiting.length === 4, 'four puts appended');
      await store.waitCommitted(waiting[3]!.end, 10_000);
      state.confirm = waiting[1]!.end;
      const raw = await expectSameAsGet(store, request('V', 0, 0));
      expect(recordsOf(raw, SMALL_SEGMENT_BYTES).map((m) => new TextDecoder().decode(m.body))).toEqual(['v0', 'v1']);
      expect((await expectSameAsGet(store, request('V', 0, 2))).status).toBe(GetMessageStatus.OFFSET_OVERFLOW_ONE);
      state.confirm = waiting[3]!.end;
      expect((await expectSameAsGet(store, request('V', 0, 2))).messageCount).toBe(2);
      for (const w of waiting) w.release('ok');
      await Promise.all(puts);
    } finally {
      await store.close();
    }
  });

  it('never hands out a damaged record: a body CRC mismatch (checkCRCOnRead) or a broken MAGIC ends the batch before it', async () => {
    const dir = newDir();
    const config = smallConfig(dir, backend, { flushServiceInWorker: false, checkCRCOnRead: true });
    let puts: PutMessageResult[] = [];
    await withStore(config, async (store) => {
      for (let i = 0; i < 100; i++) puts.push(await putOk(store, { topic: 'Bad', body: bodyOf(i, 3000) })); // 5+ segments
    });
    // segment 0 is outside normal recovery's scan: a body byte of message 3, the MAGIC of message 6
    const fd = openSync(join(dir, 'commitlog', '00000000000000000000'), 'r+');
    try {
      writeSync(fd, Buffer.from([0x55]), 0, 1, puts[3]!.physicalOffset + puts[3]!.wroteBytes - 1500);
      writeSync(fd, Buffer.alloc(4), 0, 4, puts[6]!.physicalOffset + 4);
    } finally {
      closeSync(fd);
    }
    await withStore(config, async (store) => {
      const before = await expectSameAsGet(store, request('Bad', 0, 0, 32));
      expect(before.status).toBe(GetMessageStatus.FOUND);
      expect(before.messageCount).toBe(3);
      expect(before.nextBeginOffset).toBe(3);
      const crc = await expectSameAsGet(store, request('Bad', 0, 3, 32));
      expect(crc).toMatchObject({ status: GetMessageStatus.MESSAGE_CORRUPTED, nextBeginOffset: 4, slices: [], messageCount: 0 });
      expect(crc.corruption).toMatchObject({ queueOffset: 3, physicalOffset: puts[3]!.physicalOffset });
      expect(crc.corruption!.reason).toMatch(/body CRC mismatch/);
      const between = await expectSameAsGet(store, request('Bad', 0, 4, 32));
      expect(between.messageCount).toBe(2);
      const magic = await expectSameAsGet(store, request('Bad', 0, 6, 32));
      expect(magic.status).toBe(GetMessageStatus.MESSAGE_CORRUPTED);
      expect(magic.corruption!.reason).toMatch(/unknown magic/);
      expect((await expectSameAsGet(store, request('Bad', 0, 7, 32))).status).toBe(GetMessageStatus.FOUND);
    });
  });
});
