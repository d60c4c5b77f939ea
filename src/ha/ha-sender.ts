// The master's sending side of one HA connection, as an interface: what HaConnection needs from
// whatever streams CommitLog bytes to a slave. The first implementation writes frames from the
// main thread over node:net (ha-tcp-sender.ts); a worker-thread sender using sendfile from the
// segment files (ReplicationSource.segmentPath) can replace it behind this interface.
//
// Contract:
//   - start(offset) is called once, with the first byte to send; frames follow the wire format
//     of ha-protocol.ts: body <= transferBatchBytes, never crossing a segment, heartbeats
//     (empty frames) when nothing was sent for heartbeatIntervalMs.
//   - nextOffset: every byte below it has been handed to the transport (a slave may ack it).
//   - buffering is bounded: the sender waits for the transport to drain instead of queueing.
//   - a failure is reported once through onError; after close() nothing more is written.
import type { Socket } from 'node:net';
import type { ReplicationSource } from '../store/replication.js';
import type { Logger } from '../util/logger.js';

export interface HaSender {
  start(fromOffset: number): void;
  /** New data may be committed: stop waiting now (a SYNC_MASTER put calls this). */
  kick(): void;
  readonly nextOffset: number;
  readonly transferredBytes: number;
  readonly frameCount: number;
  close(): void;
}

export interface HaSenderOptions {
  transferBatchBytes: number;
  heartbeatIntervalMs: number;
  /** Longest wait for new data before looking again (mmap writes do not notify waiters). */
  idleWaitMs: number;
}

export interface HaSenderContext {
  socket: Socket;
  source: ReplicationSource;
  options: HaSenderOptions;
  logger: Logger;
  onError(err: Error): void;
}

export type HaSenderFactory = (context: HaSenderContext) => HaSender;
