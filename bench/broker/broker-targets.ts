// The brokers the broker suite measures, each in this process on loopback with its own store
// directory: ASYNC_FLUSH and SYNC_FLUSH single masters (MessageStore + startBroker), and a
// replicated pair (openNode: a SYNC_MASTER on ASYNC_FLUSH serving the broker, and a SLAVE that
// replicates it over HA; every send waits for the slave's ack). close() stops all of it.
import { openNode } from '../../src/node/open-node.js';
import { startBroker } from '../../src/broker/broker.js';
import { MessageStore } from '../../src/store/message-store.js';
import { consoleLogger } from '../../src/util/logger.js';
import { waitUntil } from '../lib/wait-until.js';

export const BROKER_MODES = ['ASYNC_FLUSH', 'SYNC_FLUSH', 'ASYNC_FLUSH + SYNC_MASTER with a slave'] as const;
export type BrokerMode = (typeof BROKER_MODES)[number];

export interface BrokerTarget {
  endpoints: string;
  close(): Promise<void>;
}

const STORE = { listenPort: 0, mappedFileSizeCommitLog: 64 << 20, maxMessageSize: 4 << 20, logLevel: 'warn' as const };

export async function startTarget(mode: BrokerMode, dir: string): Promise<BrokerTarget> {
  if (mode !== 'ASYNC_FLUSH + SYNC_MASTER with a slave') {
    const store = await MessageStore.open({ ...STORE, storePathRootDir: `${dir}/store`, flushDiskType: mode });
    const broker = await startBroker(store, { logger: consoleLogger('broker', 'warn') });
    return {
      endpoints: `127.0.0.1:${broker.port}`,
      close: async () => {
        await broker.close();
        await store.close();
      },
    };
  }
  const logger = consoleLogger('bench', 'warn');
  // commit every commitIntervalCommitLog (not only after 4 pages): a SYNC_MASTER put waits for
  // the slave, which receives committed bytes only
  const ha = { commitCommitLogLeastPages: 0, haSendHeartbeatInterval: 200 };
  const master = await openNode({ ...STORE, ...ha, storePathRootDir: `${dir}/master`, brokerRole: 'SYNC_MASTER', flushDiskType: 'ASYNC_FLUSH' }, { logger, ha: { listenPort: 0 }, broker: {} });
  const slave = await openNode(
    { ...STORE, ...ha, storePathRootDir: `${dir}/slave`, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${master.haPort()}`, flushDiskType: 'ASYNC_FLUSH' },
    { logger, ha: { listenPort: 0 } },
  );
  const slaves = (): number => {
    const s = master.replication!.status();
    return 'slaves' in s ? s.slaves.filter((x) => x.ackedOffset >= 0).length : 0;
  };
  await waitUntil(() => slaves() >= 1, 'the slave to connect and report', 15_000);
  return {
    endpoints: `127.0.0.1:${master.broker!.port}`,
    close: async () => {
      await slave.close();
      await master.close();
    },
  };
}
