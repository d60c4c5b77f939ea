// Election rules of the Raft core, as pure functions and one small tally: the up-to-date check,
// whether a (pre-)vote is granted, the randomized timeout, and counting answers to a quorum.
//
// Rules (Raft §5.2, §5.4.1; pre-vote and sticky leaders from Ongaro's thesis §9.6, §4.2.3):
//   - a log is at least as up to date as another when its last term is larger, or equal with an
//     end offset at least as large (the last term is the term of the log's last byte);
//   - a member that heard from a live leader within the election timeout grants neither pre-votes
//     nor votes (unless the vote is a leadership transfer's), and does not adopt the higher term
//     of such a request: a member that was cut off cannot depose a healthy leader;
//   - a pre-vote is granted for a term above the receiver's to an up-to-date log and changes
//     nothing; a vote is granted once per term (votedFor, persisted before the answer leaves).
import { RaftCode } from './raft-protocol.js';

export interface LogPosition {
  readonly lastTerm: number;
  readonly lastOffset: number;
}

export function isUpToDate(candidate: LogPosition, mine: LogPosition): boolean {
  return candidate.lastTerm > mine.lastTerm || (candidate.lastTerm === mine.lastTerm && candidate.lastOffset >= mine.lastOffset);
}

export interface VoterState {
  readonly term: number;
  readonly votedFor: string | null;
  readonly isLeader: boolean;
  /** Heard from a leader within the election timeout (or booted within it). */
  readonly leaderIsFresh: boolean;
  readonly log: LogPosition;
}

export interface PreVoteDecision {
  readonly granted: boolean;
  readonly code: number;
}

export function decidePreVote(me: VoterState, requestTerm: number, candidate: LogPosition): PreVoteDecision {
  if (requestTerm <= me.term) return { granted: false, code: RaftCode.EXPIRED_TERM };
  if (me.isLeader || me.leaderIsFresh) return { granted: false, code: RaftCode.REJECT_HAS_LEADER };
  if (!isUpToDate(candidate, me.log)) return { granted: false, code: RaftCode.REJECT_LOG_BEHIND };
  return { granted: true, code: RaftCode.SUCCESS };
}

export type VoteDecision =
  /** Ignore the request's term (sticky leader / older term): refuse without changing state. */
  | { readonly kind: 'refuse'; readonly code: number }
  /** Adopt the request's term first (as a follower with no leader), then decide again. */
  | { readonly kind: 'adopt-term' }
  | { readonly kind: 'grant' };

export function decideVote(me: VoterState, candidateId: string, requestTerm: number, candidate: LogPosition, transfer: boolean): VoteDecision {
  if (requestTerm < me.term) return { kind: 'refuse', code: RaftCode.EXPIRED_TERM };
  if (requestTerm > me.term) {
    if (!transfer && (me.isLeader || me.leaderIsFresh)) return { kind: 'refuse', code: RaftCode.REJECT_HAS_LEADER };
    return { kind: 'adopt-term' };
  }
  if (me.isLeader) return { kind: 'refuse', code: RaftCode.REJECT_ALREADY_VOTED };
  if (me.votedFor !== null && me.votedFor !== candidateId) return { kind: 'refuse', code: RaftCode.REJECT_ALREADY_VOTED };
  if (!isUpToDate(candidate, me.log)) return { kind: 'refuse', code: RaftCode.REJECT_LOG_BEHIND };
  return { kind: 'grant' };
}

/** A fresh election deadline: timeout + a random delay in [jitterMin, jitterMax]. */
export function electionDelayMs(timeoutMs: number, jitterMinMs: number, jitterMaxMs: number, random: () => number): number {
  return timeoutMs + jitterMinMs + Math.floor(random() * (jitterMaxMs - jitterMinMs + 1));
}

/** Answers to one (pre-)vote round; self counts as granted. */
export class VoteTally {
  private readonly granted = new Set<string>();
  private readonly refused = new Set<string>();

  constructor(
    readonly term: number,
    private readonly quorum: number,
    selfId: string,
  ) {
    this.granted.add(selfId);
  }

  record(from: string, granted: boolean): void {
    if (this.granted.has(from) || this.refused.has(from)) return; // a duplicate answer
    (granted ? this.granted : this.refused).add(from);
  }

  get won(): boolean {
    return this.granted.size >= this.quorum;
  }

  get grants(): number {
    return this.granted.size;
  }
}

export function quorumOf(members: number): number {
  return Math.floor(members / 2) + 1;
}
