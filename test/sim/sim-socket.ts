// One endpoint of a simulated TCP connection: the Connection (src/net/transport.ts) that the code
// under test holds, with node:net's observable behaviour.
//
// State machine: connecting (client, handshake under way) -> open -> ending (the peer's FIN
// arrived; our queued writes flush, then our FIN) -> closed. Any state -> closed by destroy(),
// an incoming RST (ECONNRESET), a stalled send (ETIMEDOUT), a refused or timed-out connect, or
// the crash of the owning process (silently: a dead process gets no events).
//
// Semantics kept from node:net (what the HA code relies on):
//   - write() queues in user space; bytes move to the link (the "kernel") while the sender's
//     window has room; write() returns queued < highWaterMark, computed when the write is added,
//     exactly like Writable (so one write >= the mark returns false even on an idle socket);
//     'drain' follows once the queue is empty again; `done` callbacks run when their bytes reached
//     the link, in write order, or with an error when the socket closes first;
//   - destroy(): the user-space queue is lost; what the kernel already holds is still delivered,
//     then FIN; data arriving later at a closed endpoint is answered with RST;
//   - 'end' is followed by our own FIN and 'close' (allowHalfOpen false, node's default); a
//     write after that fails with EPIPE and destroys the socket, like node's writeAfterFIN;
//   - 'error' (at most one) then 'close' (exactly once, last); drain/done/error/close run on the
//     owning process's next turn (node emits them on process.nextTick); 'connect', 'data', 'end'
//     run in the network task that delivers them (node emits them from the IO callback);
//   - the user-space queue is bounded by maxUserQueueBytes: code that ignores backpressure that
//     long is a bug, and write() throws (the simulated process crashes and the run reports it).
import { EventEmitter } from 'node:events';
import type { Connection } from '../../src/net/transport.js';
import type { Cancelable } from '../../src/util/scheduler.js';
import type { ControlKind, LinkReceiver, LinkSender, SimLink } from './sim-link.js';
import type { SimProcess } from './sim-process.js';
import type { World } from './world.js';

export type SocketState = 'connecting' | 'open' | 'ending' | 'closed';

export interface SocketParams {
  highWaterMarkBytes: number;
  windowBytes: number;
  stallResetMs: number;
  maxUserQueueBytes: number;
}

/** What a socket needs from the network. */
export interface SocketHooks {
  readonly world: World;
  log(text: string): void;
  /** The handshake ACK reached this (server) endpoint: announce it to the listener. */
  accepted(socket: SimSocket): void;
  /** The socket reached 'closed'. */
  closed(socket: SimSocket): void;
}

/** A TCP segment's payload on an Ethernet path (MSS). */
const SEGMENT_BYTES = 1_448;

const ERRNO: Record<string, number> = { ECONNRESET: -104, ECONNREFUSED: -111, ETIMEDOUT: -110, ENOTFOUND: -3008 };

/** An Error shaped like node's system errors (code, errno, syscall). */
export function netError(code: string, syscall: string, address?: string): Error {
  const err = new Error(`${syscall} ${code}${address ? ` ${address}` : ''}`) as NodeJS.ErrnoException;
  err.code = code;
  err.syscall = syscall;
  if (ERRNO[code] !== undefined) err.errno = ERRNO[code];
  return err;
}

function streamError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

interface QueuedWrite {
  bytes: Uint8Array;
  done: ((err?: Error | null) => void) | undefined;
}

export class SimSocket extends EventEmitter implements Connection, LinkReceiver, LinkSender {
  private stateValue: SocketState;
  private out: SimLink | null = null;
  private queue: QueuedWrite[] = [];
  private queueHead = 0;
  private queuedBytes = 0;
  private corks = 0;
  private needDrain = false;
  private completed: ((err?: Error | null) => void)[] = [];
  private notifyScheduled = false;
  private rstSent = false;
  private silent = false;
  private lastAckMs = 0;
  private stallTimer: Cancelable | null = null;
  private announcedFlag: boolean;

  constructor(
    private readonly hooks: SocketHooks,
    readonly process: SimProcess,
    /** "c3/n1": connection id and this endpoint's host. */
    readonly label: string,
    readonly localAddress: string,
    readonly remoteAddress: string,
    private readonly params: SocketParams,
    initial: 'connecting' | 'open',
  ) {
    super();
    this.stateValue = initial;
    // A server socket is silent until the listener announces it: nobody holds it yet.
    this.announcedFlag = initial === 'connecting';
    this.silent = !this.announcedFlag;
  }

  /** Server side: hand it to the code (onConnection); from now on it emits events. */
  announce(): void {
    if (this.stateValue === 'closed') return;
    this.announcedFlag = true;
    this.silent = false;
  }

  /** Client sockets always; server sockets once onConnection ran. */
  get announced(): boolean {
    return this.announcedFlag;
  }

  get state(): SocketState {
    return this.stateValue;
  }

  get host(): string {
    return this.process.host;
  }

  get writableLength(): number {
    return this.queuedBytes;
  }

  get writableNeedDrain(): boolean {
    return this.stateValue !== 'closed' && this.stateValue !== 'ending' && this.needDrain;
  }

  get destroyed(): boolean {
    return this.stateValue === 'closed';
  }

  /** The link this endpoint sends on (null while connecting). */
  get link(): SimLink | null {
    return this.out;
  }

  fileDescriptor(): number | null {
    return null;
  }

  // ---- the Connection API ----

  write(bytes: Uint8Array, done?: (err?: Error | null) => void): boolean {
    if (this.stateValue === 'closed') {
      this.later(() => done?.(streamError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed')));
      return false;
    }
    if (this.stateValue === 'ending') {
      const err = streamError('EPIPE', 'This socket has been ended by the other party');
      this.later(() => done?.(err));
      this.close(err, 'fin');
      return false;
    }
    this.queue.push({ bytes, done });
    this.queuedBytes += bytes.length;
    if (this.queuedBytes > this.params.maxUserQueueBytes) {
      throw new Error(`${this.label}: ${this.queuedBytes} bytes queued in user space (bound ${this.params.maxUserQueueBytes}): the writer ignores backpressure`);
    }
    const ok = this.queuedBytes < this.params.highWaterMarkBytes;
    if (!ok) this.needDrain = true;
    this.pump();
    return ok;
  }

  cork(): void {
    this.corks++;
  }

  uncork(): void {
    if (this.corks === 0) return;
    this.corks--;
    if (this.corks === 0) this.pump();
  }

  destroy(): void {
    if (this.stateValue === 'closed') return;
    this.hooks.log(`${this.label} destroy() (${this.queuedBytes}B queued in user space are lost)`);
    this.close(null, this.stateValue === 'connecting' ? 'none' : 'fin');
  }

  // ---- driven by the network ----

  /** The handshake completed (client: SYN-ACK arrived; server: created). */
  establish(out: SimLink, emitConnect: boolean): void {
    this.out = out;
    if (this.stateValue === 'connecting') this.stateValue = 'open';
    if (emitConnect && !this.silent) this.emit('connect');
    this.pump();
  }

  /** A connect that failed (refused, timed out, unknown host): 'error' then 'close'. */
  failConnect(err: Error): void {
    if (this.stateValue !== 'connecting') return;
    this.close(err, 'none');
  }

  /** An RST from the network itself (a reset fault): error ECONNRESET, nothing sent. */
  reset(): void {
    if (this.stateValue === 'closed') return;
    this.close(netError('ECONNRESET', 'read'), 'none');
  }

  /** The owning process died: the kernel resets the connection; the process sees nothing. */
  kill(): void {
    this.silent = true;
    if (this.stateValue === 'closed') return;
    this.close(null, this.out ? 'rst' : 'none');
  }

  receiveData(chunk: Buffer): boolean {
    if (this.stateValue === 'closed') {
      if (!this.rstSent && this.out) {
        this.rstSent = true;
        this.out.pushControl('rst');
        this.hooks.log(`${this.label} is closed: answers RST`);
      }
      return false;
    }
    if (!this.silent) this.emit('data', chunk);
    return true;
  }

  receiveControl(kind: ControlKind): void {
    if (this.stateValue === 'closed') return; // a FIN or RST for a socket already gone
    if (kind === 'accept') {
      this.hooks.accepted(this);
    } else if (kind === 'rst') {
      this.close(netError('ECONNRESET', 'read'), 'none');
    } else {
      this.stateValue = 'ending';
      if (!this.silent) this.emit('end');
      this.pump(); // flushes what is queued, then our FIN and 'close'
    }
  }

  acked(_bytes: number): void {
    this.lastAckMs = this.hooks.world.simMs;
    this.pump();
  }

  // ---- internals ----

  /** Move queued bytes into the link while the window has room. */
  private pump(): void {
    const out = this.out;
    if (out === null || this.stateValue === 'closed' || this.stateValue === 'connecting' || this.corks > 0) return;
    while (this.queueHead < this.queue.length && this.canSend(out.unackedBytes)) {
      const head = this.queue[this.queueHead] as QueuedWrite;
      const room = this.params.windowBytes - out.unackedBytes;
      const n = Math.min(room, head.bytes.length);
      if (out.unackedBytes === 0) this.lastAckMs = this.hooks.world.simMs; // the stall clock starts
      out.pushData(Buffer.from(head.bytes.subarray(0, n))); // the kernel copies: later reuse of the caller's buffer is harmless
      this.queuedBytes -= n;
      if (n < head.bytes.length) {
        head.bytes = head.bytes.subarray(n);
      } else {
        this.queue[this.queueHead++] = undefined as unknown as QueuedWrite;
        if (head.done) this.completed.push(head.done);
      }
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    if (this.completed.length > 0 || (this.needDrain && this.queuedBytes === 0)) this.scheduleNotify();
    if (out.unackedBytes > 0) this.armStall();
    if (this.stateValue === 'ending' && this.queuedBytes === 0) this.close(null, 'fin');
  }

  /** Silly-window avoidance (Nagle, Clark): with bytes in flight, send again only once a
   * segment's worth (or half the window) is free, so a full window does not decay into a
   * stream of 1-byte segments as each small ack lets one small send through. */
  private canSend(unackedBytes: number): boolean {
    const room = this.params.windowBytes - unackedBytes;
    return unackedBytes === 0 || room >= Math.min(SEGMENT_BYTES, this.params.windowBytes / 2);
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    this.later(() => {
      this.notifyScheduled = false;
      const callbacks = this.completed;
      this.completed = [];
      for (const done of callbacks) done(null);
      if (this.needDrain && this.queuedBytes === 0 && this.stateValue !== 'closed') {
        this.needDrain = false;
        this.emit('drain');
      }
    });
  }

  /** A send that gets no ack for stallResetMs times out (TCP gives up retransmitting). */
  private armStall(): void {
    if (this.stallTimer) return;
    const world = this.hooks.world;
    const dueMs = this.lastAckMs + this.params.stallResetMs;
    this.stallTimer = world.scheduler.after(Math.max(0, dueMs - world.simMs), () => {
      this.stallTimer = null;
      if (this.stateValue === 'closed' || this.out === null || this.out.unackedBytes === 0) return;
      if (world.simMs - this.lastAckMs >= this.params.stallResetMs) {
        this.hooks.log(`${this.label} gives up: ${this.out.unackedBytes}B unacked for ${this.params.stallResetMs} ms`);
        this.close(netError('ETIMEDOUT', 'read'), 'rst');
      } else {
        this.armStall();
      }
    });
  }

  /**
   * Go to 'closed'. `send`: what our kernel sends the peer: 'fin' after what it holds (a graceful
   * close), 'rst' instead of it (an abort), or nothing. `err`: emitted as 'error' before 'close'.
   */
  private close(err: Error | null, send: 'fin' | 'rst' | 'none'): void {
    if (this.stateValue === 'closed') return;
    const lostBytes = this.queuedBytes;
    this.stateValue = 'closed';
    this.stallTimer?.cancel();
    this.stallTimer = null;
    const lost = this.queue.slice(this.queueHead);
    this.queue = [];
    this.queueHead = 0;
    this.queuedBytes = 0;
    if (send === 'rst' && this.out) {
      this.out.clear();
      this.out.pushControl('rst');
      this.rstSent = true;
    } else if (send === 'fin' && this.out) {
      this.out.pushControl('fin');
    }
    this.hooks.log(`${this.label} closed${err ? ` (${err.message})` : ''}${send !== 'none' ? `, sends ${send.toUpperCase()}` : ''}${lostBytes > 0 ? `, ${lostBytes}B unsent` : ''}`);
    this.hooks.closed(this);
    if (this.silent) return;
    const writeErr = err ?? streamError('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed');
    this.later(() => {
      for (const w of lost) w.done?.(writeErr);
      if (err) this.emit('error', err);
      this.emit('close');
    });
  }

  /** Run on the owning process's next turn (dropped if the process dies first). */
  private later(task: () => void): void {
    if (!this.silent) this.process.soon(task);
  }
}
