// putMessage throughput and latency per flush mode and write path, with the disk's own limits
// measured in the same run. Each case opens a fresh store in a temp dir and keeps `inFlight`
// puts outstanding (tinybench 'task' concurrency); msg/s is completed puts over wall time.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from '../src/util/logger.js';
import { measureDiskLimits, type DiskLimits } from './lib/disk-limits.js';
import { measurePlainTps, plainKey, type PlainRow } from './tps/measure.js';

export type WritePath = 'mmap' | 'tsp' | 'tsp-direct';

export interface PutCase {
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  writePath: WritePath;
  bodyBytes: number;
  inFlight: number;
  /** Where the commit/flush service runs (default: worker). */
  placement?: 'worker' | 'in-thread';
}

export interface PutRow extends PutCase {
  msgPerSec: number;
  mbPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  puts: number;
  notOk: number;
  writeMode: string;
}

export interface StoreBenchOptions {
  dir: string;
  timeMs: number;
  segmentBytes: number;
  cases: PutCase[];
  onProgress?: (line: string) => void;
}

export async function runPutCase(c: PutCase, o: StoreBenchOptions): Promise<PutRow> {
  const root = mkdtempSync(join(o.dir, 'store-'));
  const store = await MessageStore.open(
    {
      storePathRootDir: root,
      flushDiskType: c.flushDiskType,
      mappedFileSizeCommitLog: o.segmentBytes,
      transientStorePoolEnable: c.writePath !== 'mmap',
      transientStorePoolSize: 4,
      commitMode: c.writePath === 'tsp-direct' ? 'direct' : 'pwrite',
      flushServiceInWorker: c.placement !== 'in-thread',
      logLevel: 'error',
    },
    { logger: memoryLogger(100) },
  );
  const body = new Uint8Array(c.bodyBytes).fill(0x61);
  let notOk = 0;
  let seq = 0;
  const bench = new Bench({ time: o.timeMs, warmupTime: 0, warmup: false, concurrency: 'task', threshold: c.inFlight, iterations: 0, retainSamples: true });
  bench.add('put', async () => {
    const r = await store.putMessage({ topic: 'BenchTopic', queueId: seq++ & 7, body });
    if (r.status !== 'PUT_OK') notOk++;
  });
  const started = performance.now();
  let elapsedS = 0;
  let info: ReturnType<MessageStore['runtimeInfo']>;
  try {
    await bench.run();
  } finally {
    elapsedS = (performance.now() - started) / 1000;
    info = store.runtimeInfo();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
  const puts = info.putMessageTimesTotal;
  const msgPerSec = puts / elapsedS;
  const lat = bench.tasks[0]!.result;
  if (lat.state !== 'completed') throw new Error(`bench case did not complete: ${lat.state}`);
  const row: PutRow = {
    ...c,
    msgPerSec,
    mbPerSec: (msgPerSec * c.bodyBytes) / 2 ** 20,
    p50Ms: lat.latency.p50,
    p99Ms: lat.latency.p99,
    p999Ms: lat.latency.p999,
    puts,
    notOk,
    writeMode: info.writeMode,
  };
  o.onProgress?.(`${c.flushDiskType} ${c.writePath} ${c.placement ?? 'worker'} ${c.bodyBytes}B x${c.inFlight}: ${Math.round(row.msgPerSec)} msg/s, p99 ${row.p99Ms.toFixed(2)} ms`);
  return row;
}

export interface StoreBenchResult {
  disk: DiskLimits;
  rows: PutRow[];
  /** The plain append log (lib/plain-append-log.ts) per flush type, body and in-flight count. */
  baselines: PlainRow[];
}

const plainKeyOf = (c: PutCase): string => plainKey({ flushDiskType: c.flushDiskType, payloadBytes: c.bodyBytes, concurrency: c.inFlight });

export async function storeSuite(o: StoreBenchOptions): Promise<StoreBenchResult> {
  const disk = measureDiskLimits(o.dir, { writeBytes: 256 << 20, syncSamples: 200 });
  const rows: PutRow[] = [];
  const baselines: PlainRow[] = [];
  for (const c of o.cases) {
    // The baseline runs just before the first engine case it is the ratio for.
    if (!baselines.some((b) => plainKey(b) === plainKeyOf(c))) {
      const b = await measurePlainTps({ flushDiskType: c.flushDiskType, payloadBytes: c.bodyBytes, concurrency: c.inFlight, durationMs: o.timeMs }, o.dir);
      baselines.push(b);
      o.onProgress?.(`plain append log ${c.flushDiskType} ${c.bodyBytes}B x${c.inFlight}: ${Math.round(b.tps)} msg/s, p99 ${b.p99Ms.toFixed(2)} ms`);
    }
    rows.push(await runPutCase(c, o));
  }
  return { disk, rows, baselines };
}

export function storeCases(smoke: boolean): PutCase[] {
  const cases: PutCase[] = [];
  const bodies = smoke ? [1024] : [128, 1024];
  const inFlights = smoke ? [1, 64] : [1, 16, 64, 256];
  for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const) {
    for (const writePath of ['mmap', 'tsp', 'tsp-direct'] as const) {
      for (const bodyBytes of bodies) for (const inFlight of inFlights) cases.push({ flushDiskType, writePath, bodyBytes, inFlight });
    }
    for (const inFlight of smoke ? [64] : [1, 256]) {
      cases.push({ flushDiskType, writePath: 'mmap', bodyBytes: 1024, inFlight, placement: 'in-thread' });
      cases.push({ flushDiskType, writePath: 'tsp', bodyBytes: 1024, inFlight, placement: 'in-thread' });
    }
  }
  return cases;
}

export function formatStoreTable(result: StoreBenchResult): string {
  const { disk, rows } = result;
  const plain = new Map(result.baselines.map((b) => [plainKey(b), b.tps]));
  const asyncBest = new Map<string, number>();
  const key = (r: PutRow): string => `${r.writePath}/${r.bodyBytes}/${r.inFlight}/${r.placement ?? 'worker'}`;
  for (const r of rows) if (r.flushDiskType === 'ASYNC_FLUSH') asyncBest.set(key(r), r.msgPerSec);
  const lines = [
    '### putMessage (store)',
    '',
    `Disk in the same run: sequential write ${disk.seqWriteMBps.toFixed(0)} MB/s; 4 KiB write + fdatasync p50 ${disk.fdatasyncP50Ms.toFixed(3)} ms, p99 ${disk.fdatasyncP99Ms.toFixed(3)} ms.`,
    '',
    '| flush | write path | service | body | in flight | msg/s | MB/s | p50 ms | p99 ms | p999 ms | vs plain append log | SYNC/ASYNC | p50 / fdatasync p50 | not OK |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const vsPlain = (r: PutRow): string => {
    const b = plain.get(plainKeyOf(r));
    return b ? `${(r.msgPerSec / b).toFixed(2)}x` : '-';
  };
  for (const r of rows) {
    const base = asyncBest.get(key(r));
    const vsAsync = r.flushDiskType === 'SYNC_FLUSH' && base ? `${(r.msgPerSec / base).toFixed(2)}` : '-';
    const vsDisk = r.flushDiskType === 'SYNC_FLUSH' ? `${(r.p50Ms / disk.fdatasyncP50Ms).toFixed(2)}x` : '-';
    lines.push(
      `| ${r.flushDiskType} | ${r.writePath} (${r.writeMode}) | ${r.placement ?? 'worker'} | ${r.bodyBytes} | ${r.inFlight} | ${Math.round(r.msgPerSec).toLocaleString('en-US')} | ` +
        `${r.mbPerSec.toFixed(0)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${r.p999Ms.toFixed(3)} | ${vsPlain(r)} | ${vsAsync} | ${vsDisk} | ${r.notOk} |`,
    );
  }
  lines.push('', 'Plain append log in the same run (bench/lib/plain-append-log.ts), msg/s:', '', '| flush | body | in flight | msg/s | p50 ms | p99 ms |', '|---|---:|---:|---:|---:|---:|');
  for (const b of result.baselines) lines.push(`| ${b.flushDiskType} | ${b.payloadBytes} | ${b.concurrency} | ${Math.round(b.tps).toLocaleString('en-US')} | ${b.p50Ms.toFixed(3)} | ${b.p99Ms.toFixed(3)} |`);
  return lines.join('\n');
}
