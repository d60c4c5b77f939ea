// The seam between the store and replication: one object that decides, for the store,
//   1. whether a client put is admitted at all (a follower refuses them),
//   2. what an appended put waits for besides its flush (SYNC_MASTER: the slaves' acks),
//   3. how far consumers may read: RocketMQ's "confirm offset" (the replicated, safe position;
//      "committed" keeps RocketMQ's meaning, the page-cache commit),
//   4. whether replicated bytes from a master/leader may be appended (a follower).
// The store asks the policy and never looks at a role string itself. Implementations:
// no-replication.ts (a single store) and classic-replication.ts (ASYNC_MASTER / SYNC_MASTER /
// SLAVE); DLedger adds a Raft one.
//
// Contract: every method is cheap and synchronous except the promise afterAppend returns; the
// store calls afterAppend in append order with non-decreasing ends; confirmOffset() never goes
// backwards while the store is open except through a log truncation, which the store allows only
// at or above it.
import type { PutMessageStatus } from '../store/statuses.js';
import type { ReplicationWait } from './replication-types.js';

export interface ReplicationPolicy {
  /** The role as status and metrics show it ('SYNC_MASTER', 'SLAVE', ...). */
  readonly role: string;
  /** Why a client put is refused now (SERVICE_NOT_AVAILABLE with this reason), or null. */
  putRefusal(): string | null;
  /** Bytes from a master/leader may be appended (appendReplicated); client puts are refused. */
  readonly follows: boolean;
  /** Whether the put path asks for its bytes to be committed at once (a master whose slaves
   * receive only committed bytes), instead of waiting for the commit interval. */
  readonly wantsPromptCommit: boolean;
  /** A put's bytes now end at `endOffset` (and its producer waits for the store's answer): what it
   * must wait for besides the flush, or null when nothing. */
  afterAppend(endOffset: number): Promise<ReplicationWait> | null;
  /** Consumers see only records that end at or below this offset; null = no replication limit
   * (they see what the flush rule allows). */
  confirmOffset(): number | null;
  /** Optional: every client put's bytes now end at `endOffset`, waited for or not (WAIT=false),
   * told synchronously before afterAppend (DLedger: the Raft core learns the leader's log end at
   * once). */
  onAppended?(endOffset: number): void;
  /** Optional: why a client put is refused as busy now (OS_PAGE_CACHE_BUSY with this reason: too
   * many puts wait for replication), or null. Asked after putRefusal. */
  busyRefusal?(): string | null;
  /** Optional: the put status a failed replication wait answers, instead of the classic mapping
   * (timed-out: FLUSH_SLAVE_TIMEOUT, not-available: SLAVE_NOT_AVAILABLE). */
  waitFailure?(wait: Exclude<ReplicationWait, 'ok'>): { status: PutMessageStatus; reason: string };
}

/** The role change hooks a policy with roles calls on the store. */
export interface ReplicationRoleHooks {
  /** Called before a follower starts taking client puts (the store completes a half-received
   * end-of-file blank so its own records start at a segment boundary). */
  beforeLeading(): void;
  /** Called after every role change, for the log line. */
  onRoleChanged(from: string, to: string): void;
}
