// Bad requests get the v2 protocol's status codes with a reason, and change nothing: sent with a
// bare grpc-js client (the official client refuses some of these before they leave it).
// Covers SendMessage (oversized / empty body, a system property name, a type the topic does not
// accept, a bad topic name), AckMessage / ChangeInvisibleDuration / ForwardMessageToDeadLetterQueue
// with a malformed handle (and an ack naming no delivery), QueryRoute of an internal topic, ReceiveMessage with an unknown
// group (autoCreateSubscriptionGroup=false), a bad invisible time and an SQL filter, Telemetry
// without a client id, an unimplemented RPC, and a SLAVE answering QueryRoute with the
// redirect code (ILLEGAL_ACCESS_POINT) naming where its master is. Also the routing RPCs'
// answers (queue ids, permission, endpoint, accepted types, assignment -1, heartbeats).
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeReceiptHandle } from '../../src/broker/receipt-handle.js';
import { Code } from '../../src/broker/status-codes.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { openBroker, type InProcessBroker } from './broker-harness.js';
import { call, meta, rawClient, stream, type RawClient } from './raw-grpc.js';

const newDir = tempDirs('mqstore-broker-bad-');
const opened: { broker: InProcessBroker; client: grpc.Client }[] = [];

function clientFor(broker: InProcessBroker): RawClient {
  const client = rawClient(broker.endpoints);
  opened.push({ broker, client });
  return client;
}

function message(overrides: Record<string, unknown> = {}, sys: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    topic: { name: 'T1' },
    body: Buffer.from('x'),
    systemProperties: { messageId: '01ABCDEF', messageType: 1, bodyEncoding: 1, ...sys },
    ...overrides,
  };
}

afterAll(async () => {
  for (const { broker, client } of opened.splice(0)) {
    client.close();
    await broker.close();
  }
});

describe('routing RPCs', () => {
  it('QueryRoute lists the queues with ids 0..n-1 on this endpoint; QueryAssignment, Heartbeat, NotifyClientTermination', async () => {
    const broker = await openBroker(newDir(), { defaultTopicQueueNums: 4, brokerName: 'b-route' });
    const c = clientFor(broker);
    const route = await call(c, 'QueryRoute', { topic: { name: 'R1' }, endpoints: {} });
    expect(route.status.code).toBe(Code.OK);
    expect(route.messageQueues.map((q: any) => q.id)).toEqual([0, 1, 2, 3]);
    for (const q of route.messageQueues) {
      expect(q).toMatchObject({ topic: { name: 'R1' }, permission: 4, acceptMessageTypes: [1], broker: { name: 'b-route', id: 0 } });
      expect(q.broker.endpoints).toEqual({ scheme: 1, addresses: [{ host: '127.0.0.1', port: broker.broker.port }] });
    }
    const assignment = await call(c, 'QueryAssignment', { topic: { name: 'R1' }, group: { name: 'G' }, endpoints: {} });
    expect(assignment.status.code).toBe(Code.OK);
    expect(assignment.assignments.map((a: any) => a.messageQueue.id)).toEqual([-1]);
    expect((await call(c, 'Heartbeat', { clientType: 3, group: { name: 'G' } })).status.code).toBe(Code.OK);
    expect((await call(c, 'Heartbeat', { clientType: 1 })).status.code).toBe(Code.OK);
    expect((await call(c, 'Heartbeat', {})).status.code).toBe(Code.UNRECOGNIZED_CLIENT_TYPE);
    expect((await call(c, 'NotifyClientTermination', { group: { name: 'G' } })).status.code).toBe(Code.OK);
    expect((await call(c, 'QueryRoute', { topic: { name: 'bad topic' }, endpoints: {} })).status.code).toBe(Code.ILLEGAL_TOPIC);
  });
});

describe('protocol refusals', () => {
  it('SendMessage: oversized and empty bodies, system property names, a wrong type, a bad topic; nothing is stored', async () => {
    const broker = await openBroker(newDir(), { maxMessageSize: 4096 });
    const c = clientFor(broker);
    const big = await call(c, 'SendMessage', { messages: [message({ body: Buffer.alloc(4097, 7) })] });
    expect(big.status.code).toBe(Code.MESSAGE_BODY_TOO_LARGE);
    expect(big.entries[0].status.message).toContain('maxMessageSize 4096');
    expect((await call(c, 'SendMessage', { messages: [message({ body: Buffer.alloc(0) })] })).status.code).toBe(Code.MESSAGE_BODY_EMPTY);
    const sysProp = await call(c, 'SendMessage', { messages: [message({ userProperties: { UNIQ_KEY: 'mine' } })] });
    expect(sysProp.status.code).toBe(Code.ILLEGAL_MESSAGE_PROPERTY_KEY);
    const fifo = await call(c, 'SendMessage', { messages: [message({}, { messageType: 2, messageGroup: 'g' })] });
    expect(fifo.status.code).toBe(Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE);
    expect(fifo.status.message).toContain('accepts NORMAL');
    expect((await call(c, 'SendMessage', { messages: [message({ topic: { name: 'bad topic!' } })] })).status.code).toBe(Code.ILLEGAL_TOPIC);
    expect((await call(c, 'SendMessage', { messages: [message({}, { messageId: '' })] })).status.code).toBe(Code.ILLEGAL_MESSAGE_ID);
    for (let q = 0; q < 8; q++) expect(broker.store.getMaxOffsetInQueue('T1', q)).toBe(0);
    // and a good one goes through with the client's message id
    const ok = await call(c, 'SendMessage', { messages: [message()] });
    expect(ok.status.code).toBe(Code.OK);
    expect(ok.entries[0].messageId).toBe('01ABCDEF');
  });

  it('AckMessage with a malformed handle, ReceiveMessage with bad arguments, Telemetry without a client id, an unimplemented RPC', async () => {
    const broker = await openBroker(newDir(), { autoCreateSubscriptionGroup: false });
    broker.broker.groups.put('KnownGroup');
    const c = clientFor(broker);
    const ack = await call(c, 'AckMessage', { group: { name: 'KnownGroup' }, topic: { name: 'T1' }, entries: [{ messageId: 'x', receiptHandle: 'not-a-handle' }] });
    expect(ack.status.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(ack.entries[0].status.message).toContain('malformed');
    // the same for ChangeInvisibleDuration and ForwardMessageToDeadLetterQueue; a well-formed
    // handle that names no delivery is refused too; the pop-state journal is not a client topic
    const change = await call(c, 'ChangeInvisibleDuration', { group: { name: 'KnownGroup' }, topic: { name: 'T1' }, receiptHandle: 'bm90IGEgaGFuZGxl', invisibleDuration: { seconds: 5 } });
    expect(change.status.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(change.status.message).toContain('malformed');
    const forward = await call(c, 'ForwardMessageToDeadLetterQueue', { group: { name: 'KnownGroup' }, topic: { name: 'T1' }, receiptHandle: '', messageId: 'x', deliveryAttempt: 1, maxDeliveryAttempts: 2 });
    expect(forward.status.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    const nowhere = encodeReceiptHandle({ bootId: 1, queueId: 0, queueOffset: 5, popSeq: 1 });
    const unknown = await call(c, 'AckMessage', { group: { name: 'KnownGroup' }, topic: { name: 'T1' }, entries: [{ messageId: 'x', receiptHandle: nowhere }] });
    expect(unknown.status.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(unknown.status.message).toContain('not in flight');
    const internal = await call(c, 'QueryRoute', { topic: { name: 'rmq_sys_POP_STATE' } });
    expect(internal.status.code).toBe(Code.FORBIDDEN);
    expect(internal.status.message).toContain('internal system topic');
    const receive = (group: string, extra: Record<string, unknown> = {}) =>
      stream(c, 'ReceiveMessage', { group: { name: group }, messageQueue: { topic: { name: 'T1' }, id: 0 }, batchSize: 1, invisibleDuration: { seconds: 10 }, longPollingTimeout: { seconds: 0 }, ...extra });
    const unknownGroup = await receive('NoGroup');
    expect(unknownGroup).toHaveLength(1);
    expect(unknownGroup[0].status.code).toBe(Code.CONSUMER_GROUP_NOT_FOUND);
    expect(unknownGroup[0].status.message).toContain('autoCreateSubscriptionGroup');
    expect((await receive('KnownGroup', { invisibleDuration: { nanos: 10_000_000 } }))[0].status.code).toBe(Code.ILLEGAL_INVISIBLE_TIME);
    expect((await receive('KnownGroup', { filterExpression: { type: 2, expression: 'a > 1' } }))[0].status.code).toBe(Code.NOT_IMPLEMENTED);
    expect((await receive('KnownGroup', { batchSize: 0 }))[0].status.code).toBe(Code.BAD_REQUEST);
    const empty = await receive('KnownGroup');
    expect(empty.map((r) => r.status?.code)).toEqual([Code.MESSAGE_NOT_FOUND]);
    const end = await call(c, 'EndTransaction', { topic: { name: 'T1' }, messageId: 'x', transactionId: 'y', resolution: 1, source: 1 });
    expect(end.status.code).toBe(Code.INVALID_TRANSACTION_ID);
    const recall = await call(c, 'RecallMessage', { topic: { name: 'T1' }, recallHandle: 'h' });
    expect(recall.status.code).toBe(Code.NOT_IMPLEMENTED);
    const telemetry = await new Promise<any[]>((resolve, reject) => {
      const out: any[] = [];
      const s = (c as unknown as Record<string, (m: grpc.Metadata) => grpc.ClientDuplexStream<any, any>>).Telemetry!.call(c, meta(''));
      s.on('data', (d: any) => out.push(d));
      s.on('end', () => resolve(out));
      s.on('error', reject);
      s.write({ settings: { clientType: 1 } });
      s.end();
    });
    expect(telemetry[0].status.code).toBe(Code.CLIENT_ID_REQUIRED);
  });

  it('a client that vanishes mid long poll: the broker drops the poll, and a later send is consumed by the next receive', async () => {
    const broker = await openBroker(newDir(), { defaultTopicQueueNums: 1 });
    const c = clientFor(broker);
    const req = { group: { name: 'G' }, messageQueue: { topic: { name: 'T9' }, id: 0 }, batchSize: 1, invisibleDuration: { seconds: 10 }, longPollingTimeout: { seconds: 30 } };
    const s = (c as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<any>>).ReceiveMessage!.call(c, req, meta(), { deadline: Date.now() + 40_000 });
    const ended = new Promise<string>((resolve) => {
      s.on('error', (e: grpc.ServiceError) => resolve(`error ${e.code}`));
      s.on('end', () => resolve('end'));
    });
    s.on('data', () => {});
    await waitUntil(() => broker.broker.stats().longPolls === 1, 'the poll to wait', 10_000);
    s.cancel();
    expect(await ended).toBe(`error ${grpc.status.CANCELLED}`);
    await waitUntil(() => broker.broker.stats().longPolls === 0 && broker.broker.stats().receiving === 0, 'the broker to drop the poll', 10_000);
    // nothing was delivered to the vanished client: the next send goes to the next receive
    const sent = await call(c, 'SendMessage', { messages: [message({ topic: { name: 'T9' } })] });
    expect(sent.status.code).toBe(Code.OK);
    const got = await stream(c, 'ReceiveMessage', { ...req, longPollingTimeout: { seconds: 5 } });
    expect(got[0].status.code).toBe(Code.OK);
    expect(got[1].message.systemProperties.messageId).toBe('01ABCDEF');
    expect(got[1].message.systemProperties.deliveryAttempt).toBe(1);
    expect(got[1].message.systemProperties.bodyDigest).toEqual({ type: 2, checksum: '9DD4E461268C8034F5C8564E155C67A6' });
  });

  it('a SLAVE answers QueryRoute and SendMessage with ILLEGAL_ACCESS_POINT naming its master', async () => {
    const broker = await openBroker(newDir(), { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:1' });
    const c = clientFor(broker);
    const route = await call(c, 'QueryRoute', { topic: { name: 'T1' }, endpoints: {} });
    expect(route.status.code).toBe(Code.ILLEGAL_ACCESS_POINT);
    expect(route.status.message).toContain('127.0.0.1:1');
    expect((await call(c, 'SendMessage', { messages: [message()] })).status.code).toBe(Code.ILLEGAL_ACCESS_POINT);
  });
});
