// A real `mqstore node` process serving the official client (rocketmq-client-nodejs, unmodified):
// the ready line names the gRPC port (also in /status); a Producer sends, a SimpleConsumer
// receives and acks some. The consumption state is durable (pop-service.ts): after a clean
// restart nothing acked comes again, a receipt handle from before the restart still acks its
// current delivery, and an in-flight message comes again only after its invisibility, with
// attempt 2 (its old handle then stale). A kill -9 in the middle of consumption (messages in
// flight, the state never closed) loses nothing and redelivers nothing the broker had
// acknowledged (the documented window of a process kill is empty). The node exits 0 on SIGTERM with clients connected.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Code } from '../../src/broker/status-codes.js';
import { getJson, pollUntil, smallNodeProps, startNode, writeProperties, type RunningNode } from '../cli/node-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import type { MessageView } from 'rocketmq-client-nodejs';
import { Clients, rejectionCode } from './broker-harness.js';
import { call, rawClient, stream, type RawClient } from './raw-grpc.js';
import { MessageStore } from '../../src/store/message-store.js';
import { CALM_DISK_USAGE } from '../helpers/store-harness.js';

const newDir = tempDirs('mqstore-broker-proc-');
const nodes: RunningNode[] = [];
const clientSets: Clients[] = [];
const rawClients: RawClient[] = [];

afterEach(async () => {
  for (const c of clientSets.splice(0)) await c.closeAll();
  for (const c of rawClients.splice(0)) c.close();
  for (const n of nodes.splice(0)) if (n.child.exitCode === null) await n.stop('SIGKILL');
});

interface GrpcStatus {
  grpcPort: number;
  grpc: { port: number; telemetryStreams: number; longPolls: number } | null;
}

async function start(configFile: string, extraArgs: string[] = []): Promise<{ node: RunningNode; clients: Clients }> {
  const node = await startNode(configFile, ['--no-ha', ...extraArgs], 60_000);
  nodes.push(node);
  expect(node.ready.grpcPort).toBeGreaterThan(0);
  const clients = new Clients(`127.0.0.1:${node.ready.grpcPort}`);
  clientSets.push(clients);
  return { node, clients };
}

/** Shut the clients down, wait until the broker has ended their Telemetry streams (the client
 * removes its stream listeners at shutdown, so a reset before its stream has finished is an
 * unhandled error in the client), then SIGTERM the node: it must exit 0. */
async function stopAfterClients(n: { node: RunningNode; clients: Clients }): Promise<void> {
  await n.clients.closeAll();
  await pollUntil(async () => (await getJson<GrpcStatus>(n.node.adminAddr, '/status')).grpc?.telemetryStreams === 0, 'the Telemetry streams to end', 20_000);
  expect(await n.node.stop('SIGTERM', 60_000)).toBe(0);
}

function brokerProps(dir: string): string {
  const storeDir = join(dir, 'store');
  mkdirSync(storeDir, { recursive: true });
  return writeProperties(dir, 'broker.properties', smallNodeProps(storeDir, { defaultTopicQueueNums: 1, maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20 }));
}

describe('mqstore node serves the official client', () => {
  it('send, receive, partial ack; after a clean restart nothing acked comes again and handles from before still work', async () => {
    const dir = newDir();
    const file = brokerProps(dir);
    const first = await start(file);
    const status = await getJson<GrpcStatus>(first.node.adminAddr, '/status');
    expect(status.grpcPort).toBe(first.node.ready.grpcPort);
    expect(status.grpc?.port).toBe(first.node.ready.grpcPort);
    const producer = await first.clients.producer(['Orders']);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await producer.send({ topic: 'Orders', body: Buffer.from(`order-${i}`), tag: 'new' })).messageId);
    const consumer = await first.clients.consumer('Billing', { Orders: '*' }, 2_000);
    const got = new Map<string, MessageView>();
    for (let round = 0; round < 10 && got.size < 5; round++) for (const m of await consumer.receive(5, 60_000)) got.set(m.messageId, m);
    expect([...got.keys()].sort()).toEqual([...ids].sort());
    // one queue: offsets 0..4 in send order; ack 0, 1 and 3, leave 2 and 4 in flight
    for (const i of [0, 1, 3]) await consumer.ack(got.get(ids[i]!)!);
    await stopAfterClients(first);

    // same port again, so the first process's receipt handles reach the new process
    const second = await start(file, ['--set', `grpcServerPort=${first.node.ready.grpcPort}`]);
    const again = await second.clients.consumer('Billing', { Orders: '*' }, 2_000);
    await again.ack(got.get(ids[2]!)!); // still its current delivery
    const late = got.get(ids[4]!)!;
    await again.changeInvisibleDuration(late, 1_000); // the old handle works for this too
    const redelivered: MessageView[] = [];
    for (let round = 0; round < 10 && redelivered.length === 0; round++) redelivered.push(...(await again.receive(5, 60_000)));
    expect(redelivered.map((m) => [m.messageId, m.deliveryAttempt])).toEqual([[ids[4], 2]]);
    const stale = await rejectionCode(again.ack(late));
    expect(stale.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(stale.message).toContain('stale');
    await again.ack(redelivered[0]!);
    expect(await again.receive(5, 60_000)).toEqual([]);
    await stopAfterClients(second);
  }, 120_000);

  it('kill -9 in the middle of consumption (acks in flight): nothing lost, nothing the broker acknowledged comes again', async () => {
    const dir = newDir();
    const file = brokerProps(dir);
    const first = await start(file);
    // the first process is driven by a bare grpc client: the official one can leave a stream
    // error unhandled when its connection drops (reference §1.4), which a kill does
    const raw = rawClient(`127.0.0.1:${first.node.ready.grpcPort}`);
    rawClients.push(raw);
    const all = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const id = `0A0B0C${String(i).padStart(4, '0')}`;
      const r = await call(raw, 'SendMessage', { messages: [{ topic: { name: 'Work' }, body: Buffer.from(`job-${i}`), systemProperties: { messageId: id, messageType: 1, bodyEncoding: 1 } }] });
      expect(r.status.code).toBe(Code.OK);
      all.add(id);
    }
    const acked = new Set<string>();
    const deliveredBefore = new Set<string>();
    const inFlightAtKill = new Set<string>();
    const ack = (m: any): Promise<void> =>
      call(raw, 'AckMessage', { group: { name: 'Workers' }, topic: { name: 'Work' }, entries: [{ messageId: m.systemProperties.messageId, receiptHandle: m.systemProperties.receiptHandle }] }).then((r) => {
        if (r.status.code === Code.OK) acked.add(m.systemProperties.messageId);
      });
    let lastAcks: Promise<unknown>[] = [];
    for (let round = 0; round < 20 && deliveredBefore.size < 24; round++) {
      const answers = await stream(raw, 'ReceiveMessage', { group: { name: 'Workers' }, messageQueue: { topic: { name: 'Work' }, id: 0 }, batchSize: 8, invisibleDuration: { seconds: 5 }, longPollingTimeout: { seconds: 1 } });
      const batch = answers.filter((x) => x.message).map((x) => x.message);
      batch.forEach((m) => deliveredBefore.add(m.systemProperties.messageId));
      const acks = batch.filter((_m, i) => i % 4 !== 3).map((m) => ack(m).catch(() => undefined)); // every 4th left in flight
      if (deliveredBefore.size < 24) await Promise.all(acks);
      else {
        lastAcks = acks; // still in flight at the kill
        batch.filter((_m, i) => i % 4 !== 3).forEach((m) => inFlightAtKill.add(m.systemProperties.messageId));
      }
    }
    expect(await first.node.stop('SIGKILL')).toBe(null);
    await Promise.all(lastAcks);
    const ackedBeforeKill = new Set(acked);
    expect(ackedBeforeKill.size).toBeGreaterThan(5);
    expect(deliveredBefore.size).toBeGreaterThan(ackedBeforeKill.size);

    const second = await start(file);
    const again = await second.clients.consumer('Workers', { Work: '*' }, 2_000);
    const after = new Map<string, number | undefined>();
    // an ack in flight at the kill may have been stored without its answer: that message is done
    // or comes again; every other unacknowledged one must come again
    const uncertain = new Set([...inFlightAtKill].filter((id) => !ackedBeforeKill.has(id)));
    const missing = (): string[] => [...all].filter((id) => !ackedBeforeKill.has(id) && !uncertain.has(id) && !after.has(id));
    for (let round = 0; round < 15 && missing().length > 0; round++) {
      for (const m of await again.receive(16, 5_000)) {
        if (!after.has(m.messageId)) after.set(m.messageId, m.deliveryAttempt);
        await again.ack(m);
      }
    }
    expect(missing()).toEqual([]); // nothing lost
    expect([...after.keys()].filter((id) => ackedBeforeKill.has(id))).toEqual([]); // nothing acked comes again
    // what was in flight comes again as its second delivery (the delivery itself was recorded);
    // what was never delivered comes as the first
    for (const [id, attempt] of after) expect(attempt).toBe(deliveredBefore.has(id) ? 2 : 1);
    expect(await again.receive(16, 5_000)).toEqual([]);
    await stopAfterClients(second);
    // and every one of the 30 is done for the group: nothing was dropped on the way
    const store = await MessageStore.open({ configFile: file }, { diskUsage: CALM_DISK_USAGE });
    try {
      expect(store.queryOffset('Workers', 'Work', 0)).toBe(30);
    } finally {
      await store.close();
    }
  }, 120_000);
});
