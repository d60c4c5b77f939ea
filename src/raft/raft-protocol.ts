// The messages Raft members exchange, as plain typed objects (the binary frames are
// raft-codec.ts), and the stable response codes (DLedger's numbers where DLedger has the case).
//
// Offsets are byte offsets of the RocketMQ CommitLog; a term of a byte is looked up in the sender's
// term history (term-history.ts). Every message carries the sender's current term.
//
//   PRE_VOTE_REQUEST   would you vote for me in `term` (my current term + 1)? Changes no state.
//   PRE_VOTE_RESPONSE  granted, or not (then `term` is the responder's term).
//   VOTE_REQUEST       vote for me in `term`; `transfer` = a leadership transfer asked for it
//                      (the receiver then ignores that it heard from a leader recently).
//   VOTE_RESPONSE      granted or not, with why (`code`).
//   APPEND_REQUEST     bytes [prevOffset, prevOffset + data.length), all of term `dataTerm`, follow
//                      the byte at prevOffset - 1 of term `prevTerm` (0 when prevOffset is 0);
//                      data may be empty (a probe); `commitOffset` = the leader's commit point.
//   HEARTBEAT          I am the leader of `term`; my commit point.
//   APPEND_RESPONSE    the follower's answer to an append or a heartbeat, and its unprompted
//                      progress report: positions it holds that match the leader's log
//                      (`matchWritten`, `matchFlushed`), its log end; on INCONSISTENT_STATE its
//                      term history so the leader can find where the logs agree.
//   TIMEOUT_NOW        leadership transfer: the leader asks the transferee to start an election now.
// `sentAtMs` is the leader's own monotonic time when it sent a request; followers echo the newest
// they received, and only the leader compares it (its lease), so clocks need not agree.
import type { TermEntry } from './term-history.js';

export const RaftMessageType = {
  PRE_VOTE_REQUEST: 1,
  PRE_VOTE_RESPONSE: 2,
  VOTE_REQUEST: 3,
  VOTE_RESPONSE: 4,
  APPEND_REQUEST: 5,
  APPEND_RESPONSE: 6,
  HEARTBEAT: 7,
  TIMEOUT_NOW: 8,
} as const;
export type RaftMessageTypeValue = (typeof RaftMessageType)[keyof typeof RaftMessageType];

/** Response codes (stable numbers; DLedger's where it has the same case, spec §9.1). */
export const RaftCode = {
  SUCCESS: 200,
  /** The request's term is older than the receiver's. */
  EXPIRED_TERM: 403,
  NOT_LEADER: 404,
  /** The append does not follow the receiver's log (gap or different term at prevOffset - 1). */
  INCONSISTENT_STATE: 406,
  /** A different leader is known for this term. */
  INCONSISTENT_LEADER: 409,
  /** A transferee lags too far behind. */
  FALL_BEHIND_TOO_MUCH: 417,
  /** The transferee did not catch up, or did not win, in time. */
  TAKE_LEADERSHIP_FAILED: 418,
  /** mqstore: the append would cut the receiver's log below its commit point: refused (a safety bug elsewhere). */
  TRUNCATE_BELOW_COMMIT: 420,
  /** Votes: already voted for someone else in this term. */
  REJECT_ALREADY_VOTED: 430,
  /** Votes: the candidate's log is not at least as up to date (last term, last offset). */
  REJECT_LOG_BEHIND: 431,
  /** Votes: the receiver heard from a leader within the election timeout (sticky leader). */
  REJECT_HAS_LEADER: 432,
  /** The term changed while the request was pending. */
  TERM_CHANGED: 501,
  LEADER_TRANSFERRING: 506,
  /** mqstore: the peer id is not a member of the group. */
  UNKNOWN_MEMBER: 520,
} as const;
export type RaftCodeValue = (typeof RaftCode)[keyof typeof RaftCode];

export interface PreVoteRequest {
  readonly type: typeof RaftMessageType.PRE_VOTE_REQUEST;
  readonly term: number;
  readonly lastOffset: number;
  readonly lastTerm: number;
}

export interface PreVoteResponse {
  readonly type: typeof RaftMessageType.PRE_VOTE_RESPONSE;
  readonly term: number;
  readonly granted: boolean;
  readonly code: number;
}

export interface VoteRequest {
  readonly type: typeof RaftMessageType.VOTE_REQUEST;
  readonly term: number;
  readonly lastOffset: number;
  readonly lastTerm: number;
  readonly transfer: boolean;
}

export interface VoteResponse {
  readonly type: typeof RaftMessageType.VOTE_RESPONSE;
  readonly term: number;
  readonly granted: boolean;
  readonly code: number;
}

/** An append without its bytes: what the core decides; the glue reads the bytes. */
export interface AppendHeader {
  readonly term: number;
  readonly prevOffset: number;
  readonly prevTerm: number;
  readonly dataTerm: number;
  readonly commitOffset: number;
  readonly sentAtMs: number;
}

export interface AppendRequest extends AppendHeader {
  readonly type: typeof RaftMessageType.APPEND_REQUEST;
  readonly data: Uint8Array;
}

export interface Heartbeat {
  readonly type: typeof RaftMessageType.HEARTBEAT;
  readonly term: number;
  readonly commitOffset: number;
  readonly sentAtMs: number;
}

/** What an APPEND_RESPONSE answers. */
export const AckKind = { APPEND: 0, HEARTBEAT: 1, PROGRESS: 2 } as const;
export type AckKindValue = (typeof AckKind)[keyof typeof AckKind];

export interface AppendResponse {
  readonly type: typeof RaftMessageType.APPEND_RESPONSE;
  readonly term: number;
  readonly code: number;
  readonly ackKind: AckKindValue;
  /** APPEND: the request's prevOffset and prevOffset + data.length (else -1, -1). */
  readonly prevOffset: number;
  readonly endOffset: number;
  /** Bytes known to match the leader's log in this term, written / fsynced (<= logEnd). */
  readonly matchWritten: number;
  readonly matchFlushed: number;
  readonly logEnd: number;
  /** The newest `sentAtMs` received from this leader (-1 if none yet). */
  readonly sentAtMs: number;
  /** INCONSISTENT_STATE only: the follower's term history (else empty). */
  readonly terms: readonly TermEntry[];
}

export interface TimeoutNow {
  readonly type: typeof RaftMessageType.TIMEOUT_NOW;
  readonly term: number;
}

export type RaftMessage = PreVoteRequest | PreVoteResponse | VoteRequest | VoteResponse | AppendRequest | Heartbeat | AppendResponse | TimeoutNow;

/** A message with its addressing: the group name and the sender/receiver member ids. */
export interface RaftEnvelope {
  readonly group: string;
  readonly from: string;
  readonly to: string;
  readonly message: RaftMessage;
}

export function describeMessage(m: RaftMessage): string {
  switch (m.type) {
    case RaftMessageType.PRE_VOTE_REQUEST:
      return `pre-vote? t${m.term} last ${m.lastTerm}@${m.lastOffset}`;
    case RaftMessageType.PRE_VOTE_RESPONSE:
      return `pre-vote t${m.term} ${m.granted ? 'granted' : `refused ${m.code}`}`;
    case RaftMessageType.VOTE_REQUEST:
      return `vote? t${m.term} last ${m.lastTerm}@${m.lastOffset}${m.transfer ? ' (transfer)' : ''}`;
    case RaftMessageType.VOTE_RESPONSE:
      return `vote t${m.term} ${m.granted ? 'granted' : `refused ${m.code}`}`;
    case RaftMessageType.APPEND_REQUEST:
      return `append t${m.term} [${m.prevOffset}, ${m.prevOffset + m.data.length}) of t${m.dataTerm} after t${m.prevTerm} commit ${m.commitOffset}`;
    case RaftMessageType.HEARTBEAT:
      return `heartbeat t${m.term} commit ${m.commitOffset}`;
    case RaftMessageType.APPEND_RESPONSE:
      return `ack t${m.term} ${m.code} kind ${m.ackKind} [${m.prevOffset}, ${m.endOffset}) match w${m.matchWritten}/f${m.matchFlushed} end ${m.logEnd}`;
    case RaftMessageType.TIMEOUT_NOW:
      return `timeout-now t${m.term}`;
  }
}
