// The Raft core of one DLedger member, as a pure state machine: `step(event, nowMs)` returns the
// actions the node glue must perform (raft-types.ts has the events, the actions and the ordering
// contract). No IO, timers or sockets here; time comes in as a monotonic number, randomness from
// the injected `random` (a seeded source in the simulator).
//
// The log is the RocketMQ CommitLog, addressed by byte offsets; terms are kept as a term history
// (term-history.ts, Kafka's leader-epoch model); docs/ON_DISK_FORMAT.md has the model.
//
// Invariants:
//   - term and votedFor only move forward within a term's rules, and every message is held until
//     the persist-state action that covers the state it depends on is reported done;
//   - at most one vote per term; a vote only for a log at least as up to date (election.ts);
//   - a follower never cuts its log below its commit point (follower-append.ts); its commit point
//     is min(leader's commit, what it verified matches this term's leader) and never goes back;
//   - the leader commits only what a quorum holds, past its own term-start marker (commit-rule.ts);
//     it acknowledges (confirm) only while its lease holds, and steps down when no quorum answered
//     within the election timeout (quorum-contact.ts);
//   - a member that heard from a leader within the election timeout grants no (pre-)vote, so a
//     member that rejoins after a partition does not depose a healthy leader (pre-vote).
import { assert } from '../util/assert.js';
import { nextCommit } from './commit-rule.js';
import { decidePreVote, decideVote, electionDelayMs, quorumOf, VoteTally, type LogPosition, type VoterState } from './election.js';
import { planAppend } from './follower-append.js';
import { checkTransfer, type TransferState } from './leader-transfer.js';
import { QuorumContact } from './quorum-contact.js';
import { AckKind, RaftCode, RaftMessageType, type AckKindValue, type AppendRequest, type AppendResponse, type Heartbeat, type RaftMessage } from './raft-protocol.js';
import type { RaftAction, RaftEvent, RaftInitialState, RaftLogView, RaftPeerStatus, RaftRole, RaftSettings, RaftStatus } from './raft-types.js';
import { PeerProgress } from './replication-progress.js';
import { agreedEnd, TermHistory } from './term-history.js';

export class RaftCore {
  private role: RaftRole = 'FOLLOWER';
  private term: number;
  private votedFor: string | null;
  private leaderId: string | null = null;
  private readonly terms: TermHistory;
  /** The log end once every log action returned so far is performed. */
  private appendedEnd: number;
  private writtenEnd: number;
  private flushedEnd: number;
  private commitOffset: number;
  private confirmed: number;
  private logSeq = 0;
  private lastTruncateSeq = 0;
  private persistSeq = 0;
  private persistedSeq = 0;
  private readonly held: { seq: number; action: RaftAction }[] = [];
  private out: RaftAction[] = [];
  private now: number;
  private readonly quorum: number;
  private readonly others: readonly string[];
  // follower / candidate
  private electionDeadlineMs = 0;
  private lastLeaderContactMs: number;
  private verifiedEnd: number;
  private lastLeaderSentAtMs = -1;
  private tally: VoteTally | null = null;
  private lastReported = { written: -1, flushed: -1 };
  // leader
  private progress = new Map<string, PeerProgress>();
  private contact: QuorumContact | null = null;
  private markerSeq = 0;
  private markerEnd: number | null = null;
  private nextHeartbeatMs = 0;
  private transfer: TransferState | null = null;
  /** A transfer whose TIMEOUT_NOW went out: reported once the next leader is known. */
  private transferAwaiting: { to: string; deadlineMs: number } | null = null;
  private nextPreferredCheckMs = 0;
  private electionCount = 0;
  /** Appends refused because they would cut below the commit point (a safety bug elsewhere). */
  belowCommitRefusals = 0;

  constructor(
    private readonly settings: RaftSettings,
    initial: RaftInitialState,
    private readonly random: () => number,
    nowMs: number,
    private readonly logView: RaftLogView,
  ) {
    assert(settings.peers.includes(settings.selfId), `selfId ${settings.selfId} is not in peers`);
    assert(new Set(settings.peers).size === settings.peers.length, 'duplicate peer ids');
    this.now = nowMs;
    this.quorum = quorumOf(settings.peers.length);
    this.others = settings.peers.filter((p) => p !== settings.selfId);
    this.terms = new TermHistory(initial.terms);
    this.terms.truncate(initial.writtenEnd);
    this.appendedEnd = initial.writtenEnd;
    this.writtenEnd = initial.writtenEnd;
    this.flushedEnd = Math.min(initial.flushedEnd, initial.writtenEnd);
    this.commitOffset = Math.max(0, Math.min(initial.commitOffset, initial.writtenEnd));
    this.confirmed = this.commitOffset;
    this.verifiedEnd = this.commitOffset;
    const logTerm = this.terms.lastTerm(this.appendedEnd);
    // a vote is persisted before it is answered, so a term raised from the log has no vote yet
    this.term = Math.max(initial.term, logTerm);
    this.votedFor = this.term === initial.term ? initial.votedFor : null;
    // booting counts as hearing from a leader: no vote for one timeout (the lease of a leader we
    // may have answered just before a crash)
    this.lastLeaderContactMs = nowMs;
    this.resetElectionDeadline();
  }

  /** Feed one event; returns the actions to perform, in order. */
  step(event: RaftEvent, nowMs: number): RaftAction[] {
    this.now = Math.max(this.now, nowMs);
    this.out = [];
    switch (event.kind) {
      case 'tick':
        break;
      case 'message':
        if (this.others.includes(event.from)) this.onMessage(event.from, event.message);
        break;
      case 'persisted':
        this.onPersisted(event.seq);
        break;
      case 'log-progress':
        this.onProgress(event.appliedLogSeq, event.writtenEnd, event.flushedEnd, event.appendedEnd ?? event.writtenEnd);
        break;
      case 'marker-written':
        this.onMarkerWritten(event.logSeq, event.term, event.endOffset);
        break;
      case 'transfer-leadership':
        this.startTransfer(event.to, true);
        break;
    }
    this.runTimers();
    const out = this.out;
    this.out = [];
    return out;
  }

  /** When the core wants the next tick (monotonic ms). */
  get nextWakeMs(): number {
    if (this.role !== 'LEADER') {
      const t = this.transferAwaiting?.deadlineMs ?? Infinity;
      return Math.min(this.electionDeadlineMs, t);
    }
    let wake = Math.min(this.nextHeartbeatMs, this.contact!.quorumHeardMs(this.now) + this.settings.electionTimeoutMs);
    if (this.transfer) wake = Math.min(wake, this.transfer.deadlineMs);
    if (this.settings.preferredLeaderId !== null && this.settings.preferredLeaderId !== this.settings.selfId) wake = Math.min(wake, this.nextPreferredCheckMs);
    return wake;
  }

  status(nowMs: number = this.now): RaftStatus {
    const peers: RaftPeerStatus[] = [];
    for (const p of this.progress.values()) {
      peers.push({
        id: p.id,
        state: p.state,
        nextOffset: p.next,
        matchWritten: p.matchWritten,
        matchFlushed: p.matchFlushed,
        inflight: p.inflight.length,
        lastHeardMs: this.contact?.lastHeardMs(p.id) ?? -Infinity,
      });
    }
    return {
      selfId: this.settings.selfId,
      role: this.role,
      term: this.term,
      votedFor: this.votedFor,
      leaderId: this.leaderId,
      commitOffset: this.commitOffset,
      confirmOffset: this.confirmed,
      acceptingPuts: this.role === 'LEADER' && this.markerEnd !== null && this.transfer === null && this.leaseValid(nowMs),
      transferringTo: this.transfer?.to ?? null,
      logEnd: this.appendedEnd,
      terms: this.terms.entries,
      elections: this.electionCount,
      peers,
    };
  }

  // ---------------------------------------------------------------- plumbing

  private emit(action: RaftAction): void {
    if ((action.kind === 'send' || action.kind === 'send-append') && this.persistedSeq < this.persistSeq) {
      this.held.push({ seq: this.persistSeq, action });
      return;
    }
    this.out.push(action);
  }

  private send(to: string, message: RaftMessage): void {
    this.emit({ kind: 'send', to, message });
  }

  private persist(): void {
    this.persistSeq++;
    this.out.push({ kind: 'persist-state', seq: this.persistSeq, term: this.term, votedFor: this.votedFor });
  }

  private onPersisted(seq: number): void {
    if (seq <= this.persistedSeq) return;
    this.persistedSeq = Math.min(seq, this.persistSeq);
    while (this.held.length > 0 && this.held[0]!.seq <= this.persistedSeq) this.out.push(this.held.shift()!.action);
  }

  private myLog(): LogPosition {
    return { lastTerm: this.terms.lastTerm(this.appendedEnd), lastOffset: this.appendedEnd };
  }

  private voterState(): VoterState {
    return {
      term: this.term,
      votedFor: this.votedFor,
      isLeader: this.role === 'LEADER',
      leaderIsFresh: this.now - this.lastLeaderContactMs < this.settings.electionTimeoutMs,
      log: this.myLog(),
    };
  }

  private resetElectionDeadline(): void {
    const s = this.settings;
    this.electionDeadlineMs = this.now + electionDelayMs(s.electionTimeoutMs, s.electionJitterMinMs, s.electionJitterMaxMs, this.random);
  }

  private setRole(role: RaftRole, leaderId: string | null): void {
    const changed = role !== this.role || leaderId !== this.leaderId;
    this.role = role;
    this.leaderId = leaderId;
    if (changed) this.out.push({ kind: 'role-changed', role, term: this.term, leaderId });
  }

  // ---------------------------------------------------------------- roles

  private becomeFollower(term: number, leaderId: string | null): void {
    const termChanged = term > this.term;
    if (this.role === 'LEADER') this.leaveLeadership();
    if (termChanged) {
      this.term = term;
      this.votedFor = null;
      this.resetTermTracking();
      this.persist();
    }
    this.tally = null;
    const changed = termChanged || this.role !== 'FOLLOWER' || leaderId !== this.leaderId;
    this.role = 'FOLLOWER';
    this.leaderId = leaderId;
    if (changed) this.out.push({ kind: 'role-changed', role: 'FOLLOWER', term: this.term, leaderId });
    this.resetElectionDeadline();
    if (leaderId !== null) this.reportTransferOutcome(leaderId);
  }

  /** A new term: nothing is known to match its leader's log beyond the commit point. */
  private resetTermTracking(): void {
    this.verifiedEnd = this.commitOffset;
    this.lastLeaderSentAtMs = -1;
    this.lastReported = { written: -1, flushed: -1 };
  }

  private startPreVote(): void {
    this.setRole('PRE_CANDIDATE', null);
    this.tally = new VoteTally(this.term + 1, this.quorum, this.settings.selfId);
    this.resetElectionDeadline();
    if (this.tally.won) return this.startElection(false);
    const log = this.myLog();
    for (const to of this.others) this.send(to, { type: RaftMessageType.PRE_VOTE_REQUEST, term: this.term + 1, ...log });
  }

  private startElection(transfer: boolean): void {
    this.term++;
    this.votedFor = this.settings.selfId;
    this.resetTermTracking();
    this.electionCount++;
    this.persist();
    this.setRole('CANDIDATE', null);
    this.tally = new VoteTally(this.term, this.quorum, this.settings.selfId);
    this.resetElectionDeadline();
    if (this.tally.won) return this.becomeLeader();
    const log = this.myLog();
    for (const to of this.others) this.send(to, { type: RaftMessageType.VOTE_REQUEST, term: this.term, ...log, transfer });
  }

  private becomeLeader(): void {
    this.tally = null;
    this.setRole('LEADER', this.settings.selfId);
    this.progress = new Map(this.others.map((id) => [id, new PeerProgress(id, this.appendedEnd)]));
    this.contact = new QuorumContact(this.others, this.quorum, this.now);
    this.markerEnd = null;
    this.markerSeq = ++this.logSeq;
    this.terms.begin(this.term, this.appendedEnd);
    this.out.push({ kind: 'append-marker', logSeq: this.markerSeq, term: this.term, offset: this.appendedEnd });
    this.transfer = null;
    this.nextHeartbeatMs = this.now;
    this.nextPreferredCheckMs = this.now + this.settings.preferredLeaderCheckIntervalMs;
  }

  private leaveLeadership(): void {
    if (this.transfer) {
      if (this.transfer.timeoutNowSent) this.transferAwaiting = { to: this.transfer.to, deadlineMs: this.transfer.deadlineMs };
      else this.out.push({ kind: 'transfer-done', to: this.transfer.to, code: RaftCode.TERM_CHANGED, reason: `the term changed before ${this.transfer.to} caught up` });
    }
    this.transfer = null;
    this.progress = new Map();
    this.contact = null;
    this.markerEnd = null;
    this.terms.truncate(this.appendedEnd); // a marker that never reached the log leaves no entry
  }

  // ---------------------------------------------------------------- messages

  private onMessage(from: string, m: RaftMessage): void {
    switch (m.type) {
      case RaftMessageType.PRE_VOTE_REQUEST: {
        const d = decidePreVote(this.voterState(), m.term, m);
        return this.send(from, { type: RaftMessageType.PRE_VOTE_RESPONSE, term: d.granted ? m.term : this.term, granted: d.granted, code: d.code });
      }
      case RaftMessageType.PRE_VOTE_RESPONSE:
        if (!m.granted && m.term > this.term) return this.becomeFollower(m.term, null);
        if (this.role === 'PRE_CANDIDATE' && this.tally && m.term === this.tally.term) {
          this.tally.record(from, m.granted);
          if (this.tally.won) this.startElection(false);
        }
        return;
      case RaftMessageType.VOTE_REQUEST:
        return this.onVoteRequest(from, m.term, m, m.transfer);
      case RaftMessageType.VOTE_RESPONSE:
        if (m.term > this.term) return this.becomeFollower(m.term, null);
        if (this.role === 'CANDIDATE' && this.tally && m.term === this.term) {
          this.tally.record(from, m.granted);
          if (this.tally.won) this.becomeLeader();
        }
        return;
      case RaftMessageType.APPEND_REQUEST:
      case RaftMessageType.HEARTBEAT:
        return this.onLeaderRequest(from, m);
      case RaftMessageType.APPEND_RESPONSE:
        return this.onAppendResponse(from, m);
      case RaftMessageType.TIMEOUT_NOW:
        if (m.term === this.term && this.role === 'FOLLOWER' && this.leaderId === from) this.startElection(true);
        return;
    }
  }

  private onVoteRequest(from: string, term: number, candidate: LogPosition, transfer: boolean): void {
    let d = decideVote(this.voterState(), from, term, candidate, transfer);
    if (d.kind === 'adopt-term') {
      this.becomeFollower(term, null);
      d = decideVote(this.voterState(), from, term, candidate, transfer);
    }
    if (d.kind === 'grant') {
      if (this.votedFor !== from) {
        this.votedFor = from;
        this.persist();
      }
      this.resetElectionDeadline();
      return this.send(from, { type: RaftMessageType.VOTE_RESPONSE, term: this.term, granted: true, code: RaftCode.SUCCESS });
    }
    this.send(from, { type: RaftMessageType.VOTE_RESPONSE, term: this.term, granted: false, code: d.kind === 'refuse' ? d.code : RaftCode.REJECT_ALREADY_VOTED });
  }

  private onLeaderRequest(from: string, m: AppendRequest | Heartbeat): void {
    const kind = m.type === RaftMessageType.HEARTBEAT ? AckKind.HEARTBEAT : AckKind.APPEND;
    const prev = m.type === RaftMessageType.APPEND_REQUEST ? m.prevOffset : -1;
    const end = m.type === RaftMessageType.APPEND_REQUEST ? m.prevOffset + m.data.length : -1;
    if (m.term < this.term) return this.ack(from, RaftCode.EXPIRED_TERM, kind, prev, end);
    if (m.term === this.term && this.role === 'LEADER') return this.ack(from, RaftCode.INCONSISTENT_LEADER, kind, prev, end);
    if (m.term > this.term || this.role !== 'FOLLOWER' || this.leaderId === null) this.becomeFollower(m.term, from);
    else if (this.leaderId !== from) return this.ack(from, RaftCode.INCONSISTENT_LEADER, kind, prev, end);
    this.lastLeaderContactMs = this.now;
    this.lastLeaderSentAtMs = Math.max(this.lastLeaderSentAtMs, m.sentAtMs);
    this.resetElectionDeadline();
    if (m.type === RaftMessageType.APPEND_REQUEST) {
      const code = this.followerAppend(m);
      if (code !== RaftCode.SUCCESS) return this.ack(from, code, kind, prev, end);
    }
    this.advanceFollowerCommit(m.commitOffset);
    this.ack(from, RaftCode.SUCCESS, kind, prev, end);
  }

  private followerAppend(m: AppendRequest): number {
    const plan = planAppend(this.terms, this.appendedEnd, this.commitOffset, { prevOffset: m.prevOffset, prevTerm: m.prevTerm, dataTerm: m.dataTerm, length: m.data.length });
    if (plan.kind === 'refuse-gap' || plan.kind === 'refuse-term') return RaftCode.INCONSISTENT_STATE;
    if (plan.kind === 'refuse-below-commit') {
      this.belowCommitRefusals++;
      return RaftCode.TRUNCATE_BELOW_COMMIT;
    }
    if (plan.truncateTo !== null) {
      assert(plan.truncateTo >= this.commitOffset, 'truncation below the commit point');
      this.lastTruncateSeq = ++this.logSeq;
      this.out.push({ kind: 'truncate', logSeq: this.lastTruncateSeq, toOffset: plan.truncateTo });
      this.appendedEnd = plan.truncateTo;
      this.writtenEnd = Math.min(this.writtenEnd, plan.truncateTo);
      this.flushedEnd = Math.min(this.flushedEnd, plan.truncateTo);
      this.terms.truncate(plan.truncateTo);
    }
    if (plan.writeFrom < plan.end) {
      assert(plan.writeFrom === this.appendedEnd, `append at ${plan.writeFrom}, log end ${this.appendedEnd}`);
      const newTerm = this.terms.newestTerm !== m.dataTerm;
      if (newTerm) this.terms.begin(m.dataTerm, plan.writeFrom);
      this.out.push({ kind: 'append', logSeq: ++this.logSeq, offset: plan.writeFrom, data: m.data.subarray(plan.writeFrom - m.prevOffset), term: m.dataTerm, newTerm });
      this.appendedEnd = plan.end;
    }
    this.verifiedEnd = Math.max(this.verifiedEnd, plan.end);
    return RaftCode.SUCCESS;
  }

  private ack(to: string, code: number, ackKind: AckKindValue, prevOffset: number, endOffset: number): void {
    const matchWritten = Math.min(this.writtenEnd, this.verifiedEnd);
    const matchFlushed = Math.min(this.flushedEnd, this.verifiedEnd);
    if (code === RaftCode.SUCCESS) this.lastReported = { written: matchWritten, flushed: matchFlushed };
    const message: AppendResponse = {
      type: RaftMessageType.APPEND_RESPONSE,
      term: this.term,
      code,
      ackKind,
      prevOffset,
      endOffset,
      matchWritten,
      matchFlushed,
      logEnd: this.appendedEnd,
      sentAtMs: this.lastLeaderSentAtMs,
      terms: code === RaftCode.INCONSISTENT_STATE ? this.terms.entries.slice() : [],
    };
    this.send(to, message);
  }

  private advanceFollowerCommit(leaderCommit: number): void {
    const c = Math.min(leaderCommit, this.verifiedEnd);
    if (c > this.commitOffset) this.commitOffset = c;
    this.emitConfirm();
  }

  private emitConfirm(): void {
    const offset = this.role === 'LEADER' ? (this.leaseValid(this.now) ? this.commitOffset : this.confirmed) : Math.min(this.commitOffset, this.writtenEnd);
    if (offset > this.confirmed) {
      this.confirmed = offset;
      this.out.push({ kind: 'confirm', offset });
    }
  }

  // ---------------------------------------------------------------- leader

  private onAppendResponse(from: string, m: AppendResponse): void {
    if (m.term > this.term) return this.becomeFollower(m.term, null);
    if (m.term < this.term || this.role !== 'LEADER') return;
    const p = this.progress.get(from)!;
    this.contact!.heard(from, this.now, m.sentAtMs);
    if (m.code === RaftCode.SUCCESS) {
      p.raiseMatch(Math.min(m.matchWritten, this.writtenEnd), Math.min(m.matchFlushed, this.writtenEnd));
      if (m.ackKind === AckKind.APPEND) p.acked(m.prevOffset, m.endOffset);
      else if (m.ackKind === AckKind.HEARTBEAT) p.heartbeatShowsLoss(m.sentAtMs, m.logEnd);
    } else if (m.code === RaftCode.INCONSISTENT_STATE) {
      const agreed = agreedEnd(m.terms, m.logEnd, this.terms.entries, this.writtenEnd);
      if (m.ackKind === AckKind.APPEND) p.refused(m.prevOffset, agreed);
    }
    this.replicateTo(p);
    this.recomputeCommit();
    this.maybeSendTimeoutNow();
  }

  private replicateTo(p: PeerProgress): void {
    const s = this.settings;
    for (let sent = 0; sent <= s.maxInflightAppends && p.canSend(s.maxInflightAppends); sent++) {
      const from = Math.min(p.next, this.writtenEnd);
      if (p.state === 'replicate' && from >= this.writtenEnd) return;
      const runEnd = this.terms.runEnd(from, this.writtenEnd);
      const length = from >= runEnd ? 0 : this.logView.alignedEnd(from, Math.min(runEnd, from + s.maxAppendBytes)) - from;
      assert(length >= 0 && from + length <= runEnd, `aligned end ${from + length} outside (${from}, ${runEnd}]`);
      const header = {
        term: this.term,
        prevOffset: from,
        prevTerm: this.terms.termAt(from - 1),
        dataTerm: length > 0 ? this.terms.termAt(from) : this.term,
        commitOffset: this.commitOffset,
        sentAtMs: this.now,
      };
      this.emit({ kind: 'send-append', to: p.id, header, length });
      p.sent(from, from + length, this.now);
      if (p.state === 'probe') return;
    }
  }

  private recomputeCommit(): void {
    const s = this.settings;
    const self = s.ackPosition === 'flushed' ? this.flushedEnd : this.writtenEnd;
    const positions = [self, ...[...this.progress.values()].map((p) => p.counted(s.ackPosition))];
    this.commitOffset = nextCommit({ positions, quorum: this.quorum, currentCommit: this.commitOffset, markerEnd: this.markerEnd, currentTermRule: s.currentTermCommitRule });
    this.emitConfirm();
  }

  private leaseValid(nowMs: number): boolean {
    if (this.role !== 'LEADER' || this.contact === null) return false;
    if (this.transfer?.timeoutNowSent) return false;
    if (this.others.length === 0) return true;
    return nowMs < this.contact.leaseBaseMs(nowMs) + this.settings.electionTimeoutMs - this.settings.leaseMarginMs;
  }

  private onMarkerWritten(logSeq: number, term: number, endOffset: number): void {
    if (this.role !== 'LEADER' || term !== this.term || logSeq !== this.markerSeq) return;
    this.markerEnd = endOffset;
    this.appendedEnd = Math.max(this.appendedEnd, endOffset);
    this.writtenEnd = Math.max(this.writtenEnd, endOffset);
    for (const p of this.progress.values()) this.replicateTo(p);
    this.recomputeCommit();
  }

  private onProgress(appliedLogSeq: number, writtenEnd: number, flushedEnd: number, appendedEnd: number): void {
    if (appliedLogSeq < this.lastTruncateSeq) return; // measured before a truncation
    // a leader learns its own puts here; the log end may be past the page cache (buffer mode)
    if (this.role === 'LEADER') this.appendedEnd = Math.max(this.appendedEnd, appendedEnd, writtenEnd);
    this.writtenEnd = Math.min(writtenEnd, this.appendedEnd);
    this.flushedEnd = Math.min(flushedEnd, this.writtenEnd);
    if (this.role === 'LEADER') {
      for (const p of this.progress.values()) this.replicateTo(p);
      this.recomputeCommit();
      this.maybeSendTimeoutNow();
      return;
    }
    this.emitConfirm();
    if (this.role === 'FOLLOWER' && this.leaderId !== null) {
      const w = Math.min(this.writtenEnd, this.verifiedEnd);
      const f = Math.min(this.flushedEnd, this.verifiedEnd);
      if (w > this.lastReported.written || f > this.lastReported.flushed) this.ack(this.leaderId, RaftCode.SUCCESS, AckKind.PROGRESS, -1, -1);
    }
  }

  // ---------------------------------------------------------------- transfer

  private startTransfer(to: string, asked: boolean): void {
    const p = this.progress.get(to);
    const check = checkTransfer({
      to,
      selfId: this.settings.selfId,
      peers: this.settings.peers,
      isLeader: this.role === 'LEADER',
      busyWith: this.transfer?.to ?? null,
      lagBytes: p ? this.writtenEnd - p.matchWritten : 0,
      maxLagBytes: this.settings.transferMaxLagBytes,
    });
    if (!check.ok) {
      if (asked) this.out.push({ kind: 'transfer-done', to, code: check.code, reason: check.reason });
      return;
    }
    this.transfer = { to, deadlineMs: this.now + this.settings.transferTimeoutMs, timeoutNowSent: false };
    this.maybeSendTimeoutNow();
  }

  private maybeSendTimeoutNow(): void {
    const t = this.transfer;
    if (!t || t.timeoutNowSent || this.markerEnd === null) return;
    const p = this.progress.get(t.to)!;
    if (p.matchWritten < this.writtenEnd) return;
    t.timeoutNowSent = true;
    this.send(t.to, { type: RaftMessageType.TIMEOUT_NOW, term: this.term });
  }

  private reportTransferOutcome(leaderId: string): void {
    const a = this.transferAwaiting;
    if (!a) return;
    this.transferAwaiting = null;
    const ok = leaderId === a.to;
    this.out.push({
      kind: 'transfer-done',
      to: a.to,
      code: ok ? RaftCode.SUCCESS : RaftCode.TAKE_LEADERSHIP_FAILED,
      reason: ok ? `${a.to} leads term ${this.term}` : `${leaderId} leads term ${this.term}, not ${a.to}`,
    });
  }

  // ---------------------------------------------------------------- timers

  private runTimers(): void {
    const s = this.settings;
    if (this.transferAwaiting && this.now >= this.transferAwaiting.deadlineMs) {
      const to = this.transferAwaiting.to;
      this.transferAwaiting = null;
      this.out.push({ kind: 'transfer-done', to, code: RaftCode.TAKE_LEADERSHIP_FAILED, reason: `${to} did not take over in ${s.transferTimeoutMs} ms` });
    }
    if (this.role !== 'LEADER') {
      if (this.now >= this.electionDeadlineMs) {
        if (s.preVote) this.startPreVote();
        else this.startElection(false);
      }
      return;
    }
    const contact = this.contact!;
    if (this.now - contact.quorumHeardMs(this.now) >= s.electionTimeoutMs) {
      // check-quorum: cut off from a majority, stop acting as leader
      this.becomeFollower(this.term, null);
      return;
    }
    if (this.transfer && this.now >= this.transfer.deadlineMs) {
      const { to, timeoutNowSent } = this.transfer;
      this.transfer = null;
      this.out.push({ kind: 'transfer-done', to, code: RaftCode.TAKE_LEADERSHIP_FAILED, reason: `${to} did not take over in ${s.transferTimeoutMs} ms` });
      if (timeoutNowSent) {
        // votes for a transferee ignore sticky leaders, so a delayed one may still elect it: the
        // lease given up with TIMEOUT_NOW is never taken back; step down, the group elects again
        this.becomeFollower(this.term, null);
        return;
      }
    }
    if (this.now >= this.nextHeartbeatMs) {
      this.nextHeartbeatMs = this.now + s.heartbeatIntervalMs;
      const hb: Heartbeat = { type: RaftMessageType.HEARTBEAT, term: this.term, commitOffset: this.commitOffset, sentAtMs: this.now };
      for (const p of this.progress.values()) {
        this.send(p.id, hb);
        if (p.stalled(this.now, s.appendTimeoutMs)) p.toProbe(p.state === 'probe' ? p.next : p.matchWritten);
        this.replicateTo(p);
      }
    }
    const preferred = s.preferredLeaderId;
    if (preferred !== null && preferred !== s.selfId && this.now >= this.nextPreferredCheckMs) {
      this.nextPreferredCheckMs = this.now + s.preferredLeaderCheckIntervalMs;
      const p = this.progress.get(preferred);
      if (p && !this.transfer && this.now - contact.lastHeardMs(preferred) < s.electionTimeoutMs) this.startTransfer(preferred, false);
    }
  }
}
