// The replication policy of a DLedger member (replication/replication-policy.ts), decided by
// its Raft core (dledger-member.ts):
//   - role: 'LEADER' | 'FOLLOWER' | 'CANDIDATE' (a pre-candidate shows as CANDIDATE);
//   - follows: not the leader, or log actions still run (the store keeps taking replicated bytes
//     and allows a truncation until they are done);
//   - putRefusal: unless the core accepts puts (leader, marker written, lease valid, no
//     transfer), SERVICE_NOT_AVAILABLE naming the leader this member knows;
//   - busyRefusal: maxPendingRequestsNum puts already wait for a majority: OS_PAGE_CACHE_BUSY;
//   - onAppended: the core learns the leader's new log end synchronously (raft-types.ts rule);
//   - afterAppend: wait for the confirm offset (pending-acks.ts); waitFailure maps the outcomes
//     to RocketMQ's DLedger statuses: timed-out -> IN_SYNC_REPLICAS_NOT_ENOUGH, leadership lost ->
//     UNKNOWN_ERROR (DLedger's TERM_CHANGED: the put may or may not survive, retry it);
//   - confirmOffset: the core's confirm (consumers on every member read only committed bytes).
import type { ReplicationPolicy } from '../replication/replication-policy.js';
import type { ReplicationWait } from '../replication/replication-types.js';
import { PutMessageStatus } from '../store/statuses.js';
import type { DLedgerMember } from './dledger-member.js';

export type DLedgerRoleName = 'LEADER' | 'FOLLOWER' | 'CANDIDATE';

export class DLedgerReplication implements ReplicationPolicy {
  readonly wantsPromptCommit = false;

  constructor(
    private readonly member: DLedgerMember,
    /** "n1 (host:port)" for a member id. */
    private readonly describe: (id: string) => string,
    private readonly maxWaitAckTimeMs: number,
  ) {}

  get role(): DLedgerRoleName {
    const r = this.member.role;
    return r === 'LEADER' ? 'LEADER' : r === 'FOLLOWER' ? 'FOLLOWER' : 'CANDIDATE';
  }

  get follows(): boolean {
    return this.member.role !== 'LEADER' || this.member.logBusy;
  }

  putRefusal(): string | null {
    const m = this.member;
    if (m.failure !== null) return `the DLedger member stopped: ${m.failure}`;
    if (m.acceptingPuts()) return null;
    if (m.role === 'LEADER') return 'the DLedger leader does not take puts right now (its term marker is not written yet, its lease lapsed, or a leadership transfer runs); retry shortly';
    const leader = m.leaderId;
    return `not the DLedger leader; ${leader === null ? 'no leader is known (an election may be running)' : `leader is ${this.describe(leader)}`}`;
  }

  busyRefusal(): string | null {
    const p = this.member.pending;
    return p.size >= p.maxPending ? `${p.size} puts already wait for a DLedger majority (maxPendingRequestsNum=${p.maxPending})` : null;
  }

  onAppended(endOffset: number): void {
    this.member.onAppended(endOffset);
  }

  afterAppend(endOffset: number): Promise<ReplicationWait> {
    return this.member.waitConfirm(endOffset);
  }

  waitFailure(wait: Exclude<ReplicationWait, 'ok'>): { status: PutMessageStatus; reason: string } {
    if (wait === 'timed-out') {
      return { status: PutMessageStatus.IN_SYNC_REPLICAS_NOT_ENOUGH, reason: `no DLedger majority confirmed the message within maxWaitAckTimeMs=${this.maxWaitAckTimeMs} ms (it may still commit)` };
    }
    return { status: PutMessageStatus.UNKNOWN_ERROR, reason: 'DLedger leadership changed before a majority confirmed the message (TERM_CHANGED): it may or may not be kept; retry it' };
  }

  confirmOffset(): number {
    return this.member.confirmed;
  }
}
