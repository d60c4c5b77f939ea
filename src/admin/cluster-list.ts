// `clusterList` of one node's replica group, from its /status document: one row per member with
// its role and address. Classic master/slave: the node itself, plus what its HA side sees (a
// master: one row per connected slave, addressed by the slave's HA connection; a slave: its
// master at haMasterAddress). A DLedger group: when /status carries `dledger` (selfId, role,
// term, leaderId, leaderAddr, peers[{id, addr, ...}]), one row per peer, the leader marked.
// Fields are only added, never renamed (the CLI and scripts read them).
import type { NodeStatus } from './node-status.js';

export interface ClusterMember {
  clusterName: string;
  brokerName: string;
  /** RocketMQ brokerId (0 = master); null when the member is seen only by its connection. */
  brokerId: number | null;
  /** DLedger peer id (n0, n1, ...), else null. */
  peerId: string | null;
  role: string;
  /** The address the member is known by: brokerIP1:listenPort for this node, the HA or DLedger
   * address for the others. */
  addr: string;
  /** This node's gRPC endpoint (host:port) when it serves one. */
  grpcAddr: string | null;
  version: string | null;
  /** This node's put TPS; null for members seen from here only. */
  inTps: number | null;
  self: boolean;
  /** Where the row comes from: 'self', 'ha' (an HA connection or haMasterAddress), 'dledger'. */
  source: 'self' | 'ha' | 'dledger';
}

export interface ClusterList {
  clusterName: string;
  brokerName: string;
  /** 'master-slave' or 'dledger'. */
  mode: 'master-slave' | 'dledger';
  term: number | null;
  members: ClusterMember[];
}

/** What another helper adds to /status for a DLedger group (read defensively). */
interface DLedgerStatus {
  selfId: string;
  role: string;
  term?: number;
  leaderId?: string | null;
  leaderAddr?: string | null;
  peers: Array<{ id: string; addr: string; role?: string }>;
}

function dledgerOf(status: NodeStatus): DLedgerStatus | null {
  const d = (status as NodeStatus & { dledger?: unknown }).dledger as Partial<DLedgerStatus> | null | undefined;
  if (!d || typeof d !== 'object' || typeof d.selfId !== 'string' || !Array.isArray(d.peers)) return null;
  return d as DLedgerStatus;
}

export function clusterList(status: NodeStatus): ClusterList {
  const base = { clusterName: status.brokerClusterName, brokerName: status.brokerName };
  const host = status.brokerAddr.slice(0, status.brokerAddr.lastIndexOf(':'));
  const self: ClusterMember = {
    ...base,
    brokerId: status.brokerId,
    peerId: null,
    role: status.brokerRole,
    addr: status.brokerAddr,
    grpcAddr: status.grpcPort === null ? null : `${host}:${status.grpcPort}`,
    version: `mqstore ${status.version}`,
    inTps: status.putTps,
    self: true,
    source: 'self',
  };
  const d = dledgerOf(status);
  if (d) {
    const members = d.peers.map((p): ClusterMember => {
      const role = p.id === d.selfId ? d.role : (p.role ?? (d.leaderId === p.id ? 'LEADER' : d.leaderId ? 'FOLLOWER' : 'UNKNOWN'));
      return p.id === d.selfId ? { ...self, peerId: p.id, role, source: 'dledger' } : { ...base, brokerId: null, peerId: p.id, role, addr: String(p.addr), grpcAddr: null, version: null, inTps: null, self: false, source: 'dledger' };
    });
    return { ...base, mode: 'dledger', term: typeof d.term === 'number' ? d.term : null, members };
  }
  const members = [self];
  const ha = status.ha;
  if (ha?.kind === 'master') {
    for (const s of ha.slaves) {
      members.push({ ...base, brokerId: null, peerId: null, role: s.inSync ? 'SLAVE' : 'SLAVE (behind)', addr: s.address, grpcAddr: null, version: null, inTps: null, self: false, source: 'ha' });
    }
  } else if (status.haMasterAddress !== null && status.brokerRole === 'SLAVE') {
    const connected = ha?.kind === 'slave' ? ha.connected : false;
    members.unshift({ ...base, brokerId: 0, peerId: null, role: connected ? 'MASTER' : 'MASTER (not connected)', addr: status.haMasterAddress, grpcAddr: null, version: null, inTps: null, self: false, source: 'ha' });
  }
  return { ...base, mode: 'master-slave', term: null, members };
}
