// The master's sending side of one HA connection, as an interface: what HaConnection needs from
// whatever streams CommitLog bytes to a slave. Two implementations: frames written from the main
// thread through the Transport's Connection (ha-tcp-sender.ts), and a worker thread per slave sending frame bodies by
// sendfile from the segment files (ha-sendfile-sender.ts); ha-sender-choice.ts picks one from
// the haTransferMode key.
//
// Contract:
//   - start(offset) is called once, with the first byte to send; frames follow the wire format
//     of ha-protocol.ts: body <= transferBatchBytes, never crossing a segment, heartbeats
//     (empty frames) when nothing was sent for heartbeatIntervalMs.
//   - nextOffset: no byte at or above it has been handed to the transport; bytes below it have
//     been or are being handed to it (a slave may ack up to it, not beyond).
//   - buffering is bounded: the sender waits for the transport to drain instead of queueing.
//   - a failure is reported once through onError; after close() nothing more is written.
import type { Connection } from '../net/transport.js';
import type { ReplicationSource } from '../replication/replication-types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Scheduler } from '../util/scheduler.js';

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
  /** The slave's connection (the sender writes to it; HaConnection owns and closes it). */
  socket: Connection;
  source: ReplicationSource;
  options: HaSenderOptions;
  logger: Logger;
  clock: Clock;
  scheduler: Scheduler;
  onError(err: Error): void;
}

export interface HaSenderFactory {
  (context: HaSenderContext): HaSender;
  /** Prepare for connections to come (the sendfile sender boots a worker); HaServer calls it
   * when it starts listening and calls the returned release when it closes. */
  warmUp?(): () => void;
}
