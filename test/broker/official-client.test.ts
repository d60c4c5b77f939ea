// The broker against the OFFICIAL RocketMQ 5 Node client (rocketmq-client-nodejs, pinned,
// unmodified), in this process on loopback: Producer send receipts; SimpleConsumer receive/ack
// with body, tag, keys and user properties intact; a long poll on an empty topic woken by a send
// (well before its await duration); invisibility expiry and redelivery with the attempt count,
// the first receipt handle then refused as stale; ChangeInvisibleDuration; a tag filter; an
// unknown topic with autoCreateTopicEnable=false; an oversized body (refused by the client from
// the max_body_size the broker advertised); FIFO: per message group in send order, and one
// batch in flight per group across two consumers of the group. The metadata files are RocketMQ's
// shapes.
// Every wait is a client call with its own deadline or waitUntil on broker state; no sleeps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Code } from '../../src/broker/status-codes.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { Clients, openBroker, rejectionCode, type InProcessBroker } from './broker-harness.js';

const newDir = tempDirs('mqstore-broker-');
let open: { broker: InProcessBroker; clients: Clients }[] = [];

async function setUp(overrides: Record<string, unknown> = {}): Promise<{ broker: InProcessBroker; clients: Clients }> {
  const broker = await openBroker(newDir(), overrides);
  const clients = new Clients(broker.endpoints);
  const pair = { broker, clients };
  open.push(pair);
  return pair;
}

afterEach(async () => {
  for (const { broker, clients } of open.splice(0)) {
    await clients.closeAll();
    await broker.close();
  }
});

describe('broker with the official client', () => {
  it('send receipts; receive and ack with body, tag, keys and properties intact; metadata files in RocketMQ shape', async () => {
    const { broker, clients } = await setUp();
    const producer = await clients.producer(['TopicA']);
    const sent = new Map<string, { body: string; tag: string; keys: string[]; color: string }>();
    for (let i = 0; i < 5; i++) {
      const m = { body: `body-${i}-ü`, tag: `Tag${i % 2}`, keys: [`key-${i}`, `k${i}b`], color: `c${i}` };
      const receipt = await producer.send({ topic: 'TopicA', body: Buffer.from(m.body), tag: m.tag, keys: m.keys, properties: new Map([['color', m.color]]) });
      expect(receipt.messageId).toMatch(/^[0-9A-F]+$/);
      expect(receipt.offset).toBeGreaterThanOrEqual(0);
      sent.set(receipt.messageId, m);
    }
    expect(sent.size).toBe(5);
    const consumer = await clients.consumer('GroupA', { TopicA: '*' }, 1000);
    const got = new Map<string, Awaited<ReturnType<typeof consumer.receive>>[number]>();
    for (let round = 0; round < 10 && got.size < 5; round++) for (const m of await consumer.receive(16, 15_000)) got.set(m.messageId, m);
    expect([...got.keys()].sort()).toEqual([...sent.keys()].sort());
    for (const [id, m] of got) {
      const want = sent.get(id)!;
      expect(m.body.toString()).toBe(want.body);
      expect(m.tag).toBe(want.tag);
      expect(m.keys).toEqual(want.keys);
      expect(m.properties.get('color')).toBe(want.color);
      expect([...m.properties.keys()]).toEqual(['color']);
      expect(m.deliveryAttempt).toBe(1);
      expect(m.corrupted).toBeFalsy();
      expect(m.topic).toBe('TopicA');
      await consumer.ack(m);
    }
    expect(await consumer.receive(16, 15_000)).toEqual([]);
    const root = broker.store.config.storePathRootDir;
    const topics = JSON.parse(readFileSync(join(root, 'config', 'topics.json'), 'utf8'));
    expect(topics.topicConfigTable.TopicA).toMatchObject({ topicName: 'TopicA', readQueueNums: 8, writeQueueNums: 8, perm: 6, attributes: { 'message.type': 'NORMAL' } });
    expect(topics.dataVersion.counter).toBeGreaterThan(0);
    const groups = JSON.parse(readFileSync(join(root, 'config', 'subscriptionGroup.json'), 'utf8'));
    expect(groups.subscriptionGroupTable.GroupA).toMatchObject({ groupName: 'GroupA', consumeEnable: true, retryMaxTimes: 16 });
    // every ack advanced the committed offsets: the 5 messages are consumed on the 8 queues
    let committed = 0;
    for (let q = 0; q < 8; q++) committed += Math.max(0, broker.store.queryOffset('GroupA', 'TopicA', q));
    expect(committed).toBe(5);
  });

  it('a long poll on an empty topic is woken by a send, well before its await duration', async () => {
    const { broker, clients } = await setUp();
    const producer = await clients.producer(['TopicB']);
    const consumer = await clients.consumer('GroupB', { TopicB: '*' }, 20_000);
    const pending = consumer.receive(4, 15_000);
    await waitUntil(() => broker.broker.stats().longPolls >= 1, 'the receive to wait in a long poll', 10_000);
    const sentAt = performance.now();
    const receipt = await producer.send({ topic: 'TopicB', body: Buffer.from('wake up') });
    const got = await pending;
    const waitedMs = performance.now() - sentAt;
    expect(got.map((m) => m.messageId)).toEqual([receipt.messageId]);
    expect(waitedMs).toBeLessThan(5_000); // the poll had ~20 s left
    await consumer.ack(got[0]!);
  });

  it('invisibility expiry redelivers with attempt 2; the first handle is then stale; ChangeInvisibleDuration renews', async () => {
    const { clients } = await setUp({ defaultTopicQueueNums: 1 });
    const producer = await clients.producer(['TopicC']);
    const consumer = await clients.consumer('GroupC', { TopicC: '*' }, 5_000);
    const receipt = await producer.send({ topic: 'TopicC', body: Buffer.from('again') });
    const [first] = await consumer.receive(1, 1_000);
    expect(first?.messageId).toBe(receipt.messageId);
    expect(first?.deliveryAttempt).toBe(1);
    const firstHandle = first!.receiptHandle;
    // not acked: the long poll is woken at the invisibility deadline and redelivers
    const [second] = await consumer.receive(1, 1_000);
    expect(second?.messageId).toBe(receipt.messageId);
    expect(second?.deliveryAttempt).toBe(2);
    expect(second!.receiptHandle).not.toBe(firstHandle);
    const stale = await rejectionCode(consumer.ack(first!));
    expect(stale.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(stale.message).toContain('stale');
    // ChangeInvisibleDuration: the client takes the new handle; the old one is stale after it
    const oldHandle = second!.receiptHandle;
    await consumer.changeInvisibleDuration(second!, 30_000);
    expect(second!.receiptHandle).not.toBe(oldHandle);
    expect(await consumer.receive(1, 1_000)).toEqual([]); // still invisible (the 1 s one would have expired)
    await consumer.ack(second!);
    expect(await consumer.receive(1, 1_000)).toEqual([]);
  });

  it('a tag filter delivers only the matching tags', async () => {
    const { clients } = await setUp({ defaultTopicQueueNums: 2 });
    const producer = await clients.producer(['TopicD']);
    const want = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await producer.send({ topic: 'TopicD', body: Buffer.from(`m${i}`), tag: i % 3 === 0 ? 'Keep' : 'Drop' });
      if (i % 3 === 0) want.add(r.messageId);
    }
    const consumer = await clients.consumer('GroupD', { TopicD: 'Keep || Other' }, 1_000);
    const got: string[] = [];
    for (let round = 0; round < 6 && got.length < want.size; round++) {
      for (const m of await consumer.receive(16, 15_000)) {
        expect(m.tag).toBe('Keep');
        got.push(m.messageId);
        await consumer.ack(m);
      }
    }
    expect(got.sort()).toEqual([...want].sort());
    expect(await consumer.receive(16, 15_000)).toEqual([]);
  });

  it('autoCreateTopicEnable=false: an unknown topic is TOPIC_NOT_FOUND, naming the key', async () => {
    const { clients } = await setUp({ autoCreateTopicEnable: false });
    const producer = await clients.producer();
    const r = await rejectionCode(producer.send({ topic: 'NoSuchTopic', body: Buffer.from('x') }));
    expect(r.code).toBe(Code.TOPIC_NOT_FOUND);
    expect(r.message).toContain('autoCreateTopicEnable');
  });

  it('an oversized body is refused by the client from the max_body_size the broker advertised', async () => {
    const { clients } = await setUp({ maxMessageSize: 8192 });
    const producer = await clients.producer(['TopicE']);
    await expect(producer.send({ topic: 'TopicE', body: Buffer.alloc(8193, 1) })).rejects.toThrow(/max size=8192/);
    const ok = await producer.send({ topic: 'TopicE', body: Buffer.alloc(8192, 1) });
    expect(ok.messageId).not.toBe('');
  });

  it('FIFO: each message group in send order, never in flight at two consumers at once', async () => {
    const { broker, clients } = await setUp();
    broker.broker.topics.put('FifoTopic', { messageType: 'FIFO', queueNums: 4 });
    broker.broker.groups.put('FifoGroup', { consumeMessageOrderly: true });
    const producer = await clients.producer(['FifoTopic']);
    const groups = ['order-a', 'order-b', 'order-c', 'order-d', 'order-e'];
    for (let i = 0; i < 4; i++) for (const g of groups) await producer.send({ topic: 'FifoTopic', body: Buffer.from(`${g}#${i}`), messageGroup: g });
    const c1 = await clients.consumer('FifoGroup', { FifoTopic: '*' }, 1_000);
    const c2 = await clients.consumer('FifoGroup', { FifoTopic: '*' }, 1_000);
    const seen = new Map<string, number[]>(groups.map((g) => [g, []]));
    const record = (batch: Awaited<ReturnType<typeof c1.receive>>): Set<string> => {
      const inBatch = new Set<string>();
      for (const m of batch) {
        const [g, i] = m.body.toString().split('#');
        expect(m.messageGroup).toBe(g);
        seen.get(g!)!.push(Number(i));
        inBatch.add(g!);
      }
      return inBatch;
    };
    for (let round = 0; round < 30 && [...seen.values()].reduce((n, v) => n + v.length, 0) < 20; round++) {
      const b1 = await c1.receive(2, 15_000);
      const b2 = await c2.receive(2, 15_000); // while b1 is in flight
      const g1 = record(b1);
      const g2 = record(b2);
      expect([...g1].filter((g) => g2.has(g))).toEqual([]);
      for (const m of [...b1]) await c1.ack(m);
      for (const m of [...b2]) await c2.ack(m);
    }
    for (const g of groups) expect(seen.get(g)).toEqual([0, 1, 2, 3]);
  });

  it('FIFO: while a group has a message in flight, no other consumer gets its next one', async () => {
    const { broker, clients } = await setUp();
    broker.broker.topics.put('FifoOne', { messageType: 'FIFO', queueNums: 1 });
    broker.broker.groups.put('FifoOneGroup', { consumeMessageOrderly: true });
    const producer = await clients.producer(['FifoOne']);
    for (let i = 0; i < 3; i++) await producer.send({ topic: 'FifoOne', body: Buffer.from(`g#${i}`), messageGroup: 'g' });
    const c1 = await clients.consumer('FifoOneGroup', { FifoOne: '*' }, 1_000);
    const c2 = await clients.consumer('FifoOneGroup', { FifoOne: '*' }, 1_000);
    const [first] = await c1.receive(1, 15_000);
    expect(first?.body.toString()).toBe('g#0');
    expect(await c2.receive(1, 15_000)).toEqual([]);
    await c1.ack(first!);
    const [second] = await c2.receive(1, 15_000);
    expect(second?.body.toString()).toBe('g#1');
    await c2.ack(second!);
  });
});
