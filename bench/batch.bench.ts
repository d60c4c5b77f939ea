// The batch path (issue 12, item 4): putMessages with batches of 64 × 1 KiB (RocketMQ's
// MessageBatch: one queue, consecutive queue offsets, appended at once) against the plain
// append log's single-put rate (256 in flight) and the store's single-put rate, all in the same
// run, alternating rounds, on the default write path (mmap) and the TransientStorePool. msg/s
// counts messages in PUT_OK answers over wall time; also messages per CPU second of the process
// (the machine is shared: the steadier figure). Medians of the rounds.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from '../src/util/logger.js';
import { PlainAppendLog } from './lib/plain-append-log.js';

export interface BatchSuiteOptions {
  dir: string;
  timeMs: number;
  rounds: number;
  segmentBytes: number;
  onProgress?: (line: string) => void;
}

const BODY_BYTES = 1024;
const BATCH = 64;
const BATCHES_IN_FLIGHT = 8;
const SINGLES_IN_FLIGHT = 256;
const QUEUES = 8;

interface Rate {
  wall: number;
  cpu: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** `workers` closed loops calling `one()` (which returns the messages it stored) for `timeMs`. */
async function closedLoop(workers: number, timeMs: number, one: () => Promise<number>): Promise<Rate> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const deadline = started + timeMs;
  let messages = 0;
  const loop = async (): Promise<void> => {
    for (let guard = 0; performance.now() < deadline && guard < 100_000_000; guard++) {
      const n = await one(); // not `messages += await one()`: that reads `messages` before the await
      messages += n;
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
  const s = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { wall: messages / s, cpu: messages / ((cpu.user + cpu.system) / 1e6) };
}

async function plainRate(dir: string, timeMs: number): Promise<Rate> {
  const d = mkdtempSync(join(dir, 'plain-'));
  const log = PlainAppendLog.open(join(d, 'plain.log'), 'ASYNC_FLUSH');
  const body = new Uint8Array(BODY_BYTES).fill(0x6d);
  let seq = 0;
  try {
    return await closedLoop(SINGLES_IN_FLIGHT, timeMs, async () => {
      await log.put('BatchBench', seq++ & (QUEUES - 1), body);
      return 1;
    });
  } finally {
    await log.close();
    rmSync(d, { recursive: true, force: true });
  }
}

async function storeRate(dir: string, o: BatchSuiteOptions, tsp: boolean, batched: boolean): Promise<Rate> {
  const root = mkdtempSync(join(dir, 'batch-'));
  const store = await MessageStore.open(
    { storePathRootDir: root, mappedFileSizeCommitLog: o.segmentBytes, transientStorePoolEnable: tsp, transientStorePoolSize: 4, logLevel: 'error' },
    { logger: memoryLogger(100) },
  );
  const body = new Uint8Array(BODY_BYTES).fill(0x6e);
  let seq = 0;
  let notOk = 0;
  const checked = (rate: Rate): Rate => {
    if (notOk > 0) throw new Error(`${notOk} answers were not PUT_OK`);
    return rate;
  };
  try {
    if (batched) {
      const batches = Array.from({ length: QUEUES }, (_, q) => Array.from({ length: BATCH }, () => ({ topic: 'BatchBench', queueId: q, body })));
      return checked(
        await closedLoop(BATCHES_IN_FLIGHT, o.timeMs, async () => {
          const r = await store.putMessages(batches[seq++ & (QUEUES - 1)]!);
          if (r.status !== 'PUT_OK') return void notOk++, 0;
          return BATCH;
        }),
      );
    }
    return checked(
      await closedLoop(SINGLES_IN_FLIGHT, o.timeMs, async () => {
        const r = await store.putMessage({ topic: 'BatchBench', queueId: seq++ & (QUEUES - 1), body });
        if (r.status !== 'PUT_OK') return void notOk++, 0;
        return 1;
      }),
    );
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
}

export async function batchSuite(o: BatchSuiteOptions): Promise<string> {
  const cases = [
    { name: 'plain append log, single puts', run: () => plainRate(o.dir, o.timeMs) },
    { name: 'store putMessage, mmap', run: () => storeRate(o.dir, o, false, false) },
    { name: `store putMessages × ${BATCH}, mmap`, run: () => storeRate(o.dir, o, false, true) },
    { name: `store putMessages × ${BATCH}, TransientStorePool`, run: () => storeRate(o.dir, o, true, true) },
  ];
  const rates: Rate[][] = cases.map(() => []);
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      o.onProgress?.(`batch: round ${round + 1}/${o.rounds}: ${cases[i]!.name}`);
      rates[i]!.push(await cases[i]!.run());
    }
  }
  const plainWall = median(rates[0]!.map((r) => r.wall));
  const plainCpu = median(rates[0]!.map((r) => r.cpu));
  const lines = [
    `### Batch path (1 KiB bodies, ${QUEUES} queues; singles ${SINGLES_IN_FLIGHT} in flight, batches ${BATCHES_IN_FLIGHT} in flight; ${o.timeMs} ms per case, median of ${o.rounds} alternating rounds)`,
    '',
    '| case | msg/s (wall) | vs plain append log | msg per CPU second | vs plain (CPU) |',
    '|---|---:|---:|---:|---:|',
  ];
  cases.forEach((c, i) => {
    const wall = median(rates[i]!.map((r) => r.wall));
    const cpu = median(rates[i]!.map((r) => r.cpu));
    lines.push(`| ${c.name} | ${Math.round(wall).toLocaleString('en-US')} | ${(wall / plainWall).toFixed(2)}x | ${Math.round(cpu).toLocaleString('en-US')} | ${(cpu / plainCpu).toFixed(2)}x |`);
  });
  return lines.join('\n');
}
