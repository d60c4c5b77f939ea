// HaSender on the main thread over a Transport Connection: reads committed CommitLog bytes through
// the ReplicationSource (one pread of up to FRAMES_PER_READ batches, within one segment), cuts
// them into frames of at most transferBatchBytes and writes them with one corked writev.
//
// Bounds: it writes only while the socket does not need 'drain' (so user-space buffering is at
// most the socket's highWaterMark plus one read of FRAMES_PER_READ frames), and yields to the
// event loop after MAX_FRAMES_PER_TURN frames so a fast slave cannot starve puts and acks.
// Idle: it waits for committed data (Atomics.waitAsync), a kick, or idleWaitMs, whichever comes
// first, and sends a heartbeat frame when nothing was sent for heartbeatIntervalMs.
import type { Connection } from '../net/transport.js';
import type { ReplicationSource } from '../replication/replication-types.js';
import type { Clock } from '../util/clock.js';
import { nextTurn, type Scheduler } from '../util/scheduler.js';
import { HaErrorCode } from './ha-errors.js';
import { encodeFrameHeader } from './ha-protocol.js';
import type { HaSender, HaSenderContext, HaSenderOptions } from './ha-sender.js';

const MAX_FRAMES_PER_TURN = 64;
/** Frames cut from one pread and written with one writev (fewer syscalls when catching up). */
const FRAMES_PER_READ = 8;
/** Consecutive rounds with committed bytes past nextOffset but nothing readable at it. */
const MAX_EMPTY_READS = 100;

export class HaTransferError extends Error {
  readonly code = HaErrorCode.TRANSFER;
  constructor(message: string) {
    super(message);
    this.name = 'HaTransferError';
  }
}

export function tcpSender(context: HaSenderContext): HaSender {
  return new TcpHaSender(context.socket, context.source, context.options, context.clock, context.scheduler, context.onError);
}

class TcpHaSender implements HaSender {
  private next = -1;
  private transferred = 0;
  private frames = 0;
  private closed = false;
  /** Ends an idle wait (kick or close). */
  private wake: (() => void) | null = null;
  /** Ends a drain wait (close only). */
  private abortDrain: (() => void) | null = null;
  private lastSendMs: number;

  constructor(
    private readonly socket: Connection,
    private readonly source: ReplicationSource,
    private readonly options: HaSenderOptions,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly onError: (err: Error) => void,
  ) {
    this.lastSendMs = clock.monotonicMs();
  }

  get nextOffset(): number {
    return this.next;
  }

  get transferredBytes(): number {
    return this.transferred;
  }

  get frameCount(): number {
    return this.frames;
  }

  start(fromOffset: number): void {
    if (this.next >= 0 || this.closed) return;
    this.next = fromOffset;
    this.run().catch((err: unknown) => {
      if (!this.closed) this.onError(err instanceof Error ? err : new Error(String(err)));
    });
  }

  kick(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  close(): void {
    this.closed = true;
    this.kick();
    this.abortDrain?.();
  }

  private async run(): Promise<void> {
    let burst = 0;
    let emptyReads = 0;
    while (!this.closed) {
      if (this.socket.writableNeedDrain) {
        await this.drained();
        continue;
      }
      const bytes = this.source.read(this.next, this.options.transferBatchBytes * FRAMES_PER_READ);
      if (bytes.byteLength > 0) {
        emptyReads = 0;
        burst += this.send(bytes);
        if (burst >= MAX_FRAMES_PER_TURN) {
          burst = 0;
          await nextTurn(this.scheduler);
        }
        continue;
      }
      burst = 0;
      if (this.source.maxOffset() > this.next) {
        // committed bytes exist past `next` but none is readable there
        if (this.next < this.source.minOffset()) {
          throw new HaTransferError(`offset ${this.next} is below the master's min offset ${this.source.minOffset()}: those segments were deleted`);
        }
        if (++emptyReads > MAX_EMPTY_READS) throw new HaTransferError(`no readable bytes at ${this.next} though the log ends at ${this.source.maxOffset()}`);
        await nextTurn(this.scheduler);
        continue;
      }
      await this.idle();
    }
  }

  /** Write `bytes` (read at nextOffset, within one segment) as frames of at most the batch
   * size, in one corked writev; returns the number of frames. */
  private send(bytes: Uint8Array): number {
    const socket = this.socket;
    const batch = this.options.transferBatchBytes;
    let frames = 0;
    socket.cork();
    for (let at = 0; at < bytes.byteLength; at += batch, frames++) {
      const body = bytes.subarray(at, Math.min(bytes.byteLength, at + batch));
      socket.write(encodeFrameHeader(this.next, body.byteLength));
      socket.write(body);
      this.next += body.byteLength;
    }
    socket.uncork();
    this.transferred += bytes.byteLength;
    this.frames += frames;
    this.lastSendMs = this.clock.monotonicMs();
    return frames;
  }

  /** Wait for data, a kick or the idle timeout; send a heartbeat when one is due. */
  private async idle(): Promise<void> {
    const sinceSendMs = this.clock.monotonicMs() - this.lastSendMs;
    if (sinceSendMs >= this.options.heartbeatIntervalMs) {
      this.socket.write(encodeFrameHeader(this.next, 0));
      this.frames++;
      this.lastSendMs = this.clock.monotonicMs();
      return;
    }
    const waitMs = Math.max(1, Math.min(this.options.idleWaitMs, this.options.heartbeatIntervalMs - sinceSendMs));
    const kicked = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    await Promise.race([this.source.waitForData(this.next, waitMs), kicked]);
    this.wake = null;
  }

  private drained(): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        this.abortDrain = null;
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
      this.abortDrain = done;
    });
  }
}
