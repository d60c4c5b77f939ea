// Broker suite (issue 11 "Benchmark"): end to end with the OFFICIAL client
// (rocketmq-client-nodejs) on loopback, 1 KiB bodies, against the in-process gRPC broker in
// three modes (ASYNC_FLUSH, SYNC_FLUSH, ASYNC_FLUSH + SYNC_MASTER with a slave: broker/
// broker-targets.ts), beside a bare grpc-js unary echo of a payload the size of a SendMessage
// (the protocol's ceiling here) and, where redis-server is installed, Redis Streams through
// ioredis (AOF everysec and always) as context, all in the same run. Several Producers share
// the sends in flight. Reports send msg/s, p50/p99, receive+ack msg/s, the ratios (targets:
// send >= 0.7 x echo, receive+ack >= 0.7 x send) and the machine's load average (the cores may
// be shared). Every case checks its own delivery (client-case.ts, redis-streams.ts): nothing
// lost, bodies intact, duplicates only as announced redeliveries. Last, the broker's own send
// stages without the network (send-stages.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { BROKER_MODES, startTarget, type BrokerMode } from './broker/broker-targets.js';
import { measureClientCase } from './broker/client-case.js';
import { echoRate } from './broker/grpc-echo.js';
import { sendStages, sendStagesTable } from './broker/send-stages.js';
import { separateProcessCase } from './broker/separate-process.js';
import { measureRedisCase, REDIS_FSYNC_MODES, redisUnavailable, redisVersion } from './broker/redis-streams.js';
import { median, type Rate } from './lib/closed-loop.js';

export interface BrokerBenchOptions {
  dir: string;
  timeMs: number;
  inflight: number;
  bodyBytes: number;
  /** Producers sharing the sends in flight (default 4). */
  producers?: number;
  /** SimpleConsumer receive loops (default inflight / 8). */
  receivers?: number;
  /** Which broker modes (default all). */
  modes?: readonly BrokerMode[];
  /** Send phase parts per broker case, each right after a bare echo of the same length (default 3). */
  rounds?: number;
  /** The ASYNC_FLUSH broker and the echo server each in its own process too (default true). */
  separateProcess?: boolean;
  /** Redis Streams context rows (default true; skipped with the reason when not installed). */
  redis?: boolean;
  onProgress?: (line: string) => void;
}

interface Row {
  what: string;
  send: Rate;
  receiveAck: Rate | null;
  /** The bare echo measured next to this case (its ratio's base: the load drifts). */
  echo: Rate;
  /** send / echo per round (broker cases), else one value. */
  ratios: number[];
  note: string;
}

const f0 = (n: number): string => n.toFixed(0);
const f2 = (n: number): string => n.toFixed(2);
const ratioText = (ratios: number[]): string => (ratios.length > 1 ? `${f2(median(ratios))} (${f2(Math.min(...ratios))}-${f2(Math.max(...ratios))})` : f2(ratios[0] ?? 0));

export async function brokerSuite(opts: BrokerBenchOptions): Promise<string> {
  const producers = opts.producers ?? 4;
  const receivers = opts.receivers ?? Math.max(1, Math.floor(opts.inflight / 8));
  const loadBefore = loadavg()[0]!;
  const payload = Buffer.alloc(opts.bodyBytes + 160, 0x62);
  const bareEcho = (): Promise<Rate> => echoRate(opts.timeMs, opts.inflight, payload);
  const echo = await bareEcho();
  const shaped = await echoRate(opts.timeMs, opts.inflight, payload, true);
  opts.onProgress?.(`echo: ${f0(echo.perSec)} calls/s; with the client's headers and deadline: ${f0(shaped.perSec)} calls/s`);
  const rows: Row[] = [];
  const rounds = Math.max(1, opts.rounds ?? 3);
  for (const mode of opts.modes ?? BROKER_MODES) {
    const dir = mkdtempSync(join(opts.dir, 'broker-'));
    const target = await startTarget(mode, dir);
    try {
      const between = (): ReturnType<typeof echoRate> => echoRate(opts.timeMs / rounds, opts.inflight, payload);
      const r = await measureClientCase({ endpoints: target.endpoints, timeMs: opts.timeMs, inflight: opts.inflight, producers, receivers, bodyBytes: opts.bodyBytes, rounds, between });
      opts.onProgress?.(`${mode}: send ${f0(r.send.perSec)} msg/s (per round x echo: ${r.roundRatios.map(f2).join(', ')}), receive+ack ${f0(r.receiveAck.perSec)} msg/s`);
      rows.push({ what: `broker, ${mode}`, send: r.send, receiveAck: r.receiveAck, echo: r.between!, ratios: r.roundRatios, note: `${r.sent} sent, all received and acked${r.redelivered > 0 ? `, ${r.redelivered} redelivered (attempt > 1)` : ''}` });
    } finally {
      await target.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (opts.separateProcess ?? true) {
    const r = await separateProcessCase(opts.timeMs, opts.inflight, producers, opts.bodyBytes, rounds);
    opts.onProgress?.(`separate processes: send ${f0(r.send.perSec)} msg/s, echo ${f0(r.echo.perSec)} calls/s (per round: ${r.roundRatios.map(f2).join(', ')})`);
    rows.push({ what: 'broker in its own process, ASYNC_FLUSH (echo server in its own process too)', send: r.send, receiveAck: null, echo: r.echo, ratios: r.roundRatios, note: 'send only (delivery is checked in the cases above)' });
  }
  const notes: string[] = [];
  if (opts.redis ?? true) {
    const why = redisUnavailable();
    if (why !== null) notes.push(`Redis Streams rows skipped: ${why}`);
    else {
      for (const fsync of REDIS_FSYNC_MODES) {
        const adjacent = await bareEcho();
        const dir = mkdtempSync(join(opts.dir, 'redis-'));
        try {
          const r = await measureRedisCase(dir, fsync, opts.timeMs, opts.inflight, opts.bodyBytes, receivers);
          opts.onProgress?.(`redis ${fsync}: XADD ${f0(r.send.perSec)}/s, XREADGROUP+XACK ${f0(r.receiveAck.perSec)}/s`);
          rows.push({ what: `Redis ${redisVersion()} Streams (ioredis), AOF ${fsync}`, send: r.send, receiveAck: r.receiveAck, echo: adjacent, ratios: [r.send.perSec / adjacent.perSec], note: `${r.sent} added, all read once and acked` });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  }
  const stages = await sendStages(opts.timeMs >= 1000 ? 20_000 : 1_000, opts.bodyBytes);
  const loadAfter = loadavg()[0]!;
  const lines = [
    `### broker: official client on loopback, ${opts.bodyBytes} B bodies, ${opts.inflight} sends in flight over ${producers} producers, ${receivers} receive loops, ${opts.timeMs} ms per phase`,
    '',
    '| what | send msg/s | send p50 ms | send p99 ms | echo next to it, calls/s | send / echo (median of rounds; range) | receive+ack msg/s | round p50 ms | round p99 ms | receive+ack / send | check |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    `| grpc-js unary echo (${opts.bodyBytes + 160} B) | ${f0(echo.perSec)} | ${f2(echo.p50Ms)} | ${f2(echo.p99Ms)} | | 1.00 (ceiling) | | | | | |`,
    `| the same echo with the official client's 7 headers and deadline per call | ${f0(shaped.perSec)} | ${f2(shaped.p50Ms)} | ${f2(shaped.p99Ms)} | ${f0(echo.perSec)} | ${f2(shaped.perSec / echo.perSec)} | | | | | |`,
    ...rows.map(
      (r) =>
        `| ${r.what} | ${f0(r.send.perSec)} | ${f2(r.send.p50Ms)} | ${f2(r.send.p99Ms)} | ${f0(r.echo.perSec)} | ${ratioText(r.ratios)} | ${r.receiveAck ? f0(r.receiveAck.perSec) : ''} | ${r.receiveAck ? f2(r.receiveAck.p50Ms) : ''} | ${r.receiveAck ? f2(r.receiveAck.p99Ms) : ''} | ${r.receiveAck ? f2(r.receiveAck.perSec / r.send.perSec) : ''} | ${r.note} |`,
    ),
    '',
    `Targets (issue 11): send >= 0.70 x echo; receive+ack >= 0.70 x send. Each broker case's send phase is cut into ${rounds} rounds, each right after a bare echo of the same length; send / echo is the median of the per-round ratios (the load on a shared machine drifts); the Redis rows use one echo measured just before them. A receive+ack "round" is one receive(32) and the acks of its batch. The clients and the broker share this process (one JS thread), so send / echo also carries the official client\'s own cost per call (bench/broker/send-profile.ts splits client and server CPU).`,
    `Machine: ${cpus().length} cores, 1-min load average ${f2(loadBefore)} before and ${f2(loadAfter)} after (other work on the machine shows here).`,
    ...notes,
    '',
    "Where a send's time goes on the broker's side, without the network (bench/broker/send-stages.ts); the rest of a send is grpc-js, HTTP/2 and the official client:",
    '',
    sendStagesTable(stages),
  ];
  return lines.join('\n');
}
