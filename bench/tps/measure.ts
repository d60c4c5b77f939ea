// One TPS measurement: a store (the master), optionally a slave fed by `attachSlave`, and a
// bounded closed loop of `concurrency` producers putting `payloadBytes` bodies for `durationMs`
// (tinybench task concurrency gives the per-put latency statistics).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { BrokerRole, FlushDiskType } from '../../src/config/store-config.js';
import { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';

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
    const lag = slave ? Math.max(0, store.getMaxPhyOffset() - (await slave.maxOffset())) : null;
    const r = bench.tasks[0]!.result;
    if (r.state !== 'completed') throw new Error(`case ${c.modeId} did not complete: ${r.state}`);
    const tps = ok / elapsedS; // acknowledged puts only: a put answered SLAVE_NOT_AVAILABLE does not count
    return { ...c, tps, mbps: (tps * c.payloadBytes) / 1e6, p50Ms: r.latency.p50, p99Ms: r.latency.p99, p999Ms: r.latency.p999, notOk, slaveLagBytes: lag };
  } finally {
    await slave?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
