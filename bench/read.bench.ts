// The read path against the put path of the same run (issue 12, item 7): the plain append log's
// single-put rate and the store's (1 KiB, 256 in flight, 8 queues, default config) fill the
// store; then one reader reads every message back with getMessage (32 per call) and with the raw
// read (getMessageRaw: record bytes, no per-message objects), alternating rounds, from the page
// cache. A second topic with one queue shows the raw read where a queue's records lie side by
// side in the log. Figures are medians of the rounds; ratios are to rates of this same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from '../src/util/logger.js';
import { measurePlainTps } from './tps/measure.js';

export interface ReadSuiteOptions {
  dir: string;
  putMs: number;
  rounds: number;
  /** Messages put into the one-queue topic. */
  oneQueueMessages: number;
  segmentBytes: number;
  onProgress?: (line: string) => void;
}

const BODY_BYTES = 1024;
const QUEUES = 8;
const BATCH = 32;

interface ReadRate {
  msgPerSec: number;
  bytesPerSec: number;
  /** Messages per second of this process's CPU time (the machine is shared: the steadier figure). */
  msgPerCpuSec: number;
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function putRate(store: MessageStore, timeMs: number): Promise<{ wall: number; cpu: number }> {
  const body = new Uint8Array(BODY_BYTES).fill(0x6d);
  let seq = 0;
  let notOk = 0;
  const bench = new Bench({ time: timeMs, warmupTime: 0, warmup: false, concurrency: 'task', threshold: 256, iterations: 0 });
  bench.add('put', async () => {
    const r = await store.putMessage({ topic: 'ReadBench', queueId: seq++ & (QUEUES - 1), body });
    if (r.status !== 'PUT_OK') notOk++;
  });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await bench.run();
  const elapsedS = (performance.now() - started) / 1000;
  if (notOk > 0) throw new Error(`${notOk} puts were not PUT_OK`);
  return { wall: seq / elapsedS, cpu: seq / cpuSeconds(cpu0) };
}

async function readAllWithGet(store: MessageStore, topic: string, queues: number): Promise<ReadRate> {
  let read = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let q = 0; q < queues; q++) {
    const max = store.getMaxOffsetInQueue(topic, q);
    for (let offset = 0, guard = 0; offset < max && guard < max; guard++) {
      const r = await store.getMessage({ group: 'G', topic, queueId: q, offset, maxMsgNums: BATCH });
      if (r.status !== 'FOUND') throw new Error(`getMessage ${topic}/${q}@${offset}: ${r.status}`);
      read += r.messages.length;
      for (const m of r.messages) bytes += m.totalSize;
      offset = r.nextBeginOffset;
    }
  }
  const s = (performance.now() - started) / 1000;
  return { msgPerSec: read / s, bytesPerSec: bytes / s, msgPerCpuSec: read / cpuSeconds(cpu0) };
}

async function readAllRaw(store: MessageStore, topic: string, queues: number): Promise<ReadRate> {
  let read = 0;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let q = 0; q < queues; q++) {
    const max = store.getMaxOffsetInQueue(topic, q);
    for (let offset = 0, guard = 0; offset < max && guard < max; guard++) {
      const r = store.getMessageRaw({ group: 'G', topic, queueId: q, offset, maxMsgNums: BATCH });
      if (r.status !== 'FOUND') throw new Error(`getMessageRaw ${topic}/${q}@${offset}: ${r.status}`);
      read += r.messageCount;
      for (const s of r.slices) bytes += s.bytes.byteLength;
      offset = r.nextBeginOffset;
    }
  }
  const s = (performance.now() - started) / 1000;
  return { msgPerSec: read / s, bytesPerSec: bytes / s, msgPerCpuSec: read / cpuSeconds(cpu0) };
}

export async function readSuite(o: ReadSuiteOptions): Promise<string> {
  const progress = o.onProgress ?? (() => {});
  progress('read: plain append log put rate');
  const plain = await measurePlainTps({ flushDiskType: 'ASYNC_FLUSH', payloadBytes: BODY_BYTES, concurrency: 256, durationMs: o.putMs }, o.dir);
  const root = mkdtempSync(join(o.dir, 'read-'));
  const store = await MessageStore.open(
    { storePathRootDir: root, mappedFileSizeCommitLog: o.segmentBytes, logLevel: 'error' },
    { logger: memoryLogger(100) },
  );
  try {
    progress('read: store put rate (fills the store)');
    const puts = await putRate(store, o.putMs);
    const body = new Uint8Array(BODY_BYTES).fill(0x6e);
    const pending: Promise<unknown>[] = [];
    for (let i = 0; i < o.oneQueueMessages; i++) {
      pending.push(store.putMessage({ topic: 'ReadBenchOne', queueId: 0, body }));
      if (pending.length >= 256) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    const get8: ReadRate[] = [];
    const raw8: ReadRate[] = [];
    const get1: ReadRate[] = [];
    const raw1: ReadRate[] = [];
    for (let round = 0; round < o.rounds; round++) {
      progress(`read: round ${round + 1}/${o.rounds}`);
      // every other round the raw read goes first: the garbage getMessage leaves is collected
      // during whatever runs next, so a fixed order would charge one of them for the other
      const getFirst = round % 2 === 0;
      for (const which of getFirst ? ['get', 'raw'] : ['raw', 'get']) {
        if (which === 'get') get8.push(await readAllWithGet(store, 'ReadBench', QUEUES));
        else raw8.push(await readAllRaw(store, 'ReadBench', QUEUES));
      }
      for (const which of getFirst ? ['get', 'raw'] : ['raw', 'get']) {
        if (which === 'get') get1.push(await readAllWithGet(store, 'ReadBenchOne', 1));
        else raw1.push(await readAllRaw(store, 'ReadBenchOne', 1));
      }
    }
    const messages = store.getMaxOffsetInQueue('ReadBench', 0) * QUEUES;
    const row = (name: string, rates: ReadRate[]): string => {
      const msg = median(rates.map((r) => r.msgPerSec));
      const cpu = median(rates.map((r) => r.msgPerCpuSec));
      const gbs = median(rates.map((r) => r.bytesPerSec)) / 1e9;
      return `| ${name} | ${Math.round(msg).toLocaleString('en-US')} | ${gbs.toFixed(2)} | ${(msg / puts.wall).toFixed(2)}x | ${(msg / plain.tps).toFixed(2)}x | ${Math.round(cpu).toLocaleString('en-US')} | ${(cpu / puts.cpu).toFixed(2)}x |`;
    };
    return [
      `### Read path (1 KiB bodies, ${BATCH} per call, one reader, page cache; median of ${o.rounds} alternating rounds)`,
      '',
      `Put rates of this run (256 in flight, ${QUEUES} queues): store ${Math.round(puts.wall).toLocaleString('en-US')} msg/s ` +
        `(${Math.round(puts.cpu).toLocaleString('en-US')} per CPU second), ` +
        `plain append log ${Math.round(plain.tps).toLocaleString('en-US')} msg/s (store / plain ${(puts.wall / plain.tps).toFixed(2)}x). ` +
        `${messages.toLocaleString('en-US')} messages in ${QUEUES} queues, ${o.oneQueueMessages.toLocaleString('en-US')} in one queue.`,
      '',
      '| read | msg/s | GB/s (record bytes) | vs store put rate | vs plain append log put rate | msg per CPU second | vs store puts per CPU second |',
      '|---|---:|---:|---:|---:|---:|---:|',
      row(`getMessage, ${QUEUES} interleaved queues`, get8),
      row(`getMessageRaw, ${QUEUES} interleaved queues`, raw8),
      row('getMessage, one queue', get1),
      row('getMessageRaw, one queue', raw1),
    ].join('\n');
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}
