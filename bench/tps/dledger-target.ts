// The DLedger rows of the TPS table: a group of `members` (3) whose member n0 runs in the bench
// process (the store the producers put to, with preferredLeaderId=n0) and whose other members are
// `mqstore node` processes on loopback, all with the config's default Raft timing. The target is
// ready once n0 leads, accepts puts and every follower is connected. Lag = n0's log end minus the
// smallest follower log end (/status) when the load stopped.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreConfigInput } from '../../src/config/load-config.js';
import { startDLedger, type DLedgerService } from '../../src/dledger/dledger-service.js';
import { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';
import { freeLoopbackPorts } from '../lib/free-ports.js';
import { getJson, spawnNodeProcess, writeProperties, type NodeProcess } from '../lib/node-process.js';
import { waitUntil } from '../lib/wait-until.js';
import type { TpsCase } from './measure.js';

const LEAD_TIMEOUT_MS = 30_000;

export interface DLedgerTarget {
  store: MessageStore;
  lagBytes(): Promise<number>;
  stop(): Promise<void>;
}

/** Keys every member shares (the store keys of the case, the group, the peers). */
function memberConfig(c: TpsCase, peers: string, selfId: string, root: string): Record<string, string | number | boolean> {
  return {
    storePathRootDir: root,
    flushDiskType: c.flushDiskType,
    mappedFileSizeCommitLog: c.segmentBytes,
    transientStorePoolEnable: c.transientStorePoolEnable,
    transientStorePoolSize: 4,
    emulateDevice: c.emulateDevice,
    enableDLegerCommitLog: true,
    dLegerGroup: 'tps-dledger',
    dLegerPeers: peers,
    dLegerSelfId: selfId,
    preferredLeaderId: 'n0',
    brokerIP1: '127.0.0.1',
    listenPort: 0,
    logLevel: 'error',
  };
}

export async function openDLedgerTarget(c: TpsCase, dir: string, members: number): Promise<DLedgerTarget> {
  const ports = await freeLoopbackPorts(members);
  const ids = ports.map((_, i) => `n${i}`);
  const peers = ids.map((id, i) => `${id}-127.0.0.1:${ports[i]}`).join(';');
  const followers: NodeProcess[] = [];
  let store: MessageStore | null = null;
  let member: DLedgerService | null = null;
  const stop = async (): Promise<void> => {
    await member?.close();
    await store?.close();
    await Promise.all(followers.map((f) => f.stop()));
  };
  try {
    for (const id of ids.slice(1)) {
      const d = join(dir, id);
      mkdirSync(d, { recursive: true });
      const props = writeProperties(join(d, `${id}.properties`), { ...memberConfig(c, peers, id, join(d, 'store')), adminPort: 0, grpcServerPort: 0 });
      followers.push(await spawnNodeProcess(props));
    }
    const config: StoreConfigInput = { ...memberConfig(c, peers, 'n0', join(dir, 'n0')), haListenPort: 0 };
    store = await MessageStore.open(config, { logger: memoryLogger(100) });
    member = await startDLedger(store, store.config, memoryLogger(100));
    const m = member;
    await waitUntil(() => {
      const s = m.status();
      return s.role === 'LEADER' && s.acceptingPuts && s.peers.filter((p) => p.id !== 'n0').every((p) => p.connected);
    }, `n0 leads the DLedger group with every follower connected (preferredLeaderId=n0)`, LEAD_TIMEOUT_MS);
    const leader = store;
    return {
      store: leader,
      lagBytes: async () => {
        const ends = await Promise.all(followers.map(async (f) => (await getJson<{ maxPhyOffset: number }>(f.adminPort, '/status')).maxPhyOffset));
        return Math.max(0, leader.getMaxPhyOffset() - Math.min(...ends));
      },
      stop,
    };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}
