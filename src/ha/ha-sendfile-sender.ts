// HaSender whose transfer loop runs in a worker thread and sends frame bodies with sendfile(2)
// from the segment files (ha-sendfile-loop.ts); the main thread only starts it, reads its
// positions (nextOffset, transferredBytes, frameCount from shared memory) and stops it.
//
// Handover: the main thread may have written to the socket before start() (the connection's
// first bytes). start() waits until Node has handed every such byte to the kernel
// (writableLength 0, or the callback of an empty write queued behind them) before it spawns
// the worker. A worker takes a while to boot (hundreds of ms when it loads TypeScript through
// tsx on a busy machine), longer than a short haHousekeepingInterval: until it says 'ready' the
// main thread sends the heartbeats (empty frames at the start offset, every
// heartbeatIntervalMs); then it stops writing for good, waits for those bytes to reach the
// kernel the same way, and sets `go`, after which only the worker writes.
// Descriptor: the connection's fileDescriptor(); a transport without OS descriptors (simulated
// links) cannot use this sender, and start() then reports a HaTransferError saying so
// (ha-sender-choice.ts picks the socket sender for such a transport).
// Descriptor ownership: the worker gets its own dup of the socket fd and closes it itself, so
// HaConnection may destroy the socket at any time without the worker ever writing into a
// reused descriptor number. The TCP connection ends when both are closed (the worker stops
// within one poll slice of close()).
// Failures (EPIPE, ECONNRESET, a deleted segment, a dead worker) reach onError once; nothing
// after close(). A worker that does not finish within STOP_TIMEOUT_MS of close() is terminated.
// Worker reuse: the worker posts one final event per transfer ('stopped' or 'failed', after it
// released its descriptors); the sender then detaches from it and gives it back to the pool
// (ha-sendfile-spare.ts), which keeps it for the next connection. A worker that exits or errs
// before its final event is never given back.
import type { Worker } from 'node:worker_threads';
import { loadNativeAddon, type NativeAddon } from '../io/native-addon.js';
import type { Connection } from '../net/transport.js';
import type { ReplicationSource, SharedReplicationSource } from '../replication/replication-types.js';
import { ControlBlock } from '../util/control-block.js';
import type { Logger } from '../util/logger.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';
import { encodeFrameHeader } from './ha-protocol.js';
import type { HaSender, HaSenderContext, HaSenderOptions } from './ha-sender.js';
import { SENDFILE_POSITIONS, type SendfileWorkerData, type SendfileWorkerEvent } from './ha-sendfile-layout.js';
import { expectSendfileReturn, holdSendfileSpare, settleSendfileReturn, takeSendfileWorker } from './ha-sendfile-spare.js';
import { HaTransferError } from './ha-tcp-sender.js';

const STOP_TIMEOUT_MS = 5000;
const EMPTY = Buffer.alloc(0);
let liveWorkers = 0;

/** Sendfile senders whose worker has not finished its transfer yet (for tests and status). */
export function liveSendfileWorkers(): number {
  return liveWorkers;
}

/** Why sendfileSender cannot run in this process, or null when it can. */
export function sendfileUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `sendfile transfer is Linux-only (this is ${process.platform})`;
  const load = loadNativeAddon();
  if (!load.addon) return `the native addon is not loaded (${load.error})`;
  if (typeof load.addon.writeFd !== 'function' || typeof load.addon.pollWritable !== 'function' || typeof load.addon.dupFd !== 'function') {
    return `the native addon at ${load.path} has no writeFd/pollWritable/dupFd (built from older sources: run npm run build:native)`;
  }
  return null;
}

export function sendfileSender(context: HaSenderContext): SendfileHaSender {
  return new SendfileHaSender(context.socket, context.source, context.options, context.logger, context.scheduler, context.onError);
}
/** A listening master keeps one worker booted for its next slave (ha-sendfile-spare.ts). */
sendfileSender.warmUp = holdSendfileSpare;

export class SendfileHaSender implements HaSender {
  private readonly positions = ControlBlock.create(SENDFILE_POSITIONS);
  private state: 'new' | 'handover' | 'running' | 'closed' = 'new';
  private failed = false;
  private worker: Worker | null = null;
  private committed: { slots: BigInt64Array; index: number } | null = null;
  private ownedFd = -1;
  /** Main-thread heartbeats while the worker boots (null once handed over or closed). */
  private bootHeartbeat: Cancelable | null = null;
  private bootFrames = 0;
  private handedOver = false;
  private markStopped: () => void = () => {};
  /** Set once the worker's run ended (final event, exit or error): the sender let go of it. */
  private finished = false;
  /** close() told the pool this sender's worker will come back (ha-sendfile-spare.ts). */
  private returnAnnounced = false;
  private detach: () => void = () => {};
  /** Resolves once no worker runs for this sender (never started, or exited). */
  readonly stopped: Promise<void>;

  constructor(
    private readonly socket: Connection,
    private readonly source: ReplicationSource,
    private readonly options: HaSenderOptions,
    private readonly logger: Logger,
    private readonly scheduler: Scheduler,
    private readonly onError: (err: Error) => void,
  ) {
    this.positions.store('next', -1);
    this.stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  }

  get nextOffset(): number {
    return this.positions.load('next');
  }

  get transferredBytes(): number {
    return this.positions.load('transferred');
  }

  get frameCount(): number {
    return this.bootFrames + this.positions.load('frames');
  }

  start(fromOffset: number): void {
    if (this.state !== 'new') return;
    this.state = 'handover';
    const addon = loadNativeAddon().addon;
    const shared = this.source.shared?.();
    if (!addon || !shared) {
      const why = !addon ? `sendfile transfer needs the native addon: ${sendfileUnavailableReason()}` : 'this replication source cannot be shared with a worker thread';
      queueMicrotask(() => this.fail(new HaTransferError(why))); // not inside the caller's start()
      return;
    }
    this.positions.store('next', fromOffset);
    this.committed = { slots: new BigInt64Array(shared.buffer), index: shared.committedIndex };
    this.afterSocketFlushed(() => this.spawn(addon, shared, fromOffset));
  }

  kick(): void {
    const c = this.committed;
    // wake the worker only when it has something to send (committed moves notify it anyway)
    if (c && this.state === 'running' && Atomics.load(c.slots, c.index) > BigInt(this.nextOffset)) Atomics.notify(c.slots, c.index);
  }

  close(): void {
    if (this.state === 'closed') return;
    const worker = this.worker;
    this.state = 'closed';
    this.bootHeartbeat?.cancel();
    this.bootHeartbeat = null;
    this.positions.store('stop', 1);
    this.positions.notify('go'); // a worker waiting for the handover stops now
    const c = this.committed;
    if (c) Atomics.notify(c.slots, c.index);
    if (!worker) {
      this.markStopped();
      return;
    }
    if (!this.finished) {
      this.returnAnnounced = true;
      expectSendfileReturn();
    }
    const watchdog = this.scheduler.after(STOP_TIMEOUT_MS, () => void worker.terminate(), { background: true });
    void this.stopped.then(() => watchdog.cancel());
  }

  /** Run `go` once every byte written to the socket so far was handed to the kernel. */
  private afterSocketFlushed(go: () => void): void {
    if (this.socket.writableLength === 0) return go();
    if (this.socket.destroyed) return; // the connection is closing and closes this sender
    // writes complete in order: this callback runs after every earlier write completed
    this.socket.write(EMPTY, (err) => {
      if (err) return; // the socket's own 'error' closes the connection
      if (this.socket.writableLength !== 0) this.fail(new HaTransferError(`${this.socket.writableLength} bytes still queued in Node after the handover write`));
      else go();
    });
  }

  private spawn(addon: NativeAddon, source: SharedReplicationSource, fromOffset: number): void {
    if (this.state !== 'handover') return; // closed meanwhile
    const fd = this.socket.fileDescriptor();
    if (fd === null) {
      this.fail(new HaTransferError(`the slave's connection has no OS file descriptor: sendfile needs a TCP socket on Linux (use haTransferMode=socket with this transport)`));
      return;
    }
    try {
      this.ownedFd = addon.dupFd(fd);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    const data: SendfileWorkerData = {
      socketFd: this.ownedFd,
      fromOffset,
      segmentBytes: this.source.segmentBytes,
      transferBatchBytes: this.options.transferBatchBytes,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      idleWaitMs: this.options.idleWaitMs,
      source,
      positions: this.positions.buffer,
    };
    let worker: Worker;
    try {
      worker = takeSendfileWorker();
      worker.postMessage(data);
    } catch (err) {
      addon.close(this.ownedFd); // no thread ever saw it
      this.ownedFd = -1;
      this.fail(err as Error);
      return;
    }
    liveWorkers++;
    this.worker = worker;
    this.state = 'running';
    const onMessage = (event: SendfileWorkerEvent): void => {
      if (event.type === 'ready') this.handOver();
      else this.onFinalEvent(worker, event);
    };
    const onError = (err: Error): void => this.fail(err);
    const onExit = (code: number): void => this.onExit(addon, code);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.once('exit', onExit);
    this.detach = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    this.armBootHeartbeat(fromOffset);
    worker.unref();
  }

  /** The worker's run ended ('stopped' or 'failed'), its descriptors released: let go of it,
   * give it back for reuse, report a failure. */
  private onFinalEvent(worker: Worker, event: Exclude<SendfileWorkerEvent, { type: 'ready' }>): void {
    if (this.finished) return;
    this.finished = true;
    this.detach();
    liveWorkers--;
    this.ownedFd = -1;
    const released = this.positions.loadFlag('released') !== 0;
    if (!released) void worker.terminate(); // (cannot happen: the worker sets it before its final event)
    settleSendfileReturn(released ? worker : null, this.returnAnnounced);
    this.markStopped();
    if (event.type === 'failed') this.fail(Object.assign(new Error(event.message), { code: event.code }));
  }

  /** Keep the slave hearing from us while the worker boots (see the header). */
  private armBootHeartbeat(offset: number): void {
    this.bootHeartbeat = this.scheduler.after(
      this.options.heartbeatIntervalMs,
      () => {
        this.bootHeartbeat = null;
        if (this.state !== 'running' || this.handedOver || this.socket.destroyed) return;
        this.socket.write(encodeFrameHeader(offset, 0));
        this.bootFrames++;
        this.armBootHeartbeat(offset);
      },
      { background: true },
    );
  }

  /** The worker is ready: stop writing here, and give it the socket once our bytes are out. */
  private handOver(): void {
    if (this.handedOver || this.state !== 'running') return;
    this.handedOver = true;
    this.bootHeartbeat?.cancel();
    this.bootHeartbeat = null;
    this.afterSocketFlushed(() => {
      if (this.state === 'running') this.positions.store('go', 1);
    });
  }

  private onExit(addon: NativeAddon, code: number): void {
    if (this.finished) return;
    this.finished = true;
    this.detach();
    liveWorkers--;
    settleSendfileReturn(null, this.returnAnnounced);
    // the worker died before giving up its descriptor: close it here (it no longer writes)
    if (this.positions.loadFlag('released') === 0 && this.ownedFd >= 0) {
      try {
        addon.close(this.ownedFd);
      } catch (err) {
        this.logger.warn(`closing the sendfile worker's socket descriptor ${this.ownedFd} failed: ${(err as Error).message}`);
      }
    }
    this.ownedFd = -1;
    this.markStopped();
    if (code !== 0) this.fail(new HaTransferError(`the sendfile worker exited with code ${code}`));
  }

  /** Report a failure once, and only while the sender is open. */
  private fail(err: Error): void {
    if (this.failed || this.state === 'closed') return;
    this.failed = true;
    this.onError(err);
  }
}
