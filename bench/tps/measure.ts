// One TPS measurement: a store (the master), optionally a slave fed by `attachSlave` (or, in
// DLedger mode, the leader of a group: dledger-target.ts), and a
// bounded closed loop of `concurrency` producers putting `payloadBytes` bodies for `durationMs`
// (tinybench task concurrency gives the per-put latency statistics).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { BrokerRole, FlushDiskType } from '../../src/config/store-config.js';
import { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';
import { PlainAppendLog } from '../lib/plain-append-log.js';
import { openDLedgerTarget } from './dledger-target.js';

export interface TpsCase {
  modeId: string;
  flushDiskType: FlushDiskType;
  brokerRole: BrokerRole | null;
  transientStorePoolEnable: boolean;
  payloadBytes: number;
  concurrency: number;
  durationMs: number;
  segmentBytes: number;
  emulateDevice: 'none' | 'hdd' | 'sata-ssd' | 'nvme';
  /** DLedger mode with this many members (0: classic; dledger-target.ts). */
  dledgerMembers?: number;
}

export interface TpsRow extends TpsCase {
  tps: number;
  mbps: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  notOk: number;
  /** Bytes the slave was behind when the load stopped (null without a slave). */
  slaveLagBytes: number | null;
}

/** A slave attached to a master store for one case; `stop` ends it. */
export interface AttachedSlave {
  maxOffset(): Promise<number>;
  stop(): Promise<void>;
}

export type SlaveFactory = (master: MessageStore, dir: string) => Promise<AttachedSlave>;

export async function measureTps(c: TpsCase, baseDir: string, attachSlave: SlaveFactory | null): Promise<TpsRow> {
  const dir = mkdtempSync(join(baseDir, `${c.modeId}-`));
  if (c.dledgerMembers) {
    const target = await openDLedgerTarget(c, dir, c.dledgerMembers);
    try {
      return await loadRow(c, target.store, () => target.lagBytes());
    } finally {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const store = await MessageStore.open(
    {
      storePathRootDir: join(dir, 'master'),
      flushDiskType: c.flushDiskType,
      brokerRole: c.brokerRole ?? 'ASYNC_MASTER',
      mappedFileSizeCommitLog: c.segmentBytes,
      transientStorePoolEnable: c.transientStorePoolEnable,
      transientStorePoolSize: 4,
      emulateDevice: c.emulateDevice,
      haListenPort: 0,
      listenPort: 0,
      logLevel: 'error',
    },
    { logger: memoryLogger(100) },
  );
  let slave: AttachedSlave | null = null;
  try {
    if (c.brokerRole) {
      if (!attachSlave) throw new Error(`mode ${c.modeId} needs a slave and none can be started`);
      slave = await attachSlave(store, join(dir, 'slave'));
    }
    const attached = slave;
    return await loadRow(c, store, attached ? async () => Math.max(0, store.getMaxPhyOffset() - (await attached.maxOffset())) : null);
  } finally {
    await slave?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The closed loop of one case on `store`; `lagBytes` (null: no replica) is read when it stops. */
async function loadRow(c: TpsCase, store: MessageStore, lagBytes: (() => Promise<number>) | null): Promise<TpsRow> {
  const body = new Uint8Array(c.payloadBytes).fill(0x6d);
  let notOk = 0;
  let ok = 0;
  let seq = 0;
  const bench = new Bench({ time: c.durationMs, warmupTime: 0, warmup: false, concurrency: 'task', threshold: c.concurrency, iterations: 0, retainSamples: true });
  bench.add('put', async () => {
    const r = await store.putMessage({ topic: 'TpsTopic', queueId: seq++ & 7, body });
    if (r.status === 'PUT_OK') ok++;
    else notOk++;
  });
  const started = performance.now();
  await bench.run();
  const elapsedS = (performance.now() - started) / 1000;
  const lag = lagBytes ? await lagBytes() : null;
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed') throw new Error(`case ${c.modeId} did not complete: ${r.state}`);
  const tps = ok / elapsedS; // acknowledged puts only: a put answered SLAVE_NOT_AVAILABLE does not count
  return { ...c, tps, mbps: (tps * c.payloadBytes) / 1e6, p50Ms: r.latency.p50, p99Ms: r.latency.p99, p999Ms: r.latency.p999, notOk, slaveLagBytes: lag };
}

/** What the plain append log (bench/lib/plain-append-log.ts) is measured on: one per flush/body/in-flight. */
export interface PlainCase {
  flushDiskType: FlushDiskType;
  payloadBytes: number;
  concurrency: number;
  durationMs: number;
}

export interface PlainRow extends PlainCase {
  tps: number;
  p50Ms: number;
  p99Ms: number;
}

export const plainKey = (c: Pick<PlainCase, 'flushDiskType' | 'payloadBytes' | 'concurrency'>): string => `${c.flushDiskType}/${c.payloadBytes}/${c.concurrency}`;

/** The baseline under the same closed loop as measureTps: same topic, queues, body and in-flight count. */
export async function measurePlainTps(c: PlainCase, baseDir: string): Promise<PlainRow> {
  const dir = mkdtempSync(join(baseDir, 'plain-'));
  const log = PlainAppendLog.open(join(dir, 'plain.log'), c.flushDiskType);
  try {
    const body = new Uint8Array(c.payloadBytes).fill(0x6d);
    let seq = 0;
    const bench = new Bench({ time: c.durationMs, warmupTime: 0, warmup: false, concurrency: 'task', threshold: c.concurrency, iterations: 0, retainSamples: true });
    bench.add('plain put', async () => {
      await log.put('TpsTopic', seq++ & 7, body);
    });
    const started = performance.now();
    await bench.run();
    const elapsedS = (performance.now() - started) / 1000;
    const r = bench.tasks[0]!.result;
    if (r.state !== 'completed') throw new Error(`plain append log case did not complete: ${r.state}`);
    return { ...c, tps: seq / elapsedS, p50Ms: r.latency.p50, p99Ms: r.latency.p99 };
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
