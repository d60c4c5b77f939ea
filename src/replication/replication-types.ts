// The store's side of replication, as data types: what a master's replication (HA today) reads
// from the log (ReplicationSource) and what a put that must be replicated waits on
// (ReplicationGate). The HA service (src/ha/) implements the gate from its slaves'
// acknowledgements; the policy that decides when a put waits on it is replication-policy.ts.
import type { WaitOutcome } from '../util/control-block.js';

export type ReplicationWait = 'ok' | 'timed-out' | 'not-available';

/** The put statuses (store/statuses.ts names) a failed replication wait may answer. */
export type ReplicationFailureStatus = 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE' | 'SERVICE_NOT_AVAILABLE' | 'IN_SYNC_REPLICAS_NOT_ENOUGH' | 'UNKNOWN_ERROR';

export interface ReplicationGate {
  /** Resolve 'ok' once enough slaves acknowledged every byte below `endOffset`;
   * 'not-available' at once when no slave can (none connected, or all too far behind);
   * 'timed-out' after slaveTimeout. */
  wait(endOffset: number): Promise<ReplicationWait>;
}

export interface ReplicationSource {
  readonly segmentBytes: number;
  /** End of the committed (readable) log. */
  maxOffset(): number;
  minOffset(): number;
  /** Committed bytes from `offset`, within one segment, at most `maxBytes` (empty when none). */
  read(offset: number, maxBytes: number): Uint8Array;
  /** Resolve when committed bytes exist past `offset`, or on timeout. */
  waitForData(offset: number, timeoutMs: number): Promise<WaitOutcome>;
  /** The segment file holding `offset` (for sendfile from another thread), or null. */
  segmentPath(offset: number): string | null;
  /** For a sender in another thread: where `committed` lives in shared memory and where the
   * segment files are. Absent when the source cannot be shared. */
  shared?(): SharedReplicationSource;
}

export interface SharedReplicationSource {
  /** `committed` (= maxOffset()) is the BigInt64 at `committedIndex` of this buffer: read it
   * with Atomics.load, wait on it with Atomics.wait (the log notifies it when it moves). */
  buffer: SharedArrayBuffer;
  committedIndex: number;
  /** Directory of the segment files (20-digit start-offset names, segmentBytes each). */
  segmentDir: string;
}
