// The transfer loop of the sendfile sender, run by its worker thread (workers/ha-sendfile-worker.ts):
// streams committed CommitLog bytes to one slave's socket as HA frames, header by write(2) and
// body by sendfile(2) straight from the segment file (no copy through JS memory).
//
// Per frame: open (and keep) the segment file holding `next`; write the 12-byte header (with
// MSG_MORE, so it leaves in one TCP segment with the body), then sendfile the body (<= transferBatchBytes, never crossing a segment). The socket is non-blocking:
// a short write or sendfile resumes where it stopped after poll(2) says writable (a header cut
// after 5 bytes continues at byte 5). The frame's end is published as `next` BEFORE its body is
// handed to the socket: the slave's report (checked against `next` on the main thread) may
// arrive before this thread runs again after sendfile returns.
// Idle: blocks on the shared `committed` position (Atomics.wait) for at most idleWaitMs and at
// most until a heartbeat is due; a heartbeat (a header with bodySize 0) goes out when nothing was
// sent for heartbeatIntervalMs.
// Bounds: each poll waits at most POLL_SLICE_MS before the stop flag is checked again; a socket
// that accepts nothing for WRITE_STALL_LIMIT_MS is a failure. Errors are thrown (the worker
// reports them); the caller releases the segment descriptor with close().
import { join } from 'node:path';
import type { NativeData } from '../io/native-addon.js';
import { segmentFileName } from '../segment/segment-name.js';
import type { ControlBlock } from '../util/control-block.js';
import { encodeFrameHeader } from './ha-protocol.js';
import type { SendfilePosition } from './ha-sendfile-layout.js';
import { HaTransferError } from './ha-tcp-sender.js';

/** The system calls the loop needs (the native addon has them). */
export interface SocketFileIO {
  writeFd(fd: number, data: NativeData, more?: boolean): { bytes: number; wouldBlock: boolean };
  pollWritable(fd: number, timeoutMs: number): boolean;
  sendfile(outFd: number, inFd: number, offset: number, length: number): { bytes: number; wouldBlock: boolean };
  open(path: string, flags: number, mode: number): number;
  close(fd: number): void;
}

/** The shared `committed` position of the CommitLog. */
export interface CommittedPosition {
  load(): number;
  /** Block this thread while the position is still `seen`, up to timeoutMs or a notify. */
  wait(seen: number, timeoutMs: number): void;
}

export interface SendfileLoopSettings {
  fromOffset: number;
  segmentBytes: number;
  segmentDir: string;
  transferBatchBytes: number;
  heartbeatIntervalMs: number;
  idleWaitMs: number;
}

/** Longest single poll(2) before the stop flag is looked at again. */
export const POLL_SLICE_MS = 20;
/** A slave socket that takes no byte for this long fails the transfer (the connection's own
 * housekeeping normally closes a silent slave long before). */
export const WRITE_STALL_LIMIT_MS = 60_000;
const O_RDONLY = 0;

export class SendfileLoop {
  private next: number;
  private transferred = 0;
  private frames = 0;
  private lastSendMs: number;
  private segment: { start: number; fd: number; path: string } | null = null;
  private readonly nextSlot: number;
  private readonly transferredSlot: number;
  private readonly framesSlot: number;

  constructor(
    private readonly io: SocketFileIO,
    private readonly socketFd: number,
    private readonly committed: CommittedPosition,
    private readonly positions: ControlBlock<SendfilePosition>,
    private readonly settings: SendfileLoopSettings,
    /** Monotonic ms (the worker passes systemClock's; tests a stepped one). */
    private readonly nowMs: () => number,
  ) {
    this.next = settings.fromOffset;
    this.lastSendMs = nowMs();
    this.nextSlot = positions.slotOf('next');
    this.transferredSlot = positions.slotOf('transferred');
    this.framesSlot = positions.slotOf('frames');
  }

  /** Stream until the stop flag is set (returns) or the transfer fails (throws). */
  run(): void {
    for (;;) {
      if (this.stopping()) return;
      const committed = this.committed.load();
      const done = committed > this.next ? this.sendFrame(committed) : this.idle(committed);
      if (!done) return;
    }
  }

  /** Release the cached segment descriptor. */
  close(): void {
    const s = this.segment;
    this.segment = null;
    if (s) this.io.close(s.fd);
  }

  private stopping(): boolean {
    return this.positions.loadFlag('stop') !== 0;
  }

  /** One frame of the committed bytes at `next`; false when stopped part-way. */
  private sendFrame(committed: number): boolean {
    const { segmentBytes, transferBatchBytes } = this.settings;
    const start = this.next - (this.next % segmentBytes);
    const size = Math.min(committed - this.next, transferBatchBytes, start + segmentBytes - this.next);
    const segment = this.segmentAt(start);
    if (!this.writeAll(encodeFrameHeader(this.next, size), true)) return false;
    const position = this.next - start;
    this.positions.publish(this.nextSlot, this.next + size);
    let sent = 0;
    // each round sends bytes or waits for the socket (bounded by the stall limit)
    while (sent < size) {
      const r = this.io.sendfile(this.socketFd, segment.fd, position + sent, size - sent);
      sent += r.bytes;
      if (sent < size && !r.wouldBlock && r.bytes === 0) {
        throw new HaTransferError(`${segment.path} ends at byte ${position + sent}, before the committed offset ${committed}`);
      }
      if (sent < size && !this.waitWritable()) return false;
    }
    this.next += size;
    this.transferred += size;
    this.countFrame();
    this.positions.publish(this.transferredSlot, this.transferred);
    return true;
  }

  /** Wait for data, a notify or the idle bound; send a heartbeat when one is due. */
  private idle(seen: number): boolean {
    const sinceSendMs = this.nowMs() - this.lastSendMs;
    if (sinceSendMs >= this.settings.heartbeatIntervalMs) {
      if (!this.writeAll(encodeFrameHeader(this.next, 0), false)) return false;
      this.countFrame();
      return true;
    }
    this.committed.wait(seen, Math.max(1, Math.min(this.settings.idleWaitMs, this.settings.heartbeatIntervalMs - sinceSendMs)));
    return true;
  }

  private countFrame(): void {
    this.frames++;
    this.positions.publish(this.framesSlot, this.frames);
    this.lastSendMs = this.nowMs();
  }

  /** Write all of `bytes`, resuming after partial writes; false when stopped part-way. `more`:
   * a body follows at once (the header waits for it instead of leaving as its own segment). */
  private writeAll(bytes: Uint8Array, more: boolean): boolean {
    let done = 0;
    // each round writes bytes or waits for the socket (bounded by the stall limit)
    while (done < bytes.byteLength) {
      const r = this.io.writeFd(this.socketFd, done === 0 ? bytes : bytes.subarray(done), more);
      done += r.bytes;
      if (done < bytes.byteLength && !this.waitWritable()) return false;
    }
    return true;
  }

  /** Block until the socket takes bytes again; false when stopped meanwhile. */
  private waitWritable(): boolean {
    const rounds = Math.ceil(WRITE_STALL_LIMIT_MS / POLL_SLICE_MS) + 1;
    const startedMs = this.nowMs();
    for (let round = 0; round < rounds; round++) {
      if (this.stopping()) return false;
      if (this.io.pollWritable(this.socketFd, POLL_SLICE_MS)) return true;
      if (this.nowMs() - startedMs >= WRITE_STALL_LIMIT_MS) break;
    }
    throw new HaTransferError(`the slave's socket accepted no byte for ${Math.round(this.nowMs() - startedMs)} ms`);
  }

  /** The descriptor of the segment starting at `start` (one kept open at a time). */
  private segmentAt(start: number): { start: number; fd: number; path: string } {
    if (this.segment?.start === start) return this.segment;
    this.close();
    const path = join(this.settings.segmentDir, segmentFileName(start));
    let fd: number;
    try {
      fd = this.io.open(path, O_RDONLY, 0);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'ENOENT') throw err;
      throw new HaTransferError(`segment file ${path} for offset ${this.next} does not exist: it is below the master's min offset (deleted) or was never written`);
    }
    this.segment = { start, fd, path };
    return this.segment;
  }
}
