// What the main thread and the sendfile sender's worker (workers/ha-sendfile-worker.ts) share:
// the worker's start data (its first message), the positions it publishes, and the messages it posts.
//
// Positions (a ControlBlock over the sender's own SharedArrayBuffer):
//   next         the end of what was handed, or is being handed, to the socket: no slave can
//                have a byte above it (the worker sets it to a frame's end before sending the
//                body; the main thread sets the start)
//   transferred  body bytes sent; frames: frames sent (heartbeats included)
//   stop         1 once the main thread closed the sender: the worker stops writing and exits
//   go           1 once the socket is the worker's: the main thread stopped writing (it sends
//                heartbeats while the worker boots) and Node handed every byte to the kernel
//   released     1 once the worker gave up its socket descriptor (set BEFORE it closes it, so
//                the main thread closes the descriptor itself only when the worker died
//                holding it; a crash between the two leaks one fd instead of closing a reused one)
// The worker waits on the CommitLog's `committed` slot (SharedReplicationSource); the main
// thread notifies that slot to wake it (kick, close).
import type { SharedReplicationSource } from '../replication/replication-types.js';

export const SENDFILE_POSITIONS = ['next', 'transferred', 'frames', 'stop', 'released', 'go'] as const;
export type SendfilePosition = (typeof SENDFILE_POSITIONS)[number];

export interface SendfileWorkerData {
  /** The worker's own descriptor of the slave's socket (a dup; the worker closes it). */
  socketFd: number;
  fromOffset: number;
  segmentBytes: number;
  transferBatchBytes: number;
  heartbeatIntervalMs: number;
  idleWaitMs: number;
  source: SharedReplicationSource;
  /** The ControlBlock buffer of SENDFILE_POSITIONS. */
  positions: SharedArrayBuffer;
}

export type SendfileWorkerEvent =
  /** The worker has loaded and waits for `go` before its first write. */
  | { type: 'ready' }
  /** The transfer failed (EPIPE, ECONNRESET, a missing segment, ...); the worker exits. */
  | { type: 'failed'; code: string; message: string }
  /** The worker stopped on request and released its descriptors. */
  | { type: 'stopped' };
