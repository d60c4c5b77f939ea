// Every ConsumeQueue of the store, by topic and queueId, under consumequeue/<topic>/<queueId>/.
// Loads existing queues, creates new ones on first dispatch, and applies store-wide operations
// (truncate to a CommitLog offset, write tails, sync, close). Directories are read through the
// FileIO; a queue's directory is created with its first file (segment-list.ts).
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';
import { ConsumeQueue } from './consume-queue.js';
import { queueKey, type QueueCounts } from './queue-manifest.js';

const QUEUE_ID_PATTERN = /^\d+$/;

export class ConsumeQueueStore {
  private readonly queues = new Map<string, Map<number, ConsumeQueue>>();
  /** Queues whose files could not be opened at load (a file of the wrong length, a gap between
   * files), with why: the store rebuilds them from the CommitLog (consume-queue-check.ts). */
  readonly damagedAtLoad = new Map<ConsumeQueue, string>();

  constructor(
    private readonly io: FileIO,
    private readonly rootDir: string,
    private readonly segmentBytes: number,
    private readonly logger: Logger,
  ) {}

  /** Open every queue directory; names that are not queue ids are skipped. A queue whose files
   * do not load is kept empty and listed in damagedAtLoad. */
  load(): void {
    if (!this.io.exists(this.rootDir)) return;
    for (const topic of this.io.readdir(this.rootDir)) {
      const topicDir = join(this.rootDir, topic);
      if (!this.io.stat(topicDir).isDirectory) continue;
      for (const name of this.io.readdir(topicDir)) {
        if (!QUEUE_ID_PATTERN.test(name)) continue;
        const q = this.create(topic, Number(name));
        try {
          q.load(this.logger);
        } catch (err) {
          if (!(err instanceof StoreError) || err.code !== ErrorCode.CORRUPT) throw err;
          q.reset();
          this.damagedAtLoad.set(q, err.message);
        }
      }
    }
  }

  find(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.queues.get(topic)?.get(queueId);
  }

  findOrCreate(topic: string, queueId: number): ConsumeQueue {
    return this.find(topic, queueId) ?? this.create(topic, queueId);
  }

  all(): ConsumeQueue[] {
    const out: ConsumeQueue[] = [];
    for (const byId of this.queues.values()) out.push(...byId.values());
    return out;
  }

  /** The highest CommitLog end any queue references (where re-dispatch may start). */
  maxPhysicalEnd(): number {
    let max = 0;
    for (const q of this.all()) max = Math.max(max, q.maxPhysicalEnd);
    return max;
  }

  /** Every queue's entry count (maxOffset), for the manifest (queue-manifest.ts). */
  counts(): QueueCounts {
    const out: QueueCounts = new Map();
    for (const q of this.all()) out.set(queueKey(q.topic, q.queueId), q.maxOffset);
    return out;
  }

  get count(): number {
    let n = 0;
    for (const byId of this.queues.values()) n += byId.size;
    return n;
  }

  /** Retention and restart: every queue's min offset moves to its first entry at or above `commitLogMinOffset`. */
  deleteBelow(commitLogMinOffset: number): void {
    for (const q of this.all()) q.deleteBelow(commitLogMinOffset);
  }

  /** Cut every queue after its last durable entry below `durableOffset` (see ConsumeQueue.recover). */
  recover(durableOffset: number): void {
    for (const q of this.all()) q.recover(durableOffset);
  }

  /** Write every tail; return the descriptors to fdatasync before the written entries count as
   * durable (the caller does it off the writer thread). */
  writeTails(): number[] {
    const fds: number[] = [];
    for (const q of this.all()) {
      q.writeTail();
      fds.push(...q.takeUnsyncedFiles());
    }
    return fds;
  }

  close(): void {
    for (const q of this.all()) q.close();
    this.queues.clear();
  }

  private create(topic: string, queueId: number): ConsumeQueue {
    let byId = this.queues.get(topic);
    if (!byId) this.queues.set(topic, (byId = new Map()));
    const q = new ConsumeQueue(this.io, topic, queueId, join(this.rootDir, topic, String(queueId)), this.segmentBytes);
    byId.set(queueId, q);
    return q;
  }
}
