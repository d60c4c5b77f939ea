// In-process HA pairs for tests: a master and slaves (real stores in temp dirs, real TCP on
// 127.0.0.1 with OS-chosen ports), small segments and short HA periods, and deadline-bounded
// waits on their positions. Each node is assembled by openNode (src/node/open-node.ts), as
// `mqstore node` and embedders assemble theirs.
import { afterEach } from 'vitest';
import type { HaMasterStatus, HaOptions, HaService } from '../../src/ha/ha-service.js';
import type { RejoinOutcome } from '../../src/ha/slave-rejoin.js';
import { openNode, type StoreNode } from '../../src/node/open-node.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger, type Logger } from '../../src/util/logger.js';
import { CALM_DISK_USAGE, smallConfig, waitUntil, type Backend } from './store-harness.js';

export interface HaNode {
  node: StoreNode;
  store: MessageStore;
  ha: HaService;
  dir: string;
  logger: Logger & { lines: string[] };
  /** What the start-up divergence check did (slave-rejoin.ts). */
  rejoin: RejoinOutcome;
}

export const HA_TEST_DEFAULTS = {
  // Buffer-mode (node backend) masters only stream committed bytes, and the ASYNC_FLUSH commit
  // service waits for 4 pages or commitCommitLogThoroughInterval (200 ms): a lone SYNC_MASTER
  // put would wait that long. Commit whatever is pending every commitIntervalCommitLog instead.
  commitCommitLogLeastPages: 0,
  haTransferBatchSize: 8192,
  haSendHeartbeatInterval: 200,
  haHousekeepingInterval: 3000,
  slaveTimeout: 3000,
};

export async function startNode(dir: string, backend: Backend, overrides: Record<string, unknown>, haOptions: HaOptions = {}): Promise<HaNode> {
  const logger = memoryLogger();
  const node = await openNode(smallConfig(dir, backend, { ...HA_TEST_DEFAULTS, ...overrides }), {
    logger,
    ha: { listenPort: 0, backoffMaxMs: 500, ...haOptions },
    store: { diskUsage: CALM_DISK_USAGE },
  });
  return { node, store: node.store, ha: node.replication!, dir, logger, rejoin: node.rejoin };
}

export function startMaster(dir: string, backend: Backend, role: 'SYNC_MASTER' | 'ASYNC_MASTER', overrides: Record<string, unknown> = {}): Promise<HaNode> {
  return startNode(dir, backend, { brokerRole: role, ...overrides });
}

export function startSlave(dir: string, backend: Backend, master: HaNode, brokerId = 1, overrides: Record<string, unknown> = {}): Promise<HaNode> {
  return startNode(dir, backend, { brokerRole: 'SLAVE', brokerId, haMasterAddress: `127.0.0.1:${master.ha.port}`, ...overrides });
}

export function masterStatus(node: HaNode): HaMasterStatus {
  const s = node.ha.status();
  if (s.role === 'SLAVE') throw new Error('not a master');
  return s;
}

/** Wait until `count` slaves are connected to `master` and have reported. */
export function waitSlaves(master: HaNode, count: number, timeoutMs = 10_000): Promise<void> {
  return waitUntil(() => masterStatus(master).slaves.filter((s) => s.ackedOffset >= 0).length >= count, `${count} slave(s) connected and reporting`, timeoutMs);
}

/** Wait until the slave appended everything the master has committed. */
export function waitCaughtUp(master: HaNode, slave: HaNode, timeoutMs = 20_000): Promise<void> {
  return waitUntil(
    () => slave.store.runtimeInfo().wroteOffset >= master.store.getMaxPhyOffset() && master.store.runtimeInfo().wroteOffset === master.store.getMaxPhyOffset(),
    'slave caught up with the master',
    timeoutMs,
  );
}

const stoppedNodes = new WeakSet<HaNode>();

/** Close the node (HA first, no more appends, then the store: StoreNode.close); throws the first
 * error. A node already stopped is left alone. */
export async function stopNode(node: HaNode | undefined): Promise<void> {
  if (!node || stoppedNodes.has(node)) return;
  stoppedNodes.add(node);
  await node.node.close();
}

/** For a test file: returns `track`, which remembers a started node; every node tracked in a
 * test is stopped (newest first) after it, whatever the test stopped itself. */
export function stopNodesAfterEach(): (started: Promise<HaNode>) => Promise<HaNode> {
  const nodes: HaNode[] = [];
  afterEach(async () => {
    for (const n of nodes.splice(0).reverse()) await stopNode(n);
  });
  return async (started) => {
    const n = await started;
    nodes.push(n);
    return n;
  };
}
