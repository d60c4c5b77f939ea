// A real `mqstore node` process serving the official client (rocketmq-client-nodejs, unmodified):
// the ready line names the gRPC port (also in /status); a Producer sends, a SimpleConsumer
// receives and acks some; after a clean restart of the node exactly the documented window is
// delivered again (pop-service.ts): the unacked messages and the acked ones above the queue's
// first unacked offset, with attempt 1, and never the acked ones below it; handles from before
// the restart are refused. The node exits 0 on SIGTERM with clients connected.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Code } from '../../src/broker/status-codes.js';
import { getJson, pollUntil, smallNodeProps, startNode, writeProperties, type RunningNode } from '../cli/node-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { Clients, rejectionCode } from './broker-harness.js';

const newDir = tempDirs('mqstore-broker-proc-');
const nodes: RunningNode[] = [];
const clientSets: Clients[] = [];

afterEach(async () => {
  for (const c of clientSets.splice(0)) await c.closeAll();
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

describe('mqstore node serves the official client', () => {
  it('send, receive, partial ack; after a restart exactly the documented window comes again', async () => {
    const dir = newDir();
    const storeDir = join(dir, 'store');
    mkdirSync(storeDir, { recursive: true });
    const file = writeProperties(dir, 'broker.properties', smallNodeProps(storeDir, { defaultTopicQueueNums: 1, maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20 }));
    const first = await start(file);
    const status = await getJson<GrpcStatus>(first.node.adminAddr, '/status');
    expect(status.grpcPort).toBe(first.node.ready.grpcPort);
    expect(status.grpc?.port).toBe(first.node.ready.grpcPort);
    const producer = await first.clients.producer(['Orders']);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await producer.send({ topic: 'Orders', body: Buffer.from(`order-${i}`), tag: 'new' })).messageId);
    const consumer = await first.clients.consumer('Billing', { Orders: '*' }, 2_000);
    const got = new Map<string, Awaited<ReturnType<typeof consumer.receive>>[number]>();
    for (let round = 0; round < 10 && got.size < 5; round++) for (const m of await consumer.receive(5, 60_000)) got.set(m.messageId, m);
    expect([...got.keys()].sort()).toEqual([...ids].sort());
    // one queue: offsets 0..4 in send order; ack 0, 1 and 3, leave 2 and 4 in flight
    for (const i of [0, 1, 3]) await consumer.ack(got.get(ids[i]!)!);
    const staleLater = got.get(ids[2]!)!;
    await stopAfterClients(first);

    // same port again, so the first process's receipt handle reaches the new process
    const second = await start(file, ['--set', `grpcServerPort=${first.node.ready.grpcPort}`]);
    const again = await second.clients.consumer('Billing', { Orders: '*' }, 2_000);
    const redelivered = new Map<string, number | undefined>();
    for (let round = 0; round < 10 && redelivered.size < 3; round++) for (const m of await again.receive(5, 60_000)) redelivered.set(m.messageId, m.deliveryAttempt);
    expect([...redelivered.keys()].sort()).toEqual([ids[2], ids[3], ids[4]].sort());
    expect([...redelivered.values()]).toEqual([1, 1, 1]);
    // a handle from the first process is refused (the message was delivered again)
    const old = await rejectionCode(again.ack(staleLater));
    expect(old.code).toBe(Code.INVALID_RECEIPT_HANDLE);
    expect(old.message).toContain('restart');
    for (const m of [ids[2], ids[3], ids[4]]) expect(m).toBeDefined();
    await stopAfterClients(second);
  });
});
