// The DLedger section of a node's status (GET /status `dledger`, `mqstore admin dledgerStatus`):
// plain JSON built from the core's status. `peers` lists every other member; matchOffset and
// lagBytes are what the leader knows (the position that counts for the commit: fsynced under
// SYNC_FLUSH, written under ASYNC_FLUSH), null on a member that does not lead.
import type { DLedgerPeer } from '../config/dledger-peers.js';
import type { RaftSettings, RaftStatus } from '../raft/raft-types.js';
import type { TermEntry } from '../raft/term-history.js';
import type { DLedgerRoleName } from './dledger-replication.js';

export interface DLedgerPeerStatus {
  id: string;
  addr: string;
  matchOffset: number | null;
  lagBytes: number | null;
  connected: boolean;
}

export interface DLedgerStatus {
  selfId: string;
  group: string;
  role: DLedgerRoleName;
  term: number;
  leaderId: string | null;
  leaderAddr: string | null;
  confirmOffset: number;
  commitOffset: number;
  logEnd: number;
  acceptingPuts: boolean;
  elections: number;
  failure: string | null;
  /** The log's term history (term-start offsets), oldest first. */
  terms: TermEntry[];
  peers: DLedgerPeerStatus[];
}

export function roleName(role: RaftStatus['role']): DLedgerRoleName {
  return role === 'LEADER' ? 'LEADER' : role === 'FOLLOWER' ? 'FOLLOWER' : 'CANDIDATE';
}

export function dledgerStatus(
  s: RaftStatus,
  settings: RaftSettings,
  group: string,
  members: readonly DLedgerPeer[],
  extra: { acceptingPuts: boolean; failure: string | null; connected: (id: string) => boolean },
): DLedgerStatus {
  const leader = s.leaderId === null ? null : (members.find((m) => m.id === s.leaderId) ?? null);
  const peers = members
    .filter((m) => m.id !== s.selfId)
    .map((m) => {
      const p = s.role === 'LEADER' ? s.peers.find((x) => x.id === m.id) : undefined;
      const match = p === undefined ? null : settings.ackPosition === 'flushed' ? p.matchFlushed : p.matchWritten;
      return { id: m.id, addr: m.addressText, matchOffset: match, lagBytes: match === null ? null : Math.max(0, s.logEnd - match), connected: extra.connected(m.id) };
    });
  return {
    selfId: s.selfId,
    group,
    role: roleName(s.role),
    term: s.term,
    leaderId: s.leaderId,
    leaderAddr: leader?.addressText ?? null,
    confirmOffset: s.confirmOffset,
    commitOffset: s.commitOffset,
    logEnd: s.logEnd,
    acceptingPuts: extra.acceptingPuts,
    elections: s.elections,
    failure: extra.failure,
    terms: s.terms.map((e) => ({ term: e.term, startOffset: e.startOffset })),
    peers,
  };
}
