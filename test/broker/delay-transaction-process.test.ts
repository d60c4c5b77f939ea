// Delay and transactional messages in a real `mqstore node` process killed with SIGKILL, with the
// OFFICIAL client (rocketmq-client-nodejs, unmodified). The topics' types come from a
// config/topics.json written beforehand in RocketMQ's shape. Before the kill: three delay
// messages due soon (received), three due later (still pending), and one transaction half
// whose producer's checker never answers. After the restart: the three later ones arrive,
// stored no earlier than their time; the half is checked with a different producer (a new
// client publishing the topic), whose checker commits it; every message arrives, and only the
// ones delivered before the kill may come twice (the timer's at-least-once window).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/util/clock.js';
import { getJson, pollUntil, smallNodeProps, startNode, writeProperties, type RunningNode } from '../cli/node-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { Clients } from './broker-harness.js';

const newDir = tempDirs('mqstore-broker-dtx-proc-');
const nodes: RunningNode[] = [];
const clientSets: Clients[] = [];
const COMMIT = 1;
const UNSPECIFIED = 0;

afterEach(async () => {
  for (const c of clientSets.splice(0)) await c.closeAll();
  for (const n of nodes.splice(0)) if (n.child.exitCode === null) await n.stop('SIGKILL');
});

function topicRow(name: string, type: string): Record<string, unknown> {
  return { topicName: name, readQueueNums: 2, writeQueueNums: 2, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false, attributes: { 'message.type': type } };
}

async function start(configFile: string): Promise<{ node: RunningNode; clients: Clients }> {
  const node = await startNode(configFile, ['--no-ha'], 60_000);
  nodes.push(node);
  const clients = new Clients(`127.0.0.1:${node.ready.grpcPort}`);
  clientSets.push(clients);
  return { node, clients };
}

describe('mqstore node: delay and transactional messages across kill -9', () => {
  it('pending delays and an un-ended half survive SIGKILL; the half is resolved by another producer', async () => {
    const dir = newDir();
    const storeDir = join(dir, 'store');
    mkdirSync(join(storeDir, 'config'), { recursive: true });
    writeFileSync(
      join(storeDir, 'config', 'topics.json'),
      JSON.stringify({ dataVersion: { counter: 1, stateVersion: 0, timestamp: 0 }, topicConfigTable: { DelayT: topicRow('DelayT', 'DELAY'), TxT: topicRow('TxT', 'TRANSACTION') } }),
    );
    const file = writeProperties(
      dir,
      'broker.properties',
      smallNodeProps(storeDir, { maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20, timerCheckpointIntervalMs: 200, transactionTimeOut: 1000, transactionCheckInterval: 300 }),
    );
    const first = await start(file);
    const producer = await first.clients.producer(['DelayT', 'TxT'], { checker: { check: async () => UNSPECIFIED } });
    const soon = new Date(systemClock.nowMs() + 1000);
    const later = new Date(systemClock.nowMs() + 5000);
    const soonIds: string[] = [];
    const laterIds: string[] = [];
    for (let i = 0; i < 3; i++) soonIds.push((await producer.send({ topic: 'DelayT', body: Buffer.from(`soon-${i}`), deliveryTimestamp: soon })).messageId);
    for (let i = 0; i < 3; i++) laterIds.push((await producer.send({ topic: 'DelayT', body: Buffer.from(`later-${i}`), deliveryTimestamp: later })).messageId);
    const tx = producer.beginTransaction();
    const txId = (await producer.send({ topic: 'TxT', body: Buffer.from('half') }, tx)).messageId;
    const consumer = await first.clients.consumer('G1', { DelayT: '*' }, 1000);
    const early = new Set<string>();
    for (let round = 0; round < 20 && early.size < 3; round++) {
      for (const m of await consumer.receive(16, 15_000)) {
        early.add(m.messageId);
        await consumer.ack(m);
      }
    }
    expect([...early].sort()).toEqual([...soonIds].sort());
    // clients leave cleanly, then the node dies without any shutdown
    await first.clients.closeAll();
    await pollUntil(async () => (await getJson<{ grpc: { telemetryStreams: number } | null }>(first.node.adminAddr, '/status')).grpc?.telemetryStreams === 0, 'the Telemetry streams to end', 20_000);
    expect(systemClock.nowMs()).toBeLessThan(later.getTime()); // the later ones were still pending at the kill
    await first.node.stop('SIGKILL');

    const second = await start(file);
    const committed: string[] = [];
    await second.clients.producer(['TxT'], { checker: { check: async (v: { messageId: string }) => (committed.push(v.messageId), COMMIT) } });
    const after = await second.clients.consumer('G2', { DelayT: '*', TxT: '*' }, 1000);
    const seen = new Map<string, number>();
    const want = new Set([...soonIds, ...laterIds, txId]);
    for (let round = 0; round < 40 && [...want].some((id) => !seen.has(id)); round++) {
      for (const m of await after.receive(16, 15_000)) {
        seen.set(m.messageId, (seen.get(m.messageId) ?? 0) + 1);
        if (laterIds.includes(m.messageId)) expect(m.deliveryTimestamp?.getTime()).toBe(later.getTime());
        await after.ack(m);
      }
    }
    expect([...seen.keys()].sort()).toEqual([...want].sort());
    for (const id of [...laterIds, txId]) expect(seen.get(id)).toBe(1);
    for (const id of soonIds) expect(seen.get(id)).toBeLessThanOrEqual(2);
    expect(committed).toEqual([txId]);
    const status = await getJson<{ grpc: { delays: { pendingInMemory: number }; transactions: { pending: number } } | null }>(second.node.adminAddr, '/status');
    expect(status.grpc?.delays.pendingInMemory).toBe(0);
    expect(status.grpc?.transactions.pending).toBe(0);
    await second.clients.closeAll();
    await pollUntil(async () => (await getJson<{ grpc: { telemetryStreams: number } | null }>(second.node.adminAddr, '/status')).grpc?.telemetryStreams === 0, 'the Telemetry streams to end', 20_000);
    expect(await second.node.stop('SIGTERM', 60_000)).toBe(0);
  }, 90_000); // two broker processes and an official client: ~13 s alone, more beside the whole suite
});
