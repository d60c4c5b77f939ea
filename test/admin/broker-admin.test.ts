// `mqstore admin topicList | updateTopic | consumerProgress | clusterList` and the broker's
// Prometheus series against a real `mqstore node` process with an admin token: reads need no
// token, updateTopic does (401 without: exit 2); bad values are refused naming the option and
// change nothing (config/topics.json unchanged); consumerProgress shows the offsets, lag and
// in-flight counts a Producer and a SimpleConsumer (the official client) leave behind; /metrics
// counts the same sends, deliveries and acks.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, http, pollUntil, runCli, smallNodeProps, startNode, writeProperties, type RunningNode } from '../cli/node-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { Clients } from '../broker/broker-harness.js';

const newDir = tempDirs('mqstore-broker-admin-');
const TOKEN = 'b'.repeat(40);

/** The value of one series line `name{labels} value`, or null. */
function series(text: string, name: string, labels: Record<string, string>): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return null;
}

describe('broker admin commands against a running node', () => {
  let node: RunningNode;
  let clients: Clients;
  let storeDir: string;
  let tokenFile: string;

  beforeAll(async () => {
    const dir = newDir();
    storeDir = join(dir, 'store');
    tokenFile = join(dir, 'admin.token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const props = smallNodeProps(storeDir, { defaultTopicQueueNums: 2, maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20, adminTokenFile: tokenFile, brokerName: 'broker-q' });
    node = await startNode(writeProperties(dir, 'node.properties', props), ['--no-ha'], 60_000);
    clients = new Clients(`127.0.0.1:${node.ready.grpcPort}`);
  }, 90_000);

  afterAll(async () => {
    await clients?.closeAll();
    if (node) {
      await pollUntil(async () => (await getJson<{ grpc: { telemetryStreams: number } | null }>(node.adminAddr, '/status')).grpc?.telemetryStreams === 0, 'Telemetry streams to end');
      if (node.child.exitCode === null) expect(await node.stop('SIGTERM', 60_000)).toBe(0);
    }
  });

  it('updateTopic needs the token, refuses bad values naming the option, and creates a topic topicList shows', async () => {
    const noToken = await runCli(['admin', 'updateTopic', '--addr', node.adminAddr, '-t', 'Orders', '-r', '4', '-w', '4']);
    expect(noToken.code, noToken.stderr).toBe(2);
    expect(noToken.stderr).toMatch(/401/);
    const topicsFile = join(storeDir, 'config', 'topics.json');
    const before = readTextOrNull(topicsFile);
    const tooMany = await runCli(['admin', 'updateTopic', '--addr', node.adminAddr, '--token-file', tokenFile, '-t', 'Orders', '-r', '100000']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/readQueueNums \(-r\) must be an integer in \[1, \d+\]/);
    const badType = await runCli(['admin', 'updateTopic', '--addr', node.adminAddr, '--token-file', tokenFile, '-t', 'Orders', '-a', 'LIFO']);
    expect(badType.code).toBe(2);
    expect(badType.stderr).toMatch(/-a \(message type\) must be one of NORMAL, FIFO, DELAY, TRANSACTION/);
    expect(readTextOrNull(topicsFile)).toBe(before); // refused: nothing written
    const ok = await runCli(['admin', 'updateTopic', '--addr', node.adminAddr, '--token-file', tokenFile, '-t', 'Orders', '-r', '4', '-w', '4', '-a', '+message.type=FIFO']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^create topic success\./);
    const stored = JSON.parse(readFileSync(topicsFile, 'utf8')) as { topicConfigTable: Record<string, { readQueueNums: number; writeQueueNums: number; attributes: Record<string, string>; order: boolean }> };
    expect(stored.topicConfigTable.Orders).toMatchObject({ readQueueNums: 4, writeQueueNums: 4, order: true, attributes: { 'message.type': 'FIFO' } });
    // an update keeps what is not given
    const again = await runCli(['admin', 'updateTopic', '--addr', node.adminAddr, '--token-file', tokenFile, '-t', 'Orders', '-w', '2', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, topic: { readQueueNums: 4, writeQueueNums: 2, messageType: 'FIFO' } });
    const list = await runCli(['admin', 'topicList', '--addr', node.adminAddr]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^#Topic +#ReadQueues +#WriteQueues +#Perm +#MessageType$/);
    expect(list.stdout).toMatch(/^Orders +4 +2 +6 RW- +FIFO$/m);
  }, 240_000); // six CLI processes: slow on a loaded machine

  it('consumerProgress and /metrics after sends, deliveries and acks of the official client', async () => {
    const producer = await clients.producer(['Payments']);
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'Payments', body: Buffer.from(`payment-${i}`) });
    const consumer = await clients.consumer('Ledger', { Payments: '*' }, 2_000);
    const got: Awaited<ReturnType<typeof consumer.receive>> = [];
    for (let round = 0; round < 20 && got.length < 10; round++) got.push(...(await consumer.receive(10, 30_000)));
    expect(got.length).toBe(10);
    // ack the first 3 of every queue's deliveries (by queue offset): committed moves to 3 per queue
    const acked = got.filter((m) => (m.offset ?? Infinity) < 3);
    for (const m of acked) await consumer.ack(m);

    const r = await runCli(['admin', 'consumerProgress', '--addr', node.adminAddr, '-g', 'Ledger']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^#Topic +#Broker Name +#QID +#Broker Offset +#Consumer Offset +#Diff +#Inflight +#LastTime$/);
    const rows = lines.filter((l) => l.startsWith('Payments '));
    expect(rows.length).toBe(2); // defaultTopicQueueNums=2
    let sent = 0;
    let committed = 0;
    for (const row of rows) {
      const [, broker, qid, brokerOffset, consumerOffset, diff, inflight] = row.split(/ {2,}/);
      expect(broker).toBe('broker-q');
      expect(['0', '1']).toContain(qid);
      // the message views carry no queue id: per queue, 3 are acked (or all when fewer)
      const sentHere = Number(brokerOffset);
      sent += sentHere;
      committed += Number(consumerOffset);
      expect(Number(consumerOffset)).toBe(Math.min(3, sentHere));
      expect(Number(diff)).toBe(sentHere - Math.min(3, sentHere));
      expect(Number(inflight)).toBe(sentHere - Math.min(3, sentHere));
      if (sentHere > 0) expect(row).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/); // the last consumed message's store time
    }
    expect(sent).toBe(10);
    expect(committed).toBe(acked.length);
    expect(r.stdout).toMatch(new RegExp(`^Consume Diff Total: ${10 - acked.length}$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^Consume Inflight Total: ${10 - acked.length}$`, 'm'));

    const all = await runCli(['admin', 'consumerProgress', '--addr', node.adminAddr]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^Ledger +Payments +${10 - acked.length} +${10 - acked.length}$`, 'm'));
    const unknown = await http(node.adminAddr, 'GET', '/broker/consumerProgress?group=Nobody');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'ERR_ADMIN_NOT_FOUND' } });

    const metrics = (await http(node.adminAddr, 'GET', '/metrics')).body;
    expect(series(metrics, 'rocketmq_messages_in_total', { topic: 'Payments', message_type: 'NORMAL' })).toBe(10);
    expect(series(metrics, 'rocketmq_throughput_in_total', { topic: 'Payments' })).toBe(got.reduce((n, m) => n + m.body.length, 0));
    expect(series(metrics, 'rocketmq_messages_out_total', { topic: 'Payments', consumer_group: 'Ledger' })).toBe(10);
    expect(series(metrics, 'mqstore_broker_acks_total', { topic: 'Payments', consumer_group: 'Ledger' })).toBe(acked.length);
    expect(series(metrics, 'rocketmq_group_diff', { group: 'Ledger', topic: 'Payments' })).toBe(10 - acked.length);
    expect(series(metrics, 'mqstore_group_inflight', { group: 'Ledger', topic: 'Payments' })).toBe(10 - acked.length);
    expect(series(metrics, 'rocketmq_consumer_offset', { group: 'Ledger', topic: 'Payments' })).toBe(acked.length);
    expect(series(metrics, 'rocketmq_producer_offset', { topic: 'Payments' })).toBe(10);
    expect(metrics).toMatch(/^# TYPE rocketmq_messages_in_total counter$/m);
  }, 120_000);

  it('clusterList prints this node (no HA: a group of one)', async () => {
    const r = await runCli(['admin', 'clusterList', '--addr', node.adminAddr]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^#Cluster Name +#Broker Name +#BID +#Addr +#Role +#Version +#InTPS$/);
    expect(r.stdout).toMatch(/^TestCluster +broker-q +0 +127\.0\.0\.1:\d+ \* +ASYNC_MASTER +mqstore \S+ +\d+\.\d\d$/m);
    expect(r.stdout).toMatch(/\(master\/slave; \* = the node asked\)/);
  }, 60_000);
});

function readTextOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
