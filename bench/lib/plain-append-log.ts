// The baseline every put figure is a ratio to: a plain append log, what anyone writes in an
// afternoon (issue 12). Each put encodes a record with RocketMQ's V1 layout (body CRC with
// zlib.crc32, queue offset per topic-queue, physical offset) into an 8 MiB Buffer. ASYNC_FLUSH:
// the put returns a resolved promise; a full Buffer is written with fs.write on libuv's pool
// (at most WRITES_IN_FLIGHT_MAX full buffers pending, then puts wait for one to finish).
// SYNC_FLUSH: one write + fdatasync round at a time covers every record encoded before it began,
// and resolves its waiters in order (group commit). No segments, no ConsumeQueue, no recovery:
// it is the floor of the work a log must do, not a store.
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';

const BUFFER_BYTES = 8 << 20;
const WRITES_IN_FLIGHT_MAX = 4;
const MAGIC_V1 = 0xdaa320a7 | 0;
/** Fixed part of a V1 record with IPv4 hosts: everything up to the body, plus topic/props lengths. */
const FIXED_BYTES = 88 + 1 + 2;
const STORE_HOST = Uint8Array.of(127, 0, 0, 1);

/** A non-negative safe integer as a big-endian int64 (two int32 writes, no BigInt). */
function writeLong(b: Buffer, v: number, p: number): number {
  b.writeUInt32BE(Math.floor(v / 0x1_0000_0000), p);
  return b.writeUInt32BE(v >>> 0, p + 4);
}

export type PlainFlush = 'ASYNC_FLUSH' | 'SYNC_FLUSH';
export interface PlainPutResult {
  readonly status: 'PUT_OK';
  readonly physicalOffset: number;
  readonly queueOffset: number;
}

interface SyncWaiter {
  readonly end: number;
  readonly result: PlainPutResult;
  readonly resolve: (r: PlainPutResult) => void;
}

export class PlainAppendLog {
  private buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  /** Log offset of buffer[0]. */
  private bufferBase = 0;
  private used = 0;
  /** Log bytes handed to fs.write (SYNC_FLUSH: also fdatasync'ed once the round ends). */
  private written = 0;
  private readonly queueOffsets = new Map<string, number>();
  private writesInFlight = 0;
  private readonly writeDone: Array<() => void> = [];
  private readonly syncWaiters: SyncWaiter[] = [];
  private syncRunning = false;
  private failure: Error | null = null;

  private constructor(
    private readonly fd: number,
    private readonly flush: PlainFlush,
  ) {}

  static open(file: string, flush: PlainFlush): PlainAppendLog {
    return new PlainAppendLog(fs.openSync(file, 'w'), flush);
  }

  get endOffset(): number {
    return this.bufferBase + this.used;
  }

  put(topic: string, queueId: number, body: Uint8Array): Promise<PlainPutResult> {
    if (this.failure) return Promise.reject(this.failure);
    const topicBytes = Buffer.from(topic, 'latin1');
    const size = FIXED_BYTES + body.length + topicBytes.length;
    if (this.used + size > BUFFER_BYTES) {
      const swapped = this.swapBuffer();
      if (swapped) return swapped.then(() => this.put(topic, queueId, body));
    }
    const key = `${topic}-${queueId}`;
    const queueOffset = this.queueOffsets.get(key) ?? 0;
    this.queueOffsets.set(key, queueOffset + 1);
    const physicalOffset = this.endOffset;
    this.encode(size, queueId, queueOffset, physicalOffset, body, topicBytes);
    const result: PlainPutResult = { status: 'PUT_OK', physicalOffset, queueOffset };
    if (this.flush === 'ASYNC_FLUSH') return Promise.resolve(result);
    return new Promise((resolve) => {
      this.syncWaiters.push({ end: physicalOffset + size, result, resolve });
      this.startSyncRound();
    });
  }

  /** Writes what is buffered and waits for every write (and, SYNC_FLUSH, the last round). */
  async close(): Promise<void> {
    while (this.syncRunning || this.writesInFlight > 0) await new Promise<void>((r) => this.writeDone.push(r));
    if (this.used > this.written - this.bufferBase) await this.writeRange(this.buffer, this.written - this.bufferBase, this.used);
    fs.closeSync(this.fd);
    if (this.failure) throw this.failure;
  }

  private encode(size: number, queueId: number, queueOffset: number, physicalOffset: number, body: Uint8Array, topic: Buffer): void {
    const b = this.buffer;
    let p = this.used;
    const now = Date.now();
    p = b.writeInt32BE(size, p);
    p = b.writeInt32BE(MAGIC_V1, p);
    p = b.writeInt32BE(crc32(body) & 0x7fffffff, p);
    p = b.writeInt32BE(queueId, p);
    p = b.writeInt32BE(0, p); // flag
    p = writeLong(b, queueOffset, p);
    p = writeLong(b, physicalOffset, p);
    p = b.writeInt32BE(0, p); // sysFlag
    p = writeLong(b, now, p); // born
    b.set(STORE_HOST, p);
    p = b.writeInt32BE(0, p + 4);
    p = writeLong(b, now, p); // store
    b.set(STORE_HOST, p);
    p = b.writeInt32BE(10911, p + 4);
    p = b.writeInt32BE(0, p); // reconsumeTimes
    p = writeLong(b, 0, p); // prepared transaction offset
    p = b.writeInt32BE(body.length, p);
    b.set(body, p);
    p += body.length;
    p = b.writeInt8(topic.length, p);
    b.set(topic, p);
    p += topic.length;
    p = b.writeInt16BE(0, p); // no properties
    this.used = p;
  }

  /** ASYNC_FLUSH: hands the full buffer to fs.write; returns a promise when too many are pending. */
  private swapBuffer(): Promise<void> | null {
    if (this.flush === 'SYNC_FLUSH') {
      // The sync round owns the buffer's bytes until they are written: wait for it to catch up.
      if (this.written < this.endOffset) return this.waitForWrite();
    } else {
      if (this.writesInFlight >= WRITES_IN_FLIGHT_MAX) return this.waitForWrite();
      void this.writeRange(this.buffer, 0, this.used);
    }
    this.bufferBase += this.used;
    this.written = this.bufferBase;
    this.buffer = Buffer.allocUnsafe(BUFFER_BYTES);
    this.used = 0;
    return null;
  }

  private waitForWrite(): Promise<void> {
    if (this.flush === 'SYNC_FLUSH') this.startSyncRound();
    return new Promise((r) => this.writeDone.push(r));
  }

  private writeRange(buffer: Buffer, from: number, to: number): Promise<void> {
    const position = this.bufferBase + from;
    this.writesInFlight++;
    return new Promise((resolve) => {
      fs.write(this.fd, buffer, from, to - from, position, (err) => {
        this.writesInFlight--;
        if (err) this.failure ??= err;
        resolve();
        this.writeDone.splice(0).forEach((w) => w());
      });
    });
  }

  private startSyncRound(): void {
    if (this.syncRunning || this.syncWaiters.length === 0) return;
    this.syncRunning = true;
    const end = this.endOffset;
    const from = this.written - this.bufferBase;
    const buffer = this.buffer;
    void this.writeRange(buffer, from, this.used).then(
      () =>
        new Promise<void>((resolve) => {
          fs.fdatasync(this.fd, (err) => {
            if (err) this.failure ??= err;
            this.written = end;
            let n = 0;
            while (n < this.syncWaiters.length && this.syncWaiters[n]!.end <= end) n++;
            for (const w of this.syncWaiters.splice(0, n)) w.resolve(w.result);
            this.syncRunning = false;
            resolve();
            this.writeDone.splice(0).forEach((w) => w());
            this.startSyncRound();
          });
        }),
    );
  }
}
