// The `checkpoint` file: one 4096-byte page of big-endian int64 fields (RocketMQ StoreCheckpoint).
//
// | off | field               | meaning                                                     |
// |-----|---------------------|-------------------------------------------------------------|
// |   0 | physicMsgTimestamp  | store time of the newest CommitLog message known flushed    |
// |   8 | logicsMsgTimestamp  | store time of the newest message dispatched to a CQ          |
// |  16 | indexMsgTimestamp   | newest indexed message (no index yet: kept at 0)            |
// |  24 | masterFlushedOffset | 5.x field, kept at 0                                         |
// |  32 | confirmPhyOffset    | the CommitLog offset known durable when the file was written |
// |  40 | consumeQueueDurableOffset | mqstore: every ConsumeQueue entry for a record below it is |
// |     |                     | written and fsynced (0 in a RocketMQ file: queues are rebuilt) |
// Saved with pwrite + fdatasync (periodically with the fdatasync in the background; the fields sit in the first 512-byte sector, so a torn page write
// leaves either the old or the new values); a short or missing file reads as all zeros. A newly
// created file has its directory fsynced at once, so its name is durable before the first save
// counts.
import { join } from 'node:path';
import { readInt64, writeInt64 } from '../codec/bytes-be.js';
import type { FileIO } from '../io/file-io.js';

export const CHECKPOINT_BYTES = 4096;

export interface CheckpointValues {
  physicMsgTimestamp: number;
  logicsMsgTimestamp: number;
  indexMsgTimestamp: number;
  masterFlushedOffset: number;
  confirmPhyOffset: number;
  consumeQueueDurableOffset: number;
}

const FIELDS: ReadonlyArray<[keyof CheckpointValues, number]> = [
  ['physicMsgTimestamp', 0],
  ['logicsMsgTimestamp', 8],
  ['indexMsgTimestamp', 16],
  ['masterFlushedOffset', 24],
  ['confirmPhyOffset', 32],
  ['consumeQueueDurableOffset', 40],
];

export class Checkpoint {
  readonly values: CheckpointValues = {
    physicMsgTimestamp: 0,
    logicsMsgTimestamp: 0,
    indexMsgTimestamp: 0,
    masterFlushedOffset: 0,
    confirmPhyOffset: 0,
    consumeQueueDurableOffset: 0,
  };
  private readonly page = new Uint8Array(CHECKPOINT_BYTES);
  private readonly fd: number;
  private syncing: Promise<void> | null = null;

  constructor(
    private readonly io: FileIO,
    rootDir: string,
  ) {
    const path = join(rootDir, 'checkpoint');
    const created = !io.exists(path);
    this.fd = io.open(path, { create: true });
    if (created) io.fsyncDir(rootDir);
    const n = io.pread(this.fd, this.page, 0);
    if (n === CHECKPOINT_BYTES) for (const [name, at] of FIELDS) this.values[name] = readInt64(this.page, at);
  }

  /** RocketMQ's recovery start rule: min(physic, logics) - 3 s, floored at 0. */
  get minTimestamp(): number {
    return Math.max(0, Math.min(this.values.physicMsgTimestamp, this.values.logicsMsgTimestamp) - 3000);
  }

  save(): void {
    for (const [name, at] of FIELDS) writeInt64(this.page, at, this.values[name]);
    this.io.pwrite(this.fd, this.page, 0);
    this.io.fdatasync(this.fd);
  }

  /** save() with the fdatasync on libuv's pool instead of the calling thread (the periodic
   * save runs among puts on the writer thread, where a synchronous fdatasync stalled every put
   * behind it for 10-50 ms on this machine). Skipped while an earlier one is still syncing (the
   * next save writes newer values anyway). The file holds the old or the new values until the
   * sync ends, as with save(); every value written is true when written. `onError` hears a
   * failed sync. */
  saveInBackground(onError: (err: Error) => void): void {
    if (this.syncing !== null) return;
    for (const [name, at] of FIELDS) writeInt64(this.page, at, this.values[name]);
    this.io.pwrite(this.fd, this.page, 0);
    this.syncing = this.io
      .fdatasyncAsync(this.fd)
      .catch((err: unknown) => onError(err as Error))
      .finally(() => {
        this.syncing = null;
      });
  }

  /** Resolves when no background save is syncing (close waits for it before closing the fd). */
  get idle(): Promise<void> {
    return this.syncing ?? Promise.resolve();
  }

  close(): void {
    this.io.close(this.fd);
  }
}
