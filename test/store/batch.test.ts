// putMessages (spec §1.2): a batch becomes N consecutive ordinary records with consecutive queue
// offsets, appended atomically to one segment (a batch that does not fit the current segment
// goes whole into the next one), and a batch with any bad message is refused as a whole with
// MESSAGE_ILLEGAL and writes nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOffsetMsgId } from '../../src/codec/offset-msg-id.js';
import { readRecord } from '../../src/codec/read-record.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, PutMessageStatus, type PutMessageInput, type PutMessageResult } from '../../src/store/statuses.js';
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

const newDir = tempDirs('mqstore-batch-');
const SEG = SMALL_SEGMENT_BYTES;

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`batches on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

function batchOf(topic: string, count: number, bodyBytes: number, seed = 0, queueId = 0): PutMessageInput[] {
  return Array.from({ length: count }, (_, i) => ({ topic, queueId, body: bodyOf(seed + i, bodyBytes), tags: `b${i}`, keys: `key-${seed + i}` }));
}

async function expectBatchOk(store: MessageStore, inputs: PutMessageInput[]): Promise<PutMessageResult> {
  const r = await store.putMessages(inputs);
  expect(r.status, r.reason).toBe(PutMessageStatus.PUT_OK);
  return r;
}

describe.each(AVAILABLE_BACKENDS)('putMessages: %s backend', (backend) => {
  it('appends N contiguous records with consecutive queue offsets, one message id each', async () => {
    await withStore(smallConfig(newDir(), backend), async (store) => {
      await putOk(store, { topic: 'Batch', queueId: 1, body: 'before' });
      const inputs = batchOf('Batch', 10, 150, 100, 1);
      const r = await expectBatchOk(store, inputs);
      expect(r.messageCount).toBe(10);
      expect(r.queueOffset).toBe(1);
      expect(r.wroteBytes).toBe(10 * recordBytes('Batch', 150, 0) + inputs.reduce((n, m) => n + `TAGS\u0001${m.tags}\u0002KEYS\u0001${m.keys}\u0002`.length, 0));
      const ids = r.offsetMsgId!.split(',');
      expect(ids).toHaveLength(10);
      const offsets = ids.map((id) => parseOffsetMsgId(id)!.physicalOffset);
      expect(offsets[0]).toBe(r.physicalOffset);
      const after = await putOk(store, { topic: 'Batch', queueId: 1, body: 'after' });
      expect(after.queueOffset).toBe(11);
      expect(after.physicalOffset).toBe(r.physicalOffset + r.wroteBytes);
      await waitCommitted(store);

      const got = await store.getMessage({ group: 'G', topic: 'Batch', queueId: 1, offset: 1, maxMsgNums: 10 });
      expect(got.status).toBe(GetMessageStatus.FOUND);
      expect(got.messages.map((m) => m.queueOffset)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(got.messages.map((m) => m.physicalOffset)).toEqual(offsets);
      let at = r.physicalOffset;
      got.messages.forEach((m, i) => {
        expect(m.physicalOffset).toBe(at);
        at += m.totalSize;
        expect(Buffer.from(m.body!).equals(Buffer.from(bodyOf(100 + i, 150)))).toBe(true);
        expect(m.tags).toBe(`b${i}`);
        expect(m.keys).toEqual([`key-${100 + i}`]);
        expect(m.msgId).toBe(ids[i]);
      });
      expect(at).toBe(r.physicalOffset + r.wroteBytes);
      expect(store.getMaxOffsetInQueue('Batch', 1)).toBe(12);
    });
  });

  it('keeps a batch contiguous when single puts to the same queue are issued around it', async () => {
    await withStore(smallConfig(newDir(), backend), async (store) => {
      const pending = [
        store.putMessage({ topic: 'Mix', body: 'single-0' }),
        store.putMessages(batchOf('Mix', 5, 64, 10)),
        store.putMessage({ topic: 'Mix', body: 'single-6' }),
        store.putMessages(batchOf('Mix', 3, 64, 20)),
        store.putMessage({ topic: 'Mix', body: 'single-10' }),
      ];
      const rs = await Promise.all(pending);
      expect(rs.map((r) => r.status)).toEqual(Array(5).fill(PutMessageStatus.PUT_OK));
      expect(rs.map((r) => r.queueOffset)).toEqual([0, 1, 6, 7, 10]);
      for (let i = 1; i < rs.length; i++) expect(rs[i]!.physicalOffset).toBe(rs[i - 1]!.physicalOffset + rs[i - 1]!.wroteBytes);
      await waitCommitted(store);
      const got = await store.getMessage({ group: 'G', topic: 'Mix', queueId: 0, offset: 0, maxMsgNums: 32 });
      expect(got.messages.map((m) => m.queueOffset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(new TextDecoder().decode(got.messages[6]!.body!)).toBe('single-6');
    });
  });

  it('puts a batch that does not fit the current segment whole into the next one', async () => {
    const dir = newDir();
    let batch: PutMessageResult | undefined;
    const batchInputs = batchOf('Roll', 5, 700, 50); // 5 records of ~820 bytes: ~4100 bytes in all
    await withStore(smallConfig(dir, backend), async (store) => {
      let seq = 0;
      while (SEG - store.runtimeInfo().wroteOffset - recordBytes('Roll', 3000) >= 2500) await putOk(store, { topic: 'Roll', body: bodyOf(seq++, 3000) });
      // leave exactly 2000 bytes: two batch records would fit, the whole batch does not
      const left = SEG - store.runtimeInfo().wroteOffset;
      await putOk(store, { topic: 'Roll', body: bodyOf(seq++, left - 2000 - recordBytes('Roll', 0)) });
      expect(store.runtimeInfo().wroteOffset).toBe(SEG - 2000);
      batch = await expectBatchOk(store, batchInputs);
      expect(batch.wroteBytes).toBeGreaterThan(2000 - 8);
      expect(batch.physicalOffset).toBe(SEG);
      expect(batch.queueOffset).toBe(seq);
      await waitCommitted(store);
      const got = await store.getMessage({ group: 'G', topic: 'Roll', queueId: 0, offset: seq - 1, maxMsgNums: 6 });
      expect(got.messages.map((m) => m.queueOffset)).toEqual([seq - 1, seq, seq + 1, seq + 2, seq + 3, seq + 4]);
      expect(got.messages.slice(1).every((m) => m.physicalOffset >= SEG && m.physicalOffset + m.totalSize <= 2 * SEG)).toBe(true);
    });
    const files = segmentFiles(join(dir, 'commitlog'));
    expect(files.map((f) => f.offset)).toEqual([0, SEG]);
    const first = readFileSync(files[0]!.path);
    expect(first.readInt32BE(SEG - 2000)).toBe(2000);
    expect(first.readUInt32BE(SEG - 2000 + 4)).toBe(0xcbd43194);
    const second = readFileSync(files[1]!.path);
    let position = 0;
    for (let i = 0; i < 5; i++) {
      const r = readRecord(second, position, { checkCrc: true, readBody: true });
      expect(r.kind).toBe('message');
      if (r.kind !== 'message') return;
      expect(r.msg.physicalOffset).toBe(SEG + position);
      expect(r.msg.queueOffset).toBe(batch!.queueOffset + i);
      position += r.size;
    }
    expect(position).toBe(batch!.wroteBytes);
  });

  it('refuses a batch with any bad message as a whole (MESSAGE_ILLEGAL) and writes nothing', async () => {
    await withStore(smallConfig(newDir(), backend), async (store) => {
      await putOk(store, { topic: 'Good', body: 'seed' });
      await waitCommitted(store);
      const wrote = store.runtimeInfo().wroteOffset;
      const maxPhy = store.getMaxPhyOffset();
      const good = (): PutMessageInput[] => batchOf('Good', 4, 64);
      const cases: Array<[string, PutMessageInput[]]> = [
        ['last message oversized', [...good(), { topic: 'Good', body: new Uint8Array(4097) }]],
        ['first message oversized', [{ topic: 'Good', body: new Uint8Array(4097) }, ...good()]],
        ['mixed topics', [...good(), { topic: 'Other', body: 'x' }]],
        ['mixed queue ids', [...good(), { topic: 'Good', queueId: 1, body: 'x' }]],
        ['an illegal topic inside', [...good(), { topic: 'Bad Topic', body: 'x' }]],
        ['empty batch', []],
        ['batch body over maxMessageSize (client encoding)', batchOf('Good', 4, 1100)],
        ['queueId above maxQueueId', batchOf('Good', 2, 10, 0, 1024)],
        ['negative queueId', batchOf('Good', 2, 10, 0, -1)],
      ];
      for (const [name, inputs] of cases) {
        const r = await store.putMessages(inputs);
        expect(r.status, name).toBe(PutMessageStatus.MESSAGE_ILLEGAL);
        expect(r.reason, name).toEqual(expect.any(String));
        expect(r.reason!.length, name).toBeGreaterThan(0);
        expect(r.messageCount, name).toBe(0);
        expect(r.offsetMsgId, name).toBeNull();
        expect(store.runtimeInfo().wroteOffset, name).toBe(wrote);
      }
      const props = await store.putMessages([...good(), { topic: 'Good', body: 'x', properties: { big: 'v'.repeat(33_000) } }]);
      expect(props.status).toBe(PutMessageStatus.PROPERTIES_SIZE_EXCEEDED);
      expect(store.runtimeInfo().wroteOffset).toBe(wrote);
      // still nothing after the services ran, and the queue did not move
      const after = await putOk(store, { topic: 'Good', body: 'after' });
      expect(after.physicalOffset).toBe(wrote);
      expect(after.queueOffset).toBe(1);
      await waitCommitted(store);
      expect(store.getMaxPhyOffset()).toBe(maxPhy + after.wroteBytes);
      expect(store.getMaxOffsetInQueue('Good', 0)).toBe(2);
      expect((await store.getMessage({ group: 'G', topic: 'Other', queueId: 0, offset: 0, maxMsgNums: 1 })).status).toBe(
        GetMessageStatus.NO_MATCHED_LOGIC_QUEUE,
      );
    });
  });
});
