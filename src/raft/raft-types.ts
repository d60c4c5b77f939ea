// The Raft core's interface, as data: its settings, the events the node glue feeds it and the
// actions it answers with (raft-core.ts is the machine). The glue owns every IO: it persists,
// writes the log, sends, reads the clock and calls `step` again when `nextWakeMs` comes.
//
// Ordering contract the glue must keep:
//   - actions are performed in the order returned; log actions (append, truncate, append-marker)
//     one after the other on the CommitLog, each at the end the previous one left;
//   - `persisted {seq}` is reported only once the hard state of that persist-state action (and all
//     earlier ones) is fsynced; the core holds every message it emits meanwhile;
//   - `log-progress {appliedLogSeq}` reports the log after the log action numbered appliedLogSeq
//     (and the leader's own puts): appendedEnd = the log end (write buffer included), writtenEnd =
//     bytes in the page cache, flushedEnd = bytes fsynced; after a truncation to X a flush that
//     began before it counts only up to X;
//   - the leader's own appends (client puts) are reported with log-progress, and an
//     append-marker with marker-written, before any other event is fed to the core (same tick):
//     a step-down in between would leave the core with an older log end than the log's (sim
//     seed 1888);
//   - every persist-state is answered with `persisted` and every append-marker with
//     `marker-written`, however late (the core waits for them: a lost `persisted` holds every
//     message from then on — the simulator found this in its own glue, seed 267);
//   - an IO error in any action is fail-stop for the node (the core is not told; the node stops).
import type { AppendHeader, RaftMessage } from './raft-protocol.js';
import type { TermEntry } from './term-history.js';

export type RaftRole = 'FOLLOWER' | 'PRE_CANDIDATE' | 'CANDIDATE' | 'LEADER';

/** Which follower position counts for the commit: fsynced (SYNC_FLUSH) or written (ASYNC_FLUSH). */
export type AckPosition = 'flushed' | 'written';

export interface RaftSettings {
  readonly selfId: string;
  /** Every member id, self included (3 or 5 in a real group; the core takes any count >= 1). */
  readonly peers: readonly string[];
  /** Leader heartbeat period (heartBeatTimeIntervalMs). */
  readonly heartbeatIntervalMs: number;
  /** A follower that heard nothing from a leader for this long (plus a random delay) starts an
   * election; a leader that heard from no quorum for this long steps down; a member that heard
   * from a leader this recently refuses votes (heartBeatTimeIntervalMs x maxHeartBeatLeak). */
  readonly electionTimeoutMs: number;
  /** The random delay added to each election timeout is in [min, max] (minVoteIntervalMs, maxVoteIntervalMs). */
  readonly electionJitterMinMs: number;
  readonly electionJitterMaxMs: number;
  /** The leader lease is electionTimeoutMs minus this (clock rate differences). */
  readonly leaseMarginMs: number;
  readonly ackPosition: AckPosition;
  /** Largest data of one APPEND_REQUEST (maxBatchPushSize with enableBatchPush). */
  readonly maxAppendBytes: number;
  /** Appends in flight per follower (the pipeline window). */
  readonly maxInflightAppends: number;
  /** An append not acknowledged within this long is sent again (maxPushTimeOutMs). */
  readonly appendTimeoutMs: number;
  /** A transferee may lag at most this many bytes when a transfer starts. */
  readonly transferMaxLagBytes: number;
  /** A transfer not finished within this long is abandoned (leadershipTransferWaitTimeout). */
  readonly transferTimeoutMs: number;
  /** The member that should lead when it is live and caught up (preferredLeaderId), or null. */
  readonly preferredLeaderId: string | null;
  readonly preferredLeaderCheckIntervalMs: number;
  /** Raft's pre-vote (on; off only to show what it prevents). */
  readonly preVote: boolean;
  /** Raft's "commit only an entry of the current term" rule (on; off only to show figure 8). */
  readonly currentTermCommitRule: boolean;
}

/**
 * The one question the core asks about the log's content (read-only, synchronous, from the glue's
 * in-memory record index): where records end. Appends always carry whole records, so every log
 * (leader's and followers') ends on a record boundary and a new leader's marker starts on one.
 */
export interface RaftLogView {
  /** For `from` on a record boundary and from < limit <= the written end: the largest record
   * end in (from, limit]; if the record starting at `from` ends past `limit`, its end (an append
   * then carries that one record whole, beyond the batch size). */
  alignedEnd(from: number, limit: number): number;
}

/** What the node recovered from disk when it starts. */
export interface RaftInitialState {
  readonly term: number;
  readonly votedFor: string | null;
  /** The recovered log's term history and positions. */
  readonly terms: readonly TermEntry[];
  readonly writtenEnd: number;
  readonly flushedEnd: number;
  /** A persisted lower bound of the commit point (0 if none); capped to writtenEnd. */
  readonly commitOffset: number;
}

export type RaftEvent =
  /** Time passed (call at nextWakeMs, or any time). */
  | { readonly kind: 'tick' }
  | { readonly kind: 'message'; readonly from: string; readonly message: RaftMessage }
  | { readonly kind: 'persisted'; readonly seq: number }
  /** writtenEnd: bytes in the page cache (they survive a kill of the process; what counts as
   * written for a commit); flushedEnd: bytes fsynced; appendedEnd: the log's end, beyond
   * writtenEnd while bytes wait in a user-space write buffer (default: writtenEnd). A leader
   * learns its own appends from it. */
  | { readonly kind: 'log-progress'; readonly appliedLogSeq: number; readonly writtenEnd: number; readonly flushedEnd: number; readonly appendedEnd?: number }
  /** The append-marker action numbered logSeq was written: the marker ends at endOffset. */
  | { readonly kind: 'marker-written'; readonly logSeq: number; readonly term: number; readonly endOffset: number }
  /** Admin: make `to` the leader. */
  | { readonly kind: 'transfer-leadership'; readonly to: string };

export type RaftAction =
  /** Write and fsync {term, votedFor}; answer with `persisted {seq}`. */
  | { readonly kind: 'persist-state'; readonly seq: number; readonly term: number; readonly votedFor: string | null }
  | { readonly kind: 'send'; readonly to: string; readonly message: RaftMessage }
  /** Read `length` bytes at header.prevOffset from the log and send them as an APPEND_REQUEST. */
  | { readonly kind: 'send-append'; readonly to: string; readonly header: AppendHeader; readonly length: number }
  /** Follower: write `data` at `offset` (= the log end); bytes of `term`. `newTerm` set: record the
   * term history entry {term, startOffset: offset} with it. */
  | { readonly kind: 'append'; readonly logSeq: number; readonly offset: number; readonly data: Uint8Array; readonly term: number; readonly newTerm: boolean }
  /** Follower: cut the log at `toOffset` (never below the commit point), keeping a copy of what is cut. */
  | { readonly kind: 'truncate'; readonly logSeq: number; readonly toOffset: number }
  /** New leader: append the term-start marker of `term` at `offset` (= the log end) and record
   * the term history entry {term, offset}; answer with `marker-written`. */
  | { readonly kind: 'append-marker'; readonly logSeq: number; readonly term: number; readonly offset: number }
  /** Records ending at or below `offset` are committed: PUT_OK them, let consumers read them. */
  | { readonly kind: 'confirm'; readonly offset: number }
  | { readonly kind: 'role-changed'; readonly role: RaftRole; readonly term: number; readonly leaderId: string | null }
  /** The end of a transfer asked for by `transfer-leadership` (or by preferredLeaderId). */
  | { readonly kind: 'transfer-done'; readonly to: string; readonly code: number; readonly reason: string };

export interface RaftPeerStatus {
  readonly id: string;
  readonly state: 'probe' | 'replicate';
  readonly nextOffset: number;
  readonly matchWritten: number;
  readonly matchFlushed: number;
  readonly inflight: number;
  readonly lastHeardMs: number;
}

export interface RaftStatus {
  readonly selfId: string;
  readonly role: RaftRole;
  readonly term: number;
  readonly votedFor: string | null;
  readonly leaderId: string | null;
  readonly commitOffset: number;
  readonly confirmOffset: number;
  /** A leader that may take client puts now (marker written, lease valid, no transfer). */
  readonly acceptingPuts: boolean;
  readonly transferringTo: string | null;
  readonly logEnd: number;
  readonly terms: readonly TermEntry[];
  readonly elections: number;
  /** Leader only. */
  readonly peers: readonly RaftPeerStatus[];
}
