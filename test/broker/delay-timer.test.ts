// The delay timer on a real store with simulated time (a ManualClock; the test runs the
// timer's steps itself): entries are delivered at their due time and not before, in due order,
// with body, tags, keys, properties and the client's message id intact, on the queue chosen at
// send time, and an idle timer then appends no more progress records; after a restart (store
// closed and reopened) nothing checkpointed is delivered again, nothing pending is lost, and
// exactly the deliveries after the last progress record come again
// (the documented at-least-once window); with a small timerMaxPendingInMemory the index stays
// within it and still delivers every entry once, in due order; the send side refuses a missing or
// too late delivery_timestamp with ILLEGAL_DELIVERY_TIME and puts a due one straight on its queue.
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerRefusal } from '../../src/broker/status-codes.js';
import { TIMER_PROGRESS_TOPIC, TIMER_TOPIC } from '../../src/broker/system-topics.js';
import { delayedPut } from '../../src/broker/timer/delay-send.js';
import { DelayTimer } from '../../src/broker/timer/delay-timer.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { ManualClock } from '../../src/util/clock.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { openStore, smallConfig, waitCommitted } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { consoleLogger } from '../../src/util/logger.js';

const newDir = tempDirs('mqstore-timer-');
const REAL = 'DelayTopic';
let stores: MessageStore[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

async function open(dir: string, overrides: Record<string, unknown> = {}): Promise<MessageStore> {
  const store = await openStore(smallConfig(dir, 'node', { timerCheckpointIntervalMs: 1000, ...overrides }));
  stores.push(store);
  return store;
}

async function reopen(store: MessageStore, overrides: Record<string, unknown> = {}): Promise<MessageStore> {
  const dir = store.config.storePathRootDir;
  stores = stores.filter((s) => s !== store);
  await store.close();
  return open(dir, overrides);
}

function timerOn(store: MessageStore, clock: ManualClock): DelayTimer {
  return new DelayTimer(store, store.config, clock, new ManualScheduler(clock), consoleLogger('timer', 'warn'));
}

/** Put a delay message as the send handler does (id `m<i>`, due at `dueMs`, real queue i % 4). */
async function sendDelayed(store: MessageStore, clock: ManualClock, i: number, dueMs: number): Promise<void> {
  const input = { topic: REAL, queueId: i % 4, body: `body-${i}`, tags: `T${i % 3}`, keys: [`k${i}`], properties: { UNIQ_KEY: `m${i}`, color: `c${i}` }, messageId: `m${i}` };
  const put = delayedPut(input, { systemProperties: { deliveryTimestamp: { seconds: Math.floor(dueMs / 1000), nanos: (dueMs % 1000) * 1e6 } } }, clock.nowMs(), store.config);
  const r = await store.putMessage(put);
  expect(r.status).toBe('PUT_OK');
}

/** Every message on the real topic: id -> {queue, body, tags, keys, color, deliverMs}; ids in log order. */
async function delivered(store: MessageStore): Promise<{ ids: string[]; byId: Map<string, { queueId: number; body: string; tags: string | null; keys: readonly string[]; color?: string; deliverMs?: string }> }> {
  await waitCommitted(store);
  const out: { offset: number; id: string; v: { queueId: number; body: string; tags: string | null; keys: readonly string[]; color?: string; deliverMs?: string } }[] = [];
  for (let q = 0; q < 4; q++) {
    const got = await store.getMessage({ group: 'g', topic: REAL, queueId: q, offset: 0, maxMsgNums: 1000 });
    for (const m of got.messages) {
      out.push({
        offset: m.physicalOffset,
        id: m.properties.UNIQ_KEY!,
        v: { queueId: m.queueId, body: Buffer.from(m.body!).toString(), tags: m.tags, keys: m.keys, color: m.properties.color, deliverMs: m.properties.TIMER_DELIVER_MS },
      });
    }
  }
  out.sort((a, b) => a.offset - b.offset);
  return { ids: out.map((o) => o.id), byId: new Map(out.map((o) => [o.id, o.v])) };
}

describe('delay timer (simulated time)', () => {
  it('delivers at the due time, not before, in due order, with the message intact', async () => {
    const store = await open(newDir());
    const clock = new ManualClock();
    const t0 = clock.nowMs();
    const dues = [5000, 1000, 3000, 3000, 2000];
    for (let i = 0; i < dues.length; i++) await sendDelayed(store, clock, i, t0 + dues[i]!);
    await waitCommitted(store);
    expect(store.getMaxOffsetInQueue(TIMER_TOPIC, 0)).toBe(5);
    const timer = timerOn(store, clock);
    await timer.step();
    expect((await delivered(store)).ids).toEqual([]);
    clock.advance(999);
    await timer.step();
    expect((await delivered(store)).ids).toEqual([]);
    clock.advance(1);
    await timer.step();
    expect((await delivered(store)).ids).toEqual(['m1']);
    clock.advance(2000);
    await timer.step();
    expect((await delivered(store)).ids).toEqual(['m1', 'm4', 'm2', 'm3']);
    clock.advance(1999);
    await timer.step();
    expect((await delivered(store)).ids).toHaveLength(4);
    clock.advance(1);
    await timer.step();
    const all = await delivered(store);
    expect(all.ids).toEqual(['m1', 'm4', 'm2', 'm3', 'm0']);
    for (let i = 0; i < 5; i++) {
      expect(all.byId.get(`m${i}`)).toEqual({ queueId: i % 4, body: `body-${i}`, tags: `T${i % 3}`, keys: [`k${i}`], color: `c${i}`, deliverMs: String(t0 + dues[i]!) });
    }
    expect(timer.stats()).toMatchObject({ pendingInMemory: 0, delivered: 5 });
    // idle: one progress record for the last deliveries, then nothing more is appended
    const progressRecords = async (): Promise<number> => {
      await waitCommitted(store);
      return store.getMaxOffsetInQueue(TIMER_PROGRESS_TOPIC, 0);
    };
    clock.advance(1000);
    await timer.step();
    const settled = await progressRecords();
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      await timer.step();
    }
    expect(await progressRecords()).toBe(settled);
    await timer.close();
  });

  it('after a restart: checkpointed deliveries are not repeated, pending ones come at their time, and only the deliveries after the last progress record repeat', async () => {
    let store = await open(newDir(), { timerCheckpointIntervalMs: 1500 });
    const clock = new ManualClock();
    const t0 = clock.nowMs();
    for (let i = 0; i < 6; i++) await sendDelayed(store, clock, i, t0 + 1000 * (i + 1));
    await waitCommitted(store);
    let timer = timerOn(store, clock);
    const records = async (): Promise<number> => {
      await waitCommitted(store);
      return store.getMaxOffsetInQueue(TIMER_PROGRESS_TOPIC, 0);
    };
    clock.advance(2000); // m0, m1 due
    await timer.step(); // delivers both; a progress record waits for timerCheckpointIntervalMs (monotonic)
    expect(await records()).toBe(0);
    clock.advance(1000); // m2 due
    await timer.step();
    expect(await records()).toBe(0);
    clock.advance(500); // the interval has passed: a progress record after the deliveries
    await timer.step();
    expect(await records()).toBe(1);
    clock.advance(500); // m3 due, delivered after the last progress record (inside the window)
    await timer.step();
    expect((await delivered(store)).ids).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(await records()).toBe(1);
    await timer.close();

    store = await reopen(store, { timerCheckpointIntervalMs: 1500 });
    timer = timerOn(store, clock);
    await timer.step(); // rebuild: m3 again (window), m4, m5 pending
    expect((await delivered(store)).ids).toEqual(['m0', 'm1', 'm2', 'm3', 'm3']);
    clock.advance(999);
    await timer.step();
    expect((await delivered(store)).ids).toHaveLength(5);
    clock.advance(1);
    await timer.step();
    clock.advance(1000);
    await timer.step();
    expect((await delivered(store)).ids).toEqual(['m0', 'm1', 'm2', 'm3', 'm3', 'm4', 'm5']);
    clock.advance(1000);
    await timer.step(); // a progress record: everything delivered
    expect(await records()).toBe(2);
    await timer.close();

    store = await reopen(store, { timerCheckpointIntervalMs: 1500 });
    timer = timerOn(store, clock);
    clock.advance(10_000);
    await timer.step();
    expect((await delivered(store)).ids).toHaveLength(7);
    expect(timer.stats().pendingInMemory).toBe(0);
    await timer.close();
  });

  it('keeps at most timerMaxPendingInMemory entries and pages the rest from the log, still delivering each once in due order', async () => {
    let store = await open(newDir(), { timerMaxPendingInMemory: 16 });
    const clock = new ManualClock();
    const t0 = clock.nowMs();
    const n = 100;
    const dueOf = (i: number): number => t0 + 1000 + ((i * 37) % n) * 100; // a permutation of due slots
    for (let i = 0; i < n; i++) await sendDelayed(store, clock, i, dueOf(i));
    await waitCommitted(store);
    let timer = timerOn(store, clock);
    let maxInMemory = 0;
    let restarted = false;
    for (let step = 0; step < 130; step++) {
      await timer.step();
      maxInMemory = Math.max(maxInMemory, timer.stats().pendingInMemory);
      clock.advance(100);
      if (!restarted && clock.nowMs() >= t0 + 6000) {
        restarted = true; // a restart in the middle pages from the progress record
        await timer.close();
        store = await reopen(store, { timerMaxPendingInMemory: 16 });
        timer = timerOn(store, clock);
      }
    }
    await timer.close();
    const { ids } = await delivered(store);
    const unique = [...new Set(ids)];
    expect(unique).toHaveLength(n);
    expect(maxInMemory).toBeLessThanOrEqual(16);
    // first deliveries in due order; repeats only from the restart window
    const firstOrder = unique.map((id) => dueOf(Number(id.slice(1))));
    expect(firstOrder).toEqual([...firstOrder].sort((a, b) => a - b));
    expect(ids.length - n).toBeLessThanOrEqual(1000 / 100 + 1);
  });

  it('send side: a missing or too late delivery_timestamp is ILLEGAL_DELIVERY_TIME; a due one goes straight to its queue', async () => {
    const store = await open(newDir(), { timerMaxDelaySec: 60 });
    const now = 1_700_000_000_000;
    const input = { topic: REAL, queueId: 2, body: 'b', properties: { UNIQ_KEY: 'x' } };
    const refusal = (f: () => unknown): BrokerRefusal => {
      try {
        f();
      } catch (err) {
        return err as BrokerRefusal;
      }
      throw new Error('expected a refusal');
    };
    const missing = refusal(() => delayedPut(input, {}, now, store.config));
    expect(missing.codeName).toBe('ILLEGAL_DELIVERY_TIME');
    const late = refusal(() => delayedPut(input, { systemProperties: { deliveryTimestamp: { seconds: now / 1000 + 61 } } }, now, store.config));
    expect(late.codeName).toBe('ILLEGAL_DELIVERY_TIME');
    expect(late.message).toContain('timerMaxDelaySec = 60');
    expect(delayedPut(input, { systemProperties: { deliveryTimestamp: { seconds: now / 1000 + 60 } } }, now, store.config)).toMatchObject({ topic: TIMER_TOPIC, queueId: 0, properties: { REAL_TOPIC: REAL, REAL_QID: '2' } });
    expect(delayedPut(input, { systemProperties: { deliveryTimestamp: { seconds: now / 1000 - 1 } } }, now, store.config)).toMatchObject({ topic: REAL, queueId: 2, properties: { UNIQ_KEY: 'x', TIMER_DELIVER_MS: String(now - 1000) } });
  });
});
