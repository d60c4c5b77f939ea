// The transaction service on a real store with simulated time (ManualClock; checks driven by a
// ManualScheduler): 30 halves, some committed, some rolled back, some left pending, in an
// interleaved order; after the store is closed and reopened the rebuilt service has exactly the
// pending ones (each commits once), answers the ended ones at or past the rebuild checkpoint
// idempotently (same resolution OK, the other INVALID_TRANSACTION_ID) and those below it with
// INVALID_TRANSACTION_ID 'already ended before the broker's last restart', and started its
// rebuild from the last op record's checkpoint (the first pending half), not from offset 0. Orphan checks: none before transactionTimeOut; then one every
// transactionCheckInterval to the sending client (or another producer of the topic); after
// transactionCheckMax checks the half is discarded and never delivered.
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerRefusal } from '../../src/broker/status-codes.js';
import { TransactionService, type ProducerChannels } from '../../src/broker/transaction/transaction-service.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { ManualClock } from '../../src/util/clock.js';
import type { Logger } from '../../src/util/logger.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { drive } from '../helpers/manual-time.js';
import { openStore, smallConfig, waitCommitted, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-tx-');
const REAL = 'TxReal';
const COMMIT = 1;
const ROLLBACK = 2;
let stores: MessageStore[] = [];
const services: TransactionService[] = [];

afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const s of stores.splice(0)) await s.close();
});

function recordingLogger(lines: string[]): Logger {
  const l: Logger = { debug: () => {}, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m), child: () => l };
  return l;
}

async function open(dir: string, overrides: Record<string, unknown> = {}): Promise<MessageStore> {
  const store = await openStore(smallConfig(dir, 'node', { transactionTimeOut: 1000, transactionCheckInterval: 500, transactionCheckMax: 3, ...overrides }));
  stores.push(store);
  return store;
}

function service(store: MessageStore, clock: ManualClock, scheduler: ManualScheduler, lines: string[] = [], channels?: ProducerChannels): TransactionService {
  const s = new TransactionService(store, store.config, clock, scheduler, recordingLogger(lines));
  if (channels) s.start(channels);
  services.push(s);
  return s;
}

async function half(s: TransactionService, i: number, clientId = 'client-a'): Promise<{ id: string; messageId: string }> {
  const r = await s.sendHalf({ topic: REAL, queueId: 0, body: `tx-${i}`, properties: { UNIQ_KEY: `M${i}` }, messageId: `M${i}` }, clientId);
  expect(r.result.status).toBe('PUT_OK');
  return { id: r.transactionId, messageId: `M${i}` };
}

const end = (s: TransactionService, t: { id: string; messageId: string }, resolution: number) => s.end({ topic: { name: REAL }, messageId: t.messageId, transactionId: t.id, resolution, source: 1 });

async function refusal(p: Promise<unknown>): Promise<BrokerRefusal> {
  try {
    await p;
  } catch (err) {
    return err as BrokerRefusal;
  }
  throw new Error('expected a refusal');
}

async function onReal(store: MessageStore): Promise<string[]> {
  await waitCommitted(store);
  const got = await store.getMessage({ group: 'g', topic: REAL, queueId: 0, offset: 0, maxMsgNums: 1000 });
  return got.messages.map((m) => m.properties.UNIQ_KEY!);
}

describe('transaction service', () => {
  it('rebuilds exactly the pending halves after a restart, from the last checkpoint', async () => {
    let store = await open(newDir());
    const clock = new ManualClock();
    const scheduler = new ManualScheduler(clock);
    let s = service(store, clock, scheduler);
    const txs: { id: string; messageId: string }[] = [];
    for (let i = 0; i < 30; i++) txs.push(await half(s, i));
    const fate = (i: number): 'commit' | 'rollback' | 'pending' => (i < 10 ? (i % 2 === 0 ? 'commit' : 'rollback') : i % 3 === 0 ? 'commit' : i % 3 === 1 ? 'rollback' : 'pending');
    // end them out of order: the later ones first
    for (const i of [...Array(30).keys()].reverse()) {
      const f = fate(i);
      if (f !== 'pending') await end(s, txs[i]!, f === 'commit' ? COMMIT : ROLLBACK);
    }
    const committed = [...Array(30).keys()].filter((i) => fate(i) === 'commit').map((i) => `M${i}`);
    expect((await onReal(store)).sort()).toEqual([...committed].sort());
    expect(s.stats().pending).toBe(30 - committed.length - [...Array(30).keys()].filter((i) => fate(i) === 'rollback').length);
    await s.close();

    const dir = store.config.storePathRootDir;
    stores = stores.filter((x) => x !== store);
    await store.close();
    store = await open(dir);
    const lines: string[] = [];
    s = service(store, clock, scheduler, lines);
    for (let i = 0; i < 30; i++) {
      const f = fate(i);
      if (f === 'pending') {
        await end(s, txs[i]!, COMMIT);
      } else if (i < 11) {
        const before = await refusal(end(s, txs[i]!, COMMIT));
        expect(before.codeName).toBe('INVALID_TRANSACTION_ID');
        expect(before.message).toContain("already ended before the broker's last restart");
      } else {
        await end(s, txs[i]!, f === 'commit' ? COMMIT : ROLLBACK); // the same way again: OK, nothing appended
        const other = await refusal(end(s, txs[i]!, f === 'commit' ? ROLLBACK : COMMIT));
        expect(other.codeName).toBe('INVALID_TRANSACTION_ID');
      }
    }
    const pendingIds = [...Array(30).keys()].filter((i) => fate(i) === 'pending').map((i) => `M${i}`);
    const onTopic = await onReal(store);
    expect(onTopic.sort()).toEqual([...committed, ...pendingIds].sort());
    expect(s.stats().pending).toBe(0);
    // halves 0..10 were all ended and 11 is the first pending one: the rebuild started there
    const rebuilt = lines.find((l) => l.includes('pending halves rebuilt'));
    expect(rebuilt).toMatch(/from half offset 11 /);
  });

  it('orphan checks: after transactionTimeOut, every transactionCheckInterval, to the sender first; discarded after transactionCheckMax', async () => {
    const store = await open(newDir());
    const clock = new ManualClock();
    const scheduler = new ManualScheduler(clock);
    const sent: { clientId: string; transactionId: string; topic: string; body: string }[] = [];
    let senderConnected = true;
    const channels: ProducerChannels = {
      send: (clientId, cmd) => {
        if (clientId === 'client-a' && !senderConnected) return false;
        const c = cmd.recoverOrphanedTransactionCommand as { transactionId: string; message: { topic: { name: string }; body: Buffer } };
        sent.push({ clientId, transactionId: c.transactionId, topic: c.message.topic.name, body: c.message.body.toString() });
        return true;
      },
      producersOf: (topic) => (topic === REAL ? ['client-b'] : []),
    };
    const lines: string[] = [];
    const s = service(store, clock, scheduler, lines, channels);
    const t = await half(s, 1);
    clock.advance(0);
    await drive(scheduler, clock, 999);
    expect(sent).toEqual([]);
    // a check reads the half from the store (real IO) before it sends: wait for it with a deadline
    const checks = (n: number): Promise<void> => waitUntil(() => sent.length >= n, `orphan check ${n}`, 10_000);
    await drive(scheduler, clock, 1);
    await checks(1);
    expect(sent).toEqual([{ clientId: 'client-a', transactionId: t.id, topic: REAL, body: 'tx-1' }]);
    senderConnected = false; // the sender went away: the next check goes to another producer of the topic
    await drive(scheduler, clock, 500);
    await checks(2);
    expect(sent.map((x) => x.clientId)).toEqual(['client-a', 'client-b']);
    await drive(scheduler, clock, 500);
    await checks(3);
    expect(sent).toHaveLength(3);
    await drive(scheduler, clock, 500); // transactionCheckMax = 3 reached: discarded
    await waitUntil(() => s.stats().pending === 0, 'the discard', 10_000);
    expect(sent).toHaveLength(3);
    expect(s.stats()).toMatchObject({ pending: 0, checksSent: 3 });
    expect(lines.some((l) => l.includes('discarded (transactionCheckMax)'))).toBe(true);
    expect(await onReal(store)).toEqual([]);
    const late = await refusal(end(s, t, COMMIT));
    expect(late.codeName).toBe('INVALID_TRANSACTION_ID');
    expect(late.message).toContain('already ended with DISCARD');
  });
});
