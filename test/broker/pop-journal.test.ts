// The pop-state journal over a real store, without gRPC: a restart (with or without the close
// snapshot) keeps acks, deliveries, attempt counts, invisibility deadlines and receipt handles; a
// replay from an older snapshot, or from the journal's first record, rebuilds the same state; an
// incomplete snapshot and malformed records change nothing; a delivery record missing from the
// journal makes its message come again (never lost); after the group's max attempts the message
// goes to %DLQ%<group> with its properties and the DLQ ones, and stays done after a restart;
// snapshots come after everyRecords records or intervalMs with changes (simulated time).
// Time is the `nowMs` the test passes to each pop; no sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { dlqTopicOf } from '../../src/broker/dead-letter.js';
import type { CheckpointOptions } from '../../src/broker/pop-checkpoint.js';
import { openPopService, type OpenPop } from '../../src/broker/pop-open.js';
import { encodePopRecord, POP_STATE_GROUP, POP_STATE_TOPIC } from '../../src/broker/pop-records.js';
import { replayPopState } from '../../src/broker/pop-replay.js';
import type { Delivery, PopRequest } from '../../src/broker/pop-service.js';
import { decodeReceiptHandle, type ReceiptHandle } from '../../src/broker/receipt-handle.js';
import { TopicRegistry } from '../../src/broker/topic-registry.js';
import { MessageStore } from '../../src/store/message-store.js';
import { PutMessageStatus } from '../../src/store/statuses.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { CALM_DISK_USAGE, smallConfig, waitCommitted, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-pop-journal-');
const G = 'GroupJ';
const T = 'TopicJ';
const T0 = 1_800_000_000_000;
const opened: { store: MessageStore; pop: OpenPop | null }[] = [];

afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.pop?.close();
    await o.store.close();
  }
});

interface Open {
  store: MessageStore;
  topics: TopicRegistry;
  pop: OpenPop;
  scheduler: ManualScheduler;
  /** Close the store without the journal's close snapshot (as a killed broker leaves it). */
  closeWithoutSnapshot(): Promise<void>;
  close(): Promise<void>;
}

async function open(dir: string, overrides: Record<string, unknown> = {}, checkpoint?: CheckpointOptions): Promise<Open> {
  const store = await MessageStore.open(smallConfig(dir, 'node', { maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20, ...overrides }), { diskUsage: CALM_DISK_USAGE });
  const entry: { store: MessageStore; pop: OpenPop | null } = { store, pop: null };
  opened.push(entry);
  const clock = new ManualClock(T0);
  const scheduler = new ManualScheduler(clock);
  const topics = new TopicRegistry(store.fileIO, store.config, () => T0);
  const pop = await openPopService(store, topics, clock, scheduler, memoryLogger(), checkpoint);
  entry.pop = pop;
  const forget = (): void => void opened.splice(opened.indexOf(entry), 1);
  return {
    store,
    topics,
    pop,
    scheduler,
    closeWithoutSnapshot: async () => {
      forget();
      await store.close();
    },
    close: async () => {
      forget();
      await pop.close();
      await store.close();
    },
  };
}

async function putMessages(store: MessageStore, n: number, topic = T): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await store.putMessage({ topic, queueId: 0, body: `m${i}`, tags: 'TagA', keys: [`k${i}`], properties: { UNIQ_KEY: `ID${i}`, color: `c${i}` } });
    expect(r.status).toBe(PutMessageStatus.PUT_OK);
  }
  await waitCommitted(store); // readable by pops
}

function req(nowMs: number, more: Partial<PopRequest> = {}): PopRequest {
  return { group: G, topic: T, queueNums: 1, filter: () => true, maxMessages: 16, invisibleMs: 1_000, nowMs, maxAttempts: 16, ...more };
}

function handleOf(d: Delivery): ReceiptHandle {
  return decodeReceiptHandle(d.receiptHandle)!;
}

async function ackOk(o: Open, d: Delivery | ReceiptHandle): Promise<void> {
  const h = 'receiptHandle' in d ? handleOf(d) : d;
  const r = o.pop.service.ack(G, T, h);
  expect(r.outcome).toBe('ok');
  expect(await r.stored).toBeNull();
}

/** Every queue state's snapshot, inflight sorted, for comparisons. */
async function replayedStates(store: MessageStore): Promise<Record<string, unknown>> {
  const r = await replayPopState(store, memoryLogger());
  const out: Record<string, unknown> = {};
  for (const [key, s] of r.states) {
    const snap = s.snapshot();
    out[key] = { ...snap, inflight: [...snap.inflight].sort((a, b) => a.offset - b.offset) };
  }
  return out;
}

describe('pop-state journal', () => {
  const cases = [
    { how: 'after a clean close (snapshot)', flush: 'ASYNC_FLUSH' },
    { how: 'from the records alone (no close snapshot)', flush: 'ASYNC_FLUSH' },
    { how: 'from the records alone (no close snapshot)', flush: 'SYNC_FLUSH' },
  ] as const;
  for (const { how, flush } of cases) {
    it(`a restart keeps acks, deliveries, attempts, deadlines and handles: ${how}, ${flush}`, async () => {
      const dir = newDir();
      const config = { flushDiskType: flush };
      let o = await open(dir, config);
      await putMessages(o.store, 5);
      const first = await o.pop.service.pop(req(T0));
      expect(first.map((d) => d.message.queueOffset)).toEqual([0, 1, 2, 3, 4]);
      for (const i of [0, 1, 3]) await ackOk(o, first[i]!);
      const changed = o.pop.service.changeInvisible(G, T, handleOf(first[4]!), T0, 5_000);
      expect(await changed.stored).toBeNull();
      const newHandle4 = decodeReceiptHandle((changed.outcome as { receiptHandle: string }).receiptHandle)!;
      if (how === 'after a clean close (snapshot)') await o.close();
      else await o.closeWithoutSnapshot();

      o = await open(dir, config);
      // the old process's handles: 2's is still its current delivery, 4's was replaced
      expect(o.pop.service.current(G, T, handleOf(first[2]!))).toMatchObject({ offset: 2, attempt: 1, invisibleUntilMs: T0 + 1_000 });
      expect(o.pop.service.current(G, T, handleOf(first[4]!))).toBe('stale');
      expect(o.pop.service.current(G, T, handleOf(first[0]!))).toBe('unknown');
      expect(o.pop.service.current(G, T, newHandle4)).toMatchObject({ offset: 4, attempt: 1, invisibleUntilMs: T0 + 5_000 });
      expect(o.pop.service.bootId).toBeGreaterThan(handleOf(first[0]!).bootId);
      await ackOk(o, first[2]!);
      expect(await o.pop.service.pop(req(T0 + 2_000))).toEqual([]); // 4 is invisible until T0 + 5 s
      const again = await o.pop.service.pop(req(T0 + 6_000));
      expect(again.map((d) => [d.message.queueOffset, d.entry.attempt])).toEqual([[4, 2]]);
      await ackOk(o, again[0]!);
      expect(o.store.queryOffset(G, T, 0)).toBe(5);
      await o.close();
      o = await open(dir, config);
      expect(await o.pop.service.pop(req(T0 + 60_000))).toEqual([]);
    });
  }

  it('a replay from an older snapshot, or from the first record, rebuilds the same state', async () => {
    const dir = newDir();
    let o = await open(dir);
    await putMessages(o.store, 12);
    const a = await o.pop.service.pop(req(T0, { maxMessages: 4 }));
    await ackOk(o, a[1]!);
    expect(await o.pop.service.snapshot(T0)).toBeNull();
    const older = o.store.queryOffset(POP_STATE_GROUP, POP_STATE_TOPIC, 0);
    const b = await o.pop.service.pop(req(T0 + 10, { maxMessages: 4 }));
    await ackOk(o, b[0]!);
    await ackOk(o, a[0]!);
    expect(await o.pop.service.snapshot(T0 + 20)).toBeNull();
    expect(o.store.queryOffset(POP_STATE_GROUP, POP_STATE_TOPIC, 0)).toBeGreaterThan(older);
    const c = await o.pop.service.pop(req(T0 + 2_000, { maxMessages: 3 })); // redeliveries of 2, 3 and a new one
    expect(c.map((d) => [d.message.queueOffset, d.entry.attempt])).toEqual([[2, 2], [3, 2], [5, 2]]);
    const want = await replayedStates(o.store);
    expect(Object.keys(want)).toEqual([`${G}\u0001${T}\u00010`]);
    expect(want[`${G}\u0001${T}\u00010`]).toMatchObject({ committed: 2, next: 8 });
    await o.closeWithoutSnapshot();
    for (const hint of [older, -1]) {
      const store = await MessageStore.open(smallConfig(dir, 'node', { maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20 }), { diskUsage: CALM_DISK_USAGE });
      opened.push({ store, pop: null });
      store.commitOffset(POP_STATE_GROUP, POP_STATE_TOPIC, 0, hint < 0 ? 0 : hint);
      expect(await replayedStates(store)).toEqual(want);
      await store.close();
      opened.pop();
    }
  });

  it('an incomplete snapshot and malformed records change nothing', async () => {
    const dir = newDir();
    const o = await open(dir);
    await putMessages(o.store, 3);
    const got = await o.pop.service.pop(req(T0));
    await ackOk(o, got[0]!);
    const want = await replayedStates(o.store);
    const raw = async (body: Uint8Array | string): Promise<void> => {
      expect((await o.store.putMessage({ topic: POP_STATE_TOPIC, queueId: 0, body })).status).toBe(PutMessageStatus.PUT_OK);
    };
    await raw(encodePopRecord({ t: 'B', id: 7 }));
    await raw(encodePopRecord({ t: 'S', id: 7, i: 0, r: [[G, T, 0, 3, 3, []]] })); // would say: all done
    await raw('not a record');
    await raw(JSON.stringify({ v: 1, t: 'A', g: G, tp: T, o: [[0, -1]] }));
    await raw(JSON.stringify({ v: 99, t: 'A', g: G, tp: T, o: [[0, 1]] }));
    await waitCommitted(o.store);
    const r = await replayPopState(o.store, memoryLogger());
    expect(r.malformed).toBe(3);
    expect(await replayedStates(o.store)).toEqual(want);
  });

  it('a delivery record missing from the journal makes its messages come again, never lost', async () => {
    const dir = newDir();
    let o = await open(dir);
    await putMessages(o.store, 5);
    // as if the records of offsets 0..2 were lost: only a later delivery of 3 and 4 is recorded
    const raw = encodePopRecord({ t: 'P', g: G, tp: T, q: 0, e: [[3, 1, 1, 1, T0 + 1_000], [4, 1, 1, 2, T0 + 1_000]], n0: 3, n1: 5 });
    expect((await o.store.putMessage({ topic: POP_STATE_TOPIC, queueId: 0, body: raw })).status).toBe(PutMessageStatus.PUT_OK);
    await waitCommitted(o.store);
    await o.closeWithoutSnapshot();
    o = await open(dir);
    const got = await o.pop.service.pop(req(T0));
    expect(got.map((d) => [d.message.queueOffset, d.entry.attempt])).toEqual([[0, 1], [1, 1], [2, 1], [3, 1], [4, 1]]);
  });

  it('after the max attempts the message goes to %DLQ%<group> with its properties and the DLQ ones, and stays done after a restart', async () => {
    const dir = newDir();
    let o = await open(dir);
    await putMessages(o.store, 2);
    const one = await o.pop.service.pop(req(T0, { maxMessages: 1, maxAttempts: 2 }));
    expect(one.map((d) => [d.message.queueOffset, d.entry.attempt])).toEqual([[0, 1]]);
    const two = await o.pop.service.pop(req(T0 + 1_500, { maxMessages: 1, maxAttempts: 2 }));
    expect(two.map((d) => [d.message.queueOffset, d.entry.attempt])).toEqual([[0, 2]]);
    // its invisibility passes a second time: the next pop dead-letters it and goes on with 1
    const three = await o.pop.service.pop(req(T0 + 3_000, { maxMessages: 1, maxAttempts: 2 }));
    expect(three.map((d) => [d.message.queueOffset, d.entry.attempt])).toEqual([[1, 1]]);
    expect(o.pop.service.current(G, T, handleOf(two[0]!))).toBe('unknown');
    expect(o.store.queryOffset(G, T, 0)).toBe(1);
    const dlq = dlqTopicOf(G);
    expect(o.topics.get(dlq)).toMatchObject({ topicName: dlq, readQueueNums: 1, writeQueueNums: 1, perm: 6 });
    const dead = await o.store.getMessage({ group: 'Admin', topic: dlq, queueId: 0, offset: 0, maxMsgNums: 8 });
    expect(dead.messages).toHaveLength(1);
    const m = dead.messages[0]!;
    expect(new TextDecoder().decode(m.body!)).toBe('m0');
    expect(m.tags).toBe('TagA');
    expect(m.keys).toEqual(['k0']);
    expect(m.reconsumeTimes).toBe(2);
    expect(m.properties).toMatchObject({ UNIQ_KEY: 'ID0', color: 'c0', RETRY_TOPIC: T, ORIGIN_MESSAGE_ID: 'ID0', DLQ_ORIGIN_TOPIC: T, DLQ_ORIGIN_MESSAGE_ID: 'ID0' });
    await ackOk(o, three[0]!);
    await o.closeWithoutSnapshot();
    o = await open(dir);
    expect(await o.pop.service.pop(req(T0 + 60_000, { maxAttempts: 2 }))).toEqual([]);
    expect((await o.store.getMessage({ group: 'Admin', topic: dlq, queueId: 0, offset: 0, maxMsgNums: 8 })).messages).toHaveLength(1);
  });

  it('snapshots are written after everyRecords records or intervalMs with changes, and the replay starts at the latest', async () => {
    const o = await open(newDir(), {}, { everyRecords: 4, intervalMs: 10_000 });
    const hint = (): number => o.store.queryOffset(POP_STATE_GROUP, POP_STATE_TOPIC, 0);
    await putMessages(o.store, 8);
    expect(hint()).toBe(-1);
    const got = await o.pop.service.pop(req(T0, { maxMessages: 2 })); // one P record
    await ackOk(o, got[0]!); // two records: below everyRecords
    o.scheduler.advance(1_000);
    expect(o.pop.service.recordsSinceSnapshot).toBe(2); // not due (a snapshot resets it at once)
    await ackOk(o, got[1]!);
    await ackOk(o, (await o.pop.service.pop(req(T0, { maxMessages: 1 })))[0]!); // 4 records: due
    o.scheduler.advance(1_000);
    await waitUntil(() => hint() >= 0, 'the first snapshot', 5_000); // its puts settle: an event, not a sleep
    const first = hint();
    expect(o.pop.service.recordsSinceSnapshot).toBe(0);
    await o.pop.service.pop(req(T0, { maxMessages: 1 })); // one record, then only time passes
    o.scheduler.advance(5_000);
    expect(o.pop.service.recordsSinceSnapshot).toBe(1); // 1 record, 5 s: not due yet
    o.scheduler.advance(6_000);
    await waitUntil(() => hint() > first, 'the interval snapshot', 5_000);
    const r = await replayPopState(o.store, memoryLogger());
    expect(r.fromOffset).toBe(hint());
    expect(r.records).toBe(3); // B, one S, E: nothing after the latest snapshot
  });

  it('a change whose record cannot be stored says so; the engine consumer offset, the replay lower bound, may still keep it', async () => {
    const dir = newDir();
    let o = await open(dir);
    await putMessages(o.store, 1);
    const [d] = await o.pop.service.pop(req(T0));
    o.store.changeRole('SLAVE'); // the store now refuses every put, the journal's too
    const r = o.pop.service.ack(G, T, handleOf(d!));
    expect(r.outcome).toBe('ok'); // applied in memory...
    expect(await r.stored).toMatch(/SERVICE_NOT_AVAILABLE/); // ...but not stored, and the caller is told
    o.store.changeRole('ASYNC_MASTER');
    await o.closeWithoutSnapshot();
    o = await open(dir);
    // the ack moved the group's consumer offset, which the clean store close saved: the replay
    // takes it as its lower bound, so the message stays done (had it not been saved, it would
    // come again: never lost either way)
    expect(o.store.queryOffset(G, T, 0)).toBe(1);
    expect(await o.pop.service.pop(req(T0 + 2_000))).toEqual([]);
  });
});
