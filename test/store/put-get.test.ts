// MessageStore put/get round trip on real files, on every IO backend available here: every field
// a producer sets comes back unchanged, queue offsets are dense per queue, physical offsets and
// sizes tile the log exactly, offsetMsgId encodes the physical offset, lookMessageByOffset finds a
// record by offset (and nothing at an offset that is not a record start), and the positions keep
// flushed <= committed <= wrote.
import { describe, expect, it } from 'vitest';
import { parseOffsetMsgId } from '../../src/codec/offset-msg-id.js';
import { ManualClock } from '../../src/util/clock.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, type PutMessageResult } from '../../src/store/statuses.js';
import { AVAILABLE_BACKENDS, BACKENDS, bodyOf, putOk, recordBytes, smallConfig, waitCommitted, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-putget-');

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`put/get on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

function positionsOrdered(store: MessageStore): void {
  const info = store.runtimeInfo();
  expect(info.flushedOffset).toBeLessThanOrEqual(info.committedOffset);
  expect(info.committedOffset).toBeLessThanOrEqual(info.wroteOffset);
}

describe.each(AVAILABLE_BACKENDS)('put/get round trip: %s backend', (backend) => {
  it('returns body (bytes and string), tags, keys, properties, flag and bornTimestamp unchanged', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    await withStore(
      smallConfig(newDir(), backend),
      async (store) => {
        const bytes = bodyOf(1, 1500);
        const a = await putOk(store, {
          topic: 'TopicA',
          queueId: 0,
          body: bytes,
          tags: 'TagA',
          keys: ['k1', 'k2'],
          properties: { color: 'blue', 'x-ü': 'wert ✓' },
          flag: -7,
          bornTimestamp: 1_600_000_000_123,
        });
        clock.advance(5);
        const s = await putOk(store, { topic: 'TopicA', queueId: 0, body: 'héllo wörld ✓', keys: 'single' });
        positionsOrdered(store);
        await waitCommitted(store);

        const got = await store.getMessage({ group: 'g', topic: 'TopicA', queueId: 0, offset: 0, maxMsgNums: 10 });
        expect(got.status).toBe(GetMessageStatus.FOUND);
        expect(got.messages).toHaveLength(2);
        const [m0, m1] = got.messages;
        expect(Buffer.from(m0!.body!).equals(Buffer.from(bytes))).toBe(true);
        expect(m0!.topic).toBe('TopicA');
        expect(m0!.queueId).toBe(0);
        expect(m0!.tags).toBe('TagA');
        expect(m0!.keys).toEqual(['k1', 'k2']);
        expect(m0!.properties).toMatchObject({ color: 'blue', 'x-ü': 'wert ✓', TAGS: 'TagA', KEYS: 'k1 k2' });
        expect(m0!.flag).toBe(-7);
        expect(m0!.bornTimestamp).toBe(1_600_000_000_123);
        expect(m0!.storeTimestamp).toBe(a.storeTimestamp);
        expect(a.storeTimestamp).toBe(1_700_000_000_000);
        expect(m0!.queueOffset).toBe(0);
        expect(m0!.physicalOffset).toBe(a.physicalOffset);
        expect(m0!.msgId).toBe(a.offsetMsgId);

        expect(new TextDecoder().decode(m1!.body!)).toBe('héllo wörld ✓');
        expect(m1!.tags).toBeNull();
        expect(m1!.keys).toEqual(['single']);
        expect(m1!.flag).toBe(0);
        // bornTimestamp defaults to the store clock
        expect(m1!.bornTimestamp).toBe(1_700_000_000_005);
        expect(m1!.storeTimestamp).toBe(s.storeTimestamp);
        expect(s.storeTimestamp).toBe(1_700_000_000_005);
        // the body CRC written is crc32(body) & 0x7fffffff, non-negative
        expect(m0!.bodyCrc).toBeGreaterThanOrEqual(0);
      },
      { clock },
    );
  });

  it('gives dense queue offsets per queue, and offsets/sizes that tile the log up to getMaxPhyOffset', async () => {
    await withStore(smallConfig(newDir(), backend), async (store) => {
      const results: { r: PutMessageResult; queue: string; n: number }[] = [];
      const perQueue = new Map<string, number>();
      for (let i = 0; i < 60; i++) {
        const topic = i % 3 === 0 ? 'TopicB' : 'TopicA';
        const queueId = i % 2;
        const key = `${topic}/${queueId}`;
        const n = 10 + ((i * 37) % 900);
        const r = await putOk(store, { topic, queueId, body: bodyOf(i, n) });
        const expected = perQueue.get(key) ?? 0;
        expect(r.queueOffset, `queue offset of put ${i} in ${key}`).toBe(expected);
        perQueue.set(key, expected + 1);
        expect(r.wroteBytes).toBe(recordBytes(topic, n));
        expect(r.messageCount).toBe(1);
        results.push({ r, queue: key, n });
      }
      // records are contiguous: each starts where the previous ended
      for (let i = 1; i < results.length; i++) {
        const prev = results[i - 1]!.r;
        expect(results[i]!.r.physicalOffset).toBe(prev.physicalOffset + prev.wroteBytes);
      }
      const last = results.at(-1)!.r;
      expect(store.runtimeInfo().wroteOffset).toBe(last.physicalOffset + last.wroteBytes);
      await waitCommitted(store);
      expect(store.getMaxPhyOffset()).toBe(last.physicalOffset + last.wroteBytes);
      expect(store.getMinPhyOffset()).toBe(0);
      positionsOrdered(store);

      for (const [key, count] of perQueue) {
        const [topic, q] = key.split('/') as [string, string];
        expect(store.getMaxOffsetInQueue(topic, Number(q))).toBe(count);
        expect(store.getMinOffsetInQueue(topic, Number(q))).toBe(0);
      }
      // every message is where its put said, in its queue, at its queue offset
      for (const { r, queue, n } of results) {
        const [topic, q] = queue.split('/') as [string, string];
        const got = await store.getMessage({ group: 'g', topic, queueId: Number(q), offset: r.queueOffset, maxMsgNums: 1 });
        expect(got.status).toBe(GetMessageStatus.FOUND);
        expect(got.nextBeginOffset).toBe(r.queueOffset + 1);
        const m = got.messages[0]!;
        expect(m.physicalOffset).toBe(r.physicalOffset);
        expect(m.totalSize).toBe(r.wroteBytes);
        expect(m.body!.length).toBe(n);
      }
    });
  });

  it('offsetMsgId decodes to the store host and the physical offset', async () => {
    await withStore(smallConfig(newDir(), backend, { brokerIP1: '10.1.2.3', listenPort: 10_921 }), async (store) => {
      for (let i = 0; i < 5; i++) {
        const r = await putOk(store, { topic: 'T', body: bodyOf(i, 100 * (i + 1)) });
        expect(r.offsetMsgId).toMatch(/^[0-9A-F]{32}$/);
        const parsed = parseOffsetMsgId(r.offsetMsgId!);
        expect(parsed).not.toBeNull();
        expect(parsed!.physicalOffset).toBe(r.physicalOffset);
        expect([...parsed!.storeHost.address]).toEqual([10, 1, 2, 3]);
        expect(parsed!.storeHost.port).toBe(10_921);
      }
    });
  });

  it('lookMessageByOffset returns the message at a record start and null elsewhere', async () => {
    await withStore(smallConfig(newDir(), backend), async (store) => {
      const puts: PutMessageResult[] = [];
      for (let i = 0; i < 10; i++) puts.push(await putOk(store, { topic: 'Look', queueId: 1, body: `message ${i}`, tags: `t${i}` }));
      await waitCommitted(store);
      for (let i = 0; i < puts.length; i++) {
        const m = store.lookMessageByOffset(puts[i]!.physicalOffset);
        expect(m, `message ${i}`).not.toBeNull();
        expect(new TextDecoder().decode(m!.body!)).toBe(`message ${i}`);
        expect(m!.tags).toBe(`t${i}`);
        expect(m!.queueOffset).toBe(i);
        expect(m!.queueId).toBe(1);
        expect(m!.msgId).toBe(puts[i]!.offsetMsgId);
      }
      const end = store.getMaxPhyOffset();
      const bogus = [end, end + 1, end + 10_000_000, -1, puts[3]!.physicalOffset + 1, puts[3]!.physicalOffset + 4, puts[3]!.physicalOffset + 88];
      for (const offset of bogus) expect(store.lookMessageByOffset(offset), `offset ${offset}`).toBeNull();
    });
  });

  it('keeps flushed <= committed <= wrote through a burst of puts', async () => {
    await withStore(smallConfig(newDir(), backend), async (store) => {
      const inFlight: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        inFlight.push(store.putMessage({ topic: 'Burst', body: bodyOf(i, 700) }));
        if (i % 50 === 0) positionsOrdered(store);
      }
      await Promise.all(inFlight);
      positionsOrdered(store);
      await waitCommitted(store, { flushed: true });
      const info = store.runtimeInfo();
      expect(info.flushedOffset).toBe(info.wroteOffset);
      expect(info.committedOffset).toBe(info.wroteOffset);
      expect(info.maxPhyOffset).toBe(store.getMaxPhyOffset());
    });
  });
});
