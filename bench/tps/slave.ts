// The slave for the TPS table's replication rows: the master store (in the bench process) gets
// the HA service, and a real slave process (`mqstore node`, compiled, SLAVE role) on loopback
// replicates from it. The slave's max offset is read from its admin /status. The HA transfer
// bench (bench/ha-transfer.bench.ts) starts the same slave process with spawnSlaveNode.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageStoreConfig } from '../../src/config/store-config.js';
import { startHa, type HaOptions, type HaService } from '../../src/ha/ha-service.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';
import { getJson, spawnNodeProcess, writeProperties } from '../lib/node-process.js';
import { waitUntil } from '../lib/wait-until.js';
import type { AttachedSlave, SlaveFactory } from './measure.js';

const READY_TIMEOUT_MS = 30_000;

export async function loadSlaveFactory(): Promise<SlaveFactory | { unavailable: string }> {
  return slaveFactoryWith({});
}

/** Slaves for masters whose HA service gets these options (e.g. a senderFactory). */
export function slaveFactoryWith(haOptions: HaOptions): SlaveFactory {
  return (master, dir) => startSlave(master, dir, haOptions);
}

async function startSlave(master: MessageStore, dir: string, haOptions: HaOptions): Promise<AttachedSlave> {
  const ha = await startHa(master, master.config, memoryLogger(100), haOptions);
  try {
    const node = await spawnSlaveNode(ha, dir, master.config);
    return {
      maxOffset: node.maxOffset,
      stop: async () => {
        await node.stop();
        await ha.close();
      },
    };
  } catch (err) {
    await ha.close();
    throw err;
  }
}

export interface SlaveNode {
  maxOffset(): Promise<number>;
  stop(): Promise<void>;
}

/** A `mqstore node` SLAVE process in `dir` replicating from `ha`; resolves once the master saw
 * its first offset report. */
export async function spawnSlaveNode(ha: HaService, dir: string, masterConfig: Readonly<MessageStoreConfig>): Promise<SlaveNode> {
  mkdirSync(dir, { recursive: true });
  const props = writeProperties(join(dir, 'slave.properties'), {
    storePathRootDir: join(dir, 'store'),
    brokerRole: 'SLAVE',
    brokerId: 1,
    haMasterAddress: `127.0.0.1:${ha.port}`,
    mappedFileSizeCommitLog: masterConfig.mappedFileSizeCommitLog,
    flushDiskType: masterConfig.flushDiskType,
    emulateDevice: masterConfig.emulateDevice, // an emulated device slows the slave's flushes too
    listenPort: 0,
    adminPort: 0,
    logLevel: 'error',
  });
  const node = await spawnNodeProcess(props);
  try {
    // the master must see the slave's first offset report: no put of a measurement may meet a
    // master without its slave
    await waitUntil(
      () => {
        const status = ha.status() as { slaves?: Array<{ ackedOffset: number }> };
        return (status.slaves ?? []).some((s) => s.ackedOffset >= 0);
      },
      'the slave connected and reported',
      READY_TIMEOUT_MS,
    );
    return {
      maxOffset: async () => (await getJson<{ maxPhyOffset: number }>(node.adminPort, '/status')).maxPhyOffset,
      stop: () => node.stop(),
    };
  } catch (err) {
    await node.kill('SIGKILL');
    throw err;
  }
}
