// Delay and transactional messages with the OFFICIAL client (rocketmq-client-nodejs, unmodified)
// against in-process brokers on loopback:
//   delay        a message on a DELAY topic is received with its body, properties, message id and
//                delivery timestamp, and its copy on the topic was stored at or after that time
//                (not before); the same across a broker restart (store closed and reopened)
//                between the send and the due time; a delay past timerMaxDelaySec is refused with
//                ILLEGAL_DELIVERY_TIME and a reason naming the key.
//   transaction  commit: received after the commit and not before; rollback: never on the topic,
//                also not after a restart (the op record holds); orphan: an un-ended half is
//                checked over Telemetry after transactionTimeOut and the producer's checker's
//                COMMIT (EndTransaction from the checker) delivers it; a broker restart between
//                the half and the commit (same port: the client reconnects) keeps the half and the
//                commit delivers it; an unknown transaction id, or EndTransaction for a normal
//                message, is INVALID_TRANSACTION_ID; a send to an internal topic is FORBIDDEN.
// Waits are client calls with deadlines or waitUntil on broker state; no sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { Code } from '../../src/broker/status-codes.js';
import { TRANS_HALF_TOPIC } from '../../src/broker/system-topics.js';
import { systemClock } from '../../src/util/clock.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { brokersWithClients, rejectionCode, type BrokerWithClients, type Clients, type InProcessBroker } from './broker-harness.js';

const newDir = tempDirs('mqstore-broker-dtx-');
const COMMIT = 1;
const ROLLBACK = 2;
const UNSPECIFIED = 0;
const TX_KEYS = { transactionTimeOut: 400, transactionCheckInterval: 200, transactionCheckMax: 15 };
const brokers = brokersWithClients();

async function setUp(dir = newDir(), overrides: Record<string, unknown> = {}): Promise<BrokerWithClients> {
  const pair = await brokers.open(dir, { timerCheckpointIntervalMs: 100, ...TX_KEYS, ...overrides });
  pair.broker.broker.topics.put('DelayT', { messageType: 'DELAY', queueNums: 4 });
  pair.broker.broker.topics.put('TxT', { messageType: 'TRANSACTION', queueNums: 4 });
  return pair;
}

const tearDown = (pair: BrokerWithClients): Promise<void> => brokers.close(pair);

afterEach(() => brokers.closeAll());

type Consumer = Awaited<ReturnType<Clients['consumer']>>;
type View = Awaited<ReturnType<Consumer['receive']>>[number];

/** Receive until `want` messages came (each acked), or fail after `rounds` long polls. */
async function receiveAll(consumer: Consumer, want: number, rounds = 20): Promise<View[]> {
  const got: View[] = [];
  for (let i = 0; i < rounds && got.length < want; i++) {
    for (const m of await consumer.receive(16, 15_000)) {
      got.push(m);
      await consumer.ack(m);
    }
  }
  return got;
}

/** Messages stored on a topic's queues (the broker's own view). */
function onTopic(broker: InProcessBroker, topic: string, queues = 4): number {
  let n = 0;
  for (let q = 0; q < queues; q++) n += broker.store.getMaxOffsetInQueue(topic, q);
  return n;
}

/** When the broker stored the copy of `messageId` on `topic` (its queues read directly). */
async function storedAt(broker: InProcessBroker, topic: string, messageId: string, queues = 4): Promise<number[]> {
  const at: number[] = [];
  for (let q = 0; q < queues; q++) {
    const got = await broker.store.getMessage({ group: 'inspect', topic, queueId: q, offset: 0, maxMsgNums: 100 });
    for (const m of got.messages) if (m.properties.UNIQ_KEY === messageId) at.push(m.storeTimestamp);
  }
  return at;
}

describe('delay messages with the official client', () => {
  it('a delay message arrives with its message intact, stored on its topic no earlier than its delivery time', async () => {
    const { broker, clients } = await setUp();
    const producer = await clients.producer(['DelayT']);
    const due = new Date(systemClock.nowMs() + 1500);
    const receipt = await producer.send({ topic: 'DelayT', body: Buffer.from('later'), tag: 'TagD', keys: ['kd'], properties: new Map([['color', 'blue']]), deliveryTimestamp: due });
    expect(onTopic(broker, 'DelayT')).toBe(0);
    const consumer = await clients.consumer('GroupD', { DelayT: '*' }, 1000);
    const [m, ...rest] = await receiveAll(consumer, 1);
    expect(rest).toEqual([]);
    expect(m).toBeDefined();
    expect(m!.messageId).toBe(receipt.messageId);
    expect(m!.body.toString()).toBe('later');
    expect(m!.tag).toBe('TagD');
    expect(m!.keys).toEqual(['kd']);
    expect([...m!.properties.entries()]).toEqual([['color', 'blue']]);
    expect(m!.deliveryTimestamp?.getTime()).toBe(due.getTime());
    const stored = await storedAt(broker, 'DelayT', receipt.messageId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toBeGreaterThanOrEqual(due.getTime());
    expect(broker.broker.stats().delays).toMatchObject({ delivered: 1, pendingInMemory: 0 });
  });

  it('a delay message pending across a broker restart arrives at its time after it', async () => {
    const dir = newDir();
    const first = await setUp(dir);
    const producer = await first.clients.producer(['DelayT']);
    const due = new Date(systemClock.nowMs() + 3000);
    const receipt = await producer.send({ topic: 'DelayT', body: Buffer.from('across'), deliveryTimestamp: due });
    await waitUntil(() => first.broker.broker.stats().delays.pendingInMemory === 1, 'the timer to index the message', 10_000);
    await tearDown(first);
    expect(systemClock.nowMs()).toBeLessThan(due.getTime()); // the restart happened before the due time
    const second = await setUp(dir);
    expect(onTopic(second.broker, 'DelayT')).toBe(0);
    const consumer = await second.clients.consumer('GroupD', { DelayT: '*' }, 1000);
    const got = await receiveAll(consumer, 1);
    expect(got.map((m) => m.messageId)).toEqual([receipt.messageId]);
    expect(got[0]!.body.toString()).toBe('across');
    const stored = await storedAt(second.broker, 'DelayT', receipt.messageId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toBeGreaterThanOrEqual(due.getTime());
    expect(onTopic(second.broker, 'DelayT')).toBe(1);
  });

  it('a delay past timerMaxDelaySec is refused with ILLEGAL_DELIVERY_TIME and the reason', async () => {
    const { broker, clients } = await setUp(newDir(), { timerMaxDelaySec: 5 });
    const producer = await clients.producer(['DelayT']);
    const r = await rejectionCode(producer.send({ topic: 'DelayT', body: Buffer.from('x'), deliveryTimestamp: new Date(systemClock.nowMs() + 60_000) }));
    expect(r.code).toBe(Code.ILLEGAL_DELIVERY_TIME);
    expect(r.message).toContain('timerMaxDelaySec = 5');
    expect(broker.store.getMaxOffsetInQueue('rmq_sys_wheel_timer', 0)).toBe(0);
  });
});

describe('transactional messages with the official client', () => {
  it('commit delivers (not before the commit); rollback never does, also not after a restart', async () => {
    const dir = newDir();
    const first = await setUp(dir, { transactionTimeOut: 60_000 });
    const checked: string[] = [];
    const checker = { check: async (v: View) => (checked.push(v.messageId), UNSPECIFIED) };
    const producer = await first.clients.producer(['TxT'], { checker });
    const consumer = await first.clients.consumer('GroupT', { TxT: '*' }, 500);

    const txc = producer.beginTransaction();
    const kept = await producer.send({ topic: 'TxT', body: Buffer.from('commit me'), properties: new Map([['p', '1']]) }, txc);
    expect(kept.transactionId).toMatch(/^[0-9A-F]+-[0-9A-F]+$/);
    const txr = producer.beginTransaction();
    const dropped = await producer.send({ topic: 'TxT', body: Buffer.from('roll me back') }, txr);
    await waitUntil(() => first.broker.store.getMaxOffsetInQueue(TRANS_HALF_TOPIC, 0) === 2, 'both halves in the half queue', 10_000);
    expect(await consumer.receive(16, 15_000)).toEqual([]); // halves are not visible
    expect(onTopic(first.broker, 'TxT')).toBe(0);

    await txr.rollback();
    await txc.commit();
    const got = await receiveAll(consumer, 1);
    expect(got.map((m) => m.messageId)).toEqual([kept.messageId]);
    expect(got[0]!.body.toString()).toBe('commit me');
    expect(got[0]!.properties.get('p')).toBe('1');
    expect(onTopic(first.broker, 'TxT')).toBe(1);
    expect(first.broker.broker.stats().transactions).toMatchObject({ ready: true, pending: 0 });
    // ending again the same way is OK and appends nothing; the other way is refused
    await producer.endTransaction(kept.endpoints, { topic: 'TxT' } as never, kept.messageId, kept.transactionId, COMMIT);
    const flip = await rejectionCode(producer.endTransaction(dropped.endpoints, { topic: 'TxT' } as never, dropped.messageId, dropped.transactionId, COMMIT));
    expect(flip.code).toBe(Code.INVALID_TRANSACTION_ID);
    expect(flip.message).toContain('already ended with ROLLBACK');
    expect(onTopic(first.broker, 'TxT')).toBe(1);
    await tearDown(first);

    const second = await setUp(dir, { transactionTimeOut: 400 });
    await waitUntil(() => second.broker.broker.stats().transactions.ready, 'the transaction state to be rebuilt', 10_000);
    expect(second.broker.broker.stats().transactions).toMatchObject({ pending: 0, checksSent: 0 });
    expect(onTopic(second.broker, 'TxT')).toBe(1);
    expect(checked).toEqual([]);
  });

  it('an orphan half is checked over Telemetry after transactionTimeOut and the checker resolves it', async () => {
    const { broker, clients } = await setUp();
    const checked: { id: string; topic: string; body: string }[] = [];
    const checker = {
      check: async (v: View) => {
        checked.push({ id: v.messageId, topic: v.topic, body: v.body.toString() });
        return COMMIT;
      },
    };
    const producer = await clients.producer(['TxT'], { checker });
    const tx = producer.beginTransaction();
    const sentAt = systemClock.nowMs();
    const receipt = await producer.send({ topic: 'TxT', body: Buffer.from('orphan') }, tx);
    // never committed by the client: the broker asks its checker
    const consumer = await clients.consumer('GroupO', { TxT: '*' }, 1000);
    const got = await receiveAll(consumer, 1);
    expect(got.map((m) => m.messageId)).toEqual([receipt.messageId]);
    expect(checked).toEqual([{ id: receipt.messageId, topic: 'TxT', body: 'orphan' }]);
    const stored = await storedAt(broker, 'TxT', receipt.messageId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toBeGreaterThanOrEqual(sentAt + TX_KEYS.transactionTimeOut);
    expect(broker.broker.stats().transactions).toMatchObject({ pending: 0, checksSent: 1 });
  });

  it('a restart between the half and the commit keeps the half; the commit after it delivers', async () => {
    const dir = newDir();
    const first = await setUp(dir, { transactionTimeOut: 60_000 });
    const port = first.broker.broker.port;
    await tearDown(first);
    const a = await setUp(dir, { transactionTimeOut: 60_000, grpcServerPort: port });
    const producer = await a.clients.producer(['TxT'], { checker: { check: async () => UNSPECIFIED } });
    const tx = producer.beginTransaction();
    const receipt = await producer.send({ topic: 'TxT', body: Buffer.from('survives') }, tx);
    // the broker goes away with the client still running; the same port comes back
    await brokers.closeBroker(a);
    const b = await setUp(dir, { transactionTimeOut: 60_000, grpcServerPort: port });
    // the producer's channel reconnects to the restarted broker (its Telemetry stream comes back)
    await waitUntil(() => b.broker.broker.stats().telemetryStreams >= 1, 'the producer to reconnect', 20_000);
    await tx.commit();
    const consumer = await b.clients.consumer('GroupR', { TxT: '*' }, 1000);
    const got = await receiveAll(consumer, 1);
    expect(got.map((m) => m.messageId)).toEqual([receipt.messageId]);
    expect(got[0]!.body.toString()).toBe('survives');
    expect(b.broker.broker.stats().transactions).toMatchObject({ pending: 0 });
    await a.clients.closeAll();
  });

  it('an unknown transaction id and EndTransaction for a normal message are INVALID_TRANSACTION_ID', async () => {
    const { broker, clients } = await setUp();
    const producer = await clients.producer(['TopicN', 'TxT'], { checker: { check: async () => UNSPECIFIED } });
    const normal = await producer.send({ topic: 'TopicN', body: Buffer.from('plain') });
    expect(normal.transactionId).toBe('');
    const notTx = await rejectionCode(producer.endTransaction(normal.endpoints, { topic: 'TopicN' } as never, normal.messageId, normal.transactionId, COMMIT));
    expect(notTx.code).toBe(Code.INVALID_TRANSACTION_ID);
    expect(notTx.message).toContain('is the message transactional?');
    const unknown = await rejectionCode(producer.endTransaction(normal.endpoints, { topic: 'TxT' } as never, normal.messageId, 'FFFF-FFFF', COMMIT));
    expect(unknown.code).toBe(Code.INVALID_TRANSACTION_ID);
    expect(unknown.message).toContain('is not pending');
    const tx = producer.beginTransaction();
    const half = await producer.send({ topic: 'TxT', body: Buffer.from('h') }, tx);
    const wrongMessage = await rejectionCode(producer.endTransaction(half.endpoints, { topic: 'TxT' } as never, normal.messageId, half.transactionId, COMMIT));
    expect(wrongMessage.code).toBe(Code.INVALID_TRANSACTION_ID);
    expect(wrongMessage.message).toContain(`belongs to message ${half.messageId}`);
    await tx.rollback();
    expect(onTopic(broker, 'TxT')).toBe(0);
    expect(broker.broker.stats().transactions.pending).toBe(0);
    // the internal topics are not for clients
    const internal = await rejectionCode(producer.send({ topic: TRANS_HALF_TOPIC, body: Buffer.from('x') }));
    expect(internal.code).toBe(Code.FORBIDDEN);
    expect(internal.message).toContain('system topic');
  });
});
