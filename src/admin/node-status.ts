// The JSON document `GET /status` serves: who this node is (RocketMQ identity keys), where its
// store lives, the store's runtime info (positions, flush behind, put TPS, health flags,
// last recovery) flattened at the top level, `ha` (the HA status, or null with `haNote`
// saying why) and `dledger` (a DLedger member's Raft status, else null). The `mqstore admin` printers and `mqstore verify --*-addr` read this document,
// so fields are only ever added, never renamed.
//
// admin/ sits in the top layer with cli/ (it reads the store's runtime info).
import type { BrokerStats } from '../broker/broker.js';
import type { MessageStoreConfig } from '../config/store-config.js';
import type { DLedgerStatus } from '../dledger/dledger-status.js';
import type { StoreRuntimeInfo } from '../store/message-store.js';
import type { HaStatus, HaStatusProvider } from './ha-status-provider.js';

export interface NodeIdentity {
  brokerClusterName: string;
  brokerName: string;
  brokerId: number;
  /** brokerIP1:listenPort, the address RocketMQ tools name a broker by. */
  brokerAddr: string;
  haMasterAddress: string | null;
  storePathRootDir: string;
  storePathCommitLog: string;
  mappedFileSizeCommitLog: number;
  pid: number;
  version: string;
  bootTimestamp: number;
  adminPort: number;
  /** The HA port the node listens on (a master with an HA service), else null. */
  haPort: number | null;
  /** The gRPC MessagingService port (RocketMQ 5 clients), or null when the node serves none. */
  grpcPort: number | null;
}

export type NodeStatus = NodeIdentity &
  StoreRuntimeInfo & {
    uptimeMs: number;
    /** 'running' when an HA service runs in this node, else 'none'. */
    haService: 'running' | 'none';
    haNote: string | null;
    ha: HaStatus | null;
    /** The gRPC MessagingService (streams, long polls), or null when the node serves none. */
    grpc: BrokerStats | null;
    /** DLedger mode: this member's Raft status (role, term, leader, confirm offset, peers); else null. */
    dledger: DLedgerStatus | null;
  };

export interface StatusSources {
  identity: () => NodeIdentity;
  runtimeInfo: () => StoreRuntimeInfo;
  ha: HaStatusProvider;
  nowMs: () => number;
  /** The gRPC broker's stats (absent or null: the node serves none). */
  grpc?: () => BrokerStats | null;
  /** DLedger mode: the member's status (absent or null: not a DLedger member). */
  dledger?: () => DLedgerStatus | null;
}

export function nodeStatus(src: StatusSources): NodeStatus {
  const identity = src.identity();
  const runtime = src.runtimeInfo();
  const ha = readHaStatus(src.ha);
  return {
    ...identity,
    ...runtime,
    uptimeMs: Math.max(0, src.nowMs() - identity.bootTimestamp),
    haService: src.ha.kind === 'ha-service' ? 'running' : 'none',
    haNote: ha.note,
    ha: ha.status,
    grpc: src.grpc?.() ?? null,
    dledger: src.dledger?.() ?? null,
  };
}

/** The HA status, or null with the reason when the service's status cannot be read: /status
 * and /metrics keep answering with the store's side when the HA side fails. */
export function readHaStatus(provider: HaStatusProvider): { status: HaStatus | null; note: string | null } {
  try {
    return { status: provider.status(), note: provider.note };
  } catch (err) {
    const e = err as Error & { code?: unknown };
    return { status: null, note: `HA status unreadable: ${typeof e.code === 'string' ? `${e.code}: ` : ''}${e.message}` };
  }
}

export function identityOf(config: Readonly<MessageStoreConfig>, extra: Pick<NodeIdentity, 'pid' | 'version' | 'bootTimestamp' | 'adminPort' | 'haPort' | 'grpcPort'>): NodeIdentity {
  return {
    brokerClusterName: config.brokerClusterName,
    brokerName: config.brokerName,
    brokerId: config.brokerId,
    brokerAddr: `${config.brokerIP1}:${config.listenPort}`,
    haMasterAddress: config.haMasterAddress,
    storePathRootDir: config.storePathRootDir,
    storePathCommitLog: config.storePathCommitLog,
    mappedFileSizeCommitLog: config.mappedFileSizeCommitLog,
    ...extra,
  };
}
