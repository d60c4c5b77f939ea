// Durable consumption state with the OFFICIAL client (rocketmq-client-nodejs, unmodified), broker
// in this process, restarted on the same store directory and port: acks and deliveries survive a
// restart (no acked message comes again; a handle from before the restart still acks its current
// delivery); a message whose invisibility passes during the restart comes again after it with
// attempt 2, and its old handle is then refused as stale; after the group's max attempts
// (retryMaxTimes 1: two deliveries) a message goes to %DLQ%<group>, readable by a consumer of
// that topic with body, tag, keys and properties intact, plus RocketMQ's DLQ properties;
// a FIFO PushConsumer that fails a message up to its max attempts forwards it with
// ForwardMessageToDeadLetterQueue; the internal topic is refused to producers and consumers.
// Waits are client calls with deadlines or waitUntil on state; no sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { ConsumeResult } from 'rocketmq-client-nodejs';
import { dlqTopicOf } from '../../src/broker/dead-letter.js';
import { POP_STATE_TOPIC } from '../../src/broker/pop-records.js';
import { Code } from '../../src/broker/status-codes.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { brokersWithClients, rejectionCode, type BrokerWithClients } from './broker-harness.js';

const newDir = tempDirs('mqstore-broker-durable-');
const brokers = brokersWithClients();
const setUp = (dir: string, overrides: Record<string, unknown> = {}): Promise<BrokerWithClients> => brokers.open(dir, { defaultTopicQueueNums: 1, ...overrides });
const tearDown = (pair: BrokerWithClients): Promise<void> => brokers.close(pair);

afterEach(() => brokers.closeAll());

describe('durable pop state with the official client', () => {
  it('acks and deliveries survive a restart; a message invisible across it comes again with attempt 2', async () => {
    const dir = newDir();
    const first = await setUp(dir);
    const producer = await first.clients.producer(['Durable']);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await producer.send({ topic: 'Durable', body: Buffer.from(`d${i}`) })).messageId);
    const consumer = await first.clients.consumer('DurableGroup', { Durable: '*' }, 1_000);
    const got = new Map<string, Awaited<ReturnType<typeof consumer.receive>>[number]>();
    for (let round = 0; round < 8 && got.size < 4; round++) {
      for (const m of await consumer.receive(4, got.size === 0 ? 30_000 : 30_000)) got.set(m.messageId, m);
    }
    expect([...got.keys()].sort()).toEqual([...ids].sort());
    await consumer.ack(got.get(ids[0]!)!);
    await consumer.ack(got.get(ids[1]!)!);
    // ids[3] gets a short invisibility; it passes while the broker is down
    const short = got.get(ids[3]!)!;
    await consumer.changeInvisibleDuration(short, 1_000);
    const shortDeadline = Date.now() + 1_000;
    const port = first.broker.broker.port;
    await tearDown(first);
    await waitUntil(() => Date.now() > shortDeadline, 'the short invisibility to pass during the restart', 5_000);

    const second = await setUp(dir, { grpcServerPort: port });
    const again = await second.clients.consumer('DurableGroup', { Durable: '*' }, 3_000);
    // ids[2] is still in flight under its first delivery: the old handle acks it
    await again.ack(got.get(ids[2]!)!);
    const redelivered = await again.receive(4, 30_000);
    expect(redelivered.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[ids[3], 2]]);
    const stale = await rejectionCode(again.ack(short));
    expect(stale.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(stale.message).toContain('stale');
    await again.ack(redelivered[0]!);
    expect(await again.receive(4, 30_000)).toEqual([]); // nothing acked comes again
    expect(second.broker.store.queryOffset('DurableGroup', 'Durable', 0)).toBe(4);
  });

  it('after the max attempts a message goes to %DLQ%<group>, readable there with its properties', async () => {
    const { broker, clients } = await setUp(newDir());
    broker.broker.groups.put('DlqGroup', { retryMaxTimes: 1 });
    const producer = await clients.producer(['DlqTopic']);
    const sent = await producer.send({ topic: 'DlqTopic', body: Buffer.from('poison'), tag: 'Bad', keys: ['order-7'], properties: new Map([['color', 'red']]) });
    const consumer = await clients.consumer('DlqGroup', { DlqTopic: '*' }, 3_000);
    const one = await consumer.receive(1, 1_000);
    expect(one.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[sent.messageId, 1]]);
    const two = await consumer.receive(1, 1_000); // its invisibility passes during this long poll
    expect(two.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[sent.messageId, 2]]);
    expect(await consumer.receive(1, 1_000)).toEqual([]); // the poll passes the deadline: dead-lettered
    const stale = await rejectionCode(consumer.ack(two[0]!));
    expect(stale.code).toBe(Code.INVALID_RECEIPT_HANDLE);

    const dlq = dlqTopicOf('DlqGroup');
    expect(broker.broker.topics.get(dlq)).toMatchObject({ readQueueNums: 1, writeQueueNums: 1, perm: 6 });
    const stored = (await broker.store.getMessage({ group: 'Admin', topic: dlq, queueId: 0, offset: 0, maxMsgNums: 4 })).messages;
    expect(stored).toHaveLength(1);
    expect(stored[0]!.reconsumeTimes).toBe(2);
    expect(stored[0]!.properties).toMatchObject({ DLQ_ORIGIN_TOPIC: 'DlqTopic', DLQ_ORIGIN_MESSAGE_ID: sent.messageId, RETRY_TOPIC: 'DlqTopic', ORIGIN_MESSAGE_ID: sent.messageId });
    const reader = await clients.consumer('DlqReader', { [dlq]: '*' }, 1_000);
    const dead = await reader.receive(4, 10_000);
    expect(dead).toHaveLength(1);
    const m = dead[0]!;
    expect(m.messageId).toBe(sent.messageId);
    expect(m.topic).toBe(dlq);
    expect(m.body.toString()).toBe('poison');
    expect(m.tag).toBe('Bad');
    expect(m.keys).toEqual(['order-7']);
    expect(Object.fromEntries(m.properties)).toEqual({ color: 'red' });
    expect(m.corrupted).toBeFalsy();
    await reader.ack(m);
  });

  it('a FIFO PushConsumer that fails a message up to its max attempts forwards it to the DLQ', async () => {
    const { broker, clients } = await setUp(newDir(), { grpcPushConsumerLongPollingMs: 2_000 });
    broker.broker.topics.put('FifoDlq', { messageType: 'FIFO', queueNums: 1 });
    broker.broker.groups.put('FifoDlqGroup', { consumeMessageOrderly: true, retryMaxTimes: 1 });
    const producer = await clients.producer(['FifoDlq']);
    const bad = await producer.send({ topic: 'FifoDlq', body: Buffer.from('f0'), messageGroup: 'g' });
    const good = await producer.send({ topic: 'FifoDlq', body: Buffer.from('f1'), messageGroup: 'g' });
    const seen: [string, number | undefined][] = [];
    await clients.pushConsumer('FifoDlqGroup', { FifoDlq: '*' }, {
      consume(m) {
        seen.push([m.messageId, m.deliveryAttempt]);
        return m.messageId === bad.messageId ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
      },
    });
    const dlq = dlqTopicOf('FifoDlqGroup');
    await waitUntil(
      () => broker.store.getMaxOffsetInQueue(dlq, 0) === 1 && broker.store.queryOffset('FifoDlqGroup', 'FifoDlq', 0) === 2,
      'the failed message in the DLQ and the next one consumed',
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message} (seen ${JSON.stringify(seen)}; client errors: ${clients.logger.errors.join(' | ')})`);
    });
    expect(seen.filter(([id]) => id === bad.messageId).length).toBe(2);
    expect(seen.map(([id]) => id).indexOf(good.messageId)).toBeGreaterThan(seen.map(([id]) => id).lastIndexOf(bad.messageId)); // in order
    const stored = (await broker.store.getMessage({ group: 'Admin', topic: dlq, queueId: 0, offset: 0, maxMsgNums: 4 })).messages;
    expect(stored.map((m) => [m.properties.UNIQ_KEY, m.properties.DLQ_ORIGIN_TOPIC, m.reconsumeTimes])).toEqual([[bad.messageId, 'FifoDlq', 2]]);
  });

  it('the internal pop-state topic is refused to producers and consumers', async () => {
    const { broker, clients } = await setUp(newDir());
    const producer = await clients.producer();
    const send = await rejectionCode(producer.send({ topic: POP_STATE_TOPIC, body: Buffer.from('x') }));
    expect(send.code).toBe(Code.FORBIDDEN);
    expect(send.message).toContain('internal system topic');
    // the client's startup fails on the refused route (after its 3 route attempts)
    const sub = await rejectionCode(clients.consumer('Snoop', { [POP_STATE_TOPIC]: '*' }, 1_000));
    expect(sub.message).toContain('Failed to fetch topic routes');
    expect(broker.broker.topics.get(POP_STATE_TOPIC)).toBeUndefined();
  });
});
