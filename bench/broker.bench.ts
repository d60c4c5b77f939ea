// Broker suite: end to end with the OFFICIAL client (rocketmq-client-nodejs) on loopback against
// the in-process gRPC broker on an ASYNC_FLUSH store, beside a bare grpc-js unary echo of a
// payload of the same size (the protocol's ceiling on this machine), with the same number of
// calls in flight. Reports send msg/s, p50/p99 latency, receive+ack msg/s, and the ratios
// (targets from issue 11: send >= 0.7 x echo, receive+ack >= 0.7 x send). The bench checks its
// own delivery: every sent message id is received (at least once) before it reports.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Producer, SimpleConsumer } from 'rocketmq-client-nodejs';
import { startBroker } from '../src/broker/broker.js';
import { MessageStore } from '../src/store/message-store.js';

export interface BrokerBenchOptions {
  dir: string;
  timeMs: number;
  inflight: number;
  bodyBytes: number;
  onProgress?: (line: string) => void;
}

interface Rate {
  count: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

const quiet = { info() {}, warn() {}, debug() {}, close() {}, error() {} };
const MAX_LATENCY_SAMPLES = 1_000_000;

async function closedLoop(timeMs: number, inflight: number, op: () => Promise<unknown>): Promise<Rate> {
  const latencies: number[] = [];
  const end = performance.now() + timeMs;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await op();
      if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { count: latencies.length, perSec: latencies.length / elapsed, p50Ms: at(0.5), p99Ms: at(0.99) };
}

async function echoRate(opts: BrokerBenchOptions, payload: Buffer): Promise<Rate> {
  const id = (b: Buffer): Buffer => b;
  const def = { Echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } };
  const server = new grpc.Server();
  server.addService(def as unknown as grpc.ServiceDefinition, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const Ctor = grpc.makeGenericClientConstructor(def as unknown as grpc.ServiceDefinition, 'Echo');
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Echo(b: Buffer, cb: (e: Error | null, r: Buffer) => void): void };
  try {
    const call = (): Promise<Buffer> => new Promise((resolve, reject) => client.Echo(payload, (e, r) => (e ? reject(e) : resolve(r))));
    await closedLoop(Math.min(300, opts.timeMs), opts.inflight, call); // warm-up
    return await closedLoop(opts.timeMs, opts.inflight, call);
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
}

export async function brokerSuite(opts: BrokerBenchOptions): Promise<string> {
  const body = Buffer.alloc(opts.bodyBytes, 0x61);
  // the echo carries the body plus roughly what a SendMessage adds (ids, topic, properties)
  const echo = await echoRate(opts, Buffer.alloc(opts.bodyBytes + 160, 0x62));
  opts.onProgress?.(`echo: ${echo.perSec.toFixed(0)} calls/s`);
  const storeDir = mkdtempSync(join(opts.dir, 'broker-'));
  const store = await MessageStore.open({ storePathRootDir: storeDir, listenPort: 0, flushDiskType: 'ASYNC_FLUSH', mappedFileSizeCommitLog: 64 << 20, logLevel: 'warn' });
  const broker = await startBroker(store);
  const endpoints = `127.0.0.1:${broker.port}`;
  const producer = new Producer({ endpoints, namespace: '', logger: quiet, topics: ['BenchTopic'] } as ConstructorParameters<typeof Producer>[0]);
  const consumer = new SimpleConsumer({ endpoints, namespace: '', logger: quiet, consumerGroup: 'BenchGroup', subscriptions: new Map([['BenchTopic', '*']]), awaitDuration: 1000 } as ConstructorParameters<typeof SimpleConsumer>[0]);
  try {
    await producer.startup();
    await consumer.startup();
    const sent = new Set<string>();
    await closedLoop(Math.min(300, opts.timeMs), opts.inflight, async () => sent.add((await producer.send({ topic: 'BenchTopic', body })).messageId));
    const send = await closedLoop(opts.timeMs, opts.inflight, async () => sent.add((await producer.send({ topic: 'BenchTopic', body })).messageId));
    opts.onProgress?.(`send: ${send.perSec.toFixed(0)} msg/s (${sent.size} sent in all)`);
    const received = new Set<string>();
    const receiveStart = performance.now();
    const deadline = receiveStart + Math.max(30_000, opts.timeMs * 20);
    const receivers = Array.from({ length: Math.max(1, Math.floor(opts.inflight / 8)) }, async () => {
      while (received.size < sent.size && performance.now() < deadline) {
        const batch = await consumer.receive(32, 30_000);
        await Promise.all(batch.map((m) => consumer.ack(m).then(() => received.add(m.messageId))));
      }
    });
    await Promise.all(receivers);
    const receiveSec = (performance.now() - receiveStart) / 1000;
    const missing = [...sent].filter((id) => !received.has(id)).length;
    if (missing > 0) throw new Error(`broker bench: ${missing} of ${sent.size} sent messages were not received before the deadline`);
    const receivePerSec = received.size / receiveSec;
    const lines = [
      `### broker: official client on loopback, ${opts.bodyBytes} B bodies, ${opts.inflight} in flight, ASYNC_FLUSH`,
      '',
      '| what | count | per s | p50 ms | p99 ms | ratio |',
      '|---|---|---|---|---|---|',
      `| grpc-js unary echo (${opts.bodyBytes + 160} B) | ${echo.count} | ${echo.perSec.toFixed(0)} | ${echo.p50Ms.toFixed(2)} | ${echo.p99Ms.toFixed(2)} | 1.00 (ceiling) |`,
      `| Producer.send | ${send.count} | ${send.perSec.toFixed(0)} | ${send.p50Ms.toFixed(2)} | ${send.p99Ms.toFixed(2)} | ${(send.perSec / echo.perSec).toFixed(2)} x echo (target 0.70) |`,
      `| SimpleConsumer receive(32)+ack, ${Math.max(1, Math.floor(opts.inflight / 8))} loops | ${received.size} | ${receivePerSec.toFixed(0)} | | | ${(receivePerSec / send.perSec).toFixed(2)} x send (target 0.70) |`,
      '',
      `Every one of the ${sent.size} sent messages was received and acked (at-least-once check).`,
    ];
    return lines.join('\n');
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
    await broker.close();
    await store.close();
    rmSync(storeDir, { recursive: true, force: true });
  }
}
