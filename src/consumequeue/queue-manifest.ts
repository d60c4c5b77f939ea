// The list of ConsumeQueues a store has, with each queue's entry count, kept in
// config/consumeQueues.json ({"queues": {"<topic>": {"<queueId>": maxOffset}}}): mqstore only,
// so that a queue whose files are gone can be told from a queue that never existed (the
// CommitLog alone cannot say so without a full scan). Written atomically (temporary file,
// fsync, rename) when the set of queues grows and at close; at a clean open every queue listed
// must have at least its count of entries. A missing or unreadable file is no information
// (null), never an error.
import { dirname } from 'node:path';
import { ensureDir, readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';

/** "topic\u0000queueId" -> maxOffset */
export type QueueCounts = Map<string, number>;

export function queueKey(topic: string, queueId: number): string {
  return `${topic}\u0000${queueId}`;
}

export function splitQueueKey(key: string): { topic: string; queueId: number } {
  const at = key.lastIndexOf('\u0000');
  return { topic: key.slice(0, at), queueId: Number(key.slice(at + 1)) };
}

export class QueueManifest {
  /** How many queues the last save listed (saves happen when there are more). */
  private savedCount = -1;

  constructor(
    private readonly io: FileIO,
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  load(): QueueCounts | null {
    let text: string | null;
    try {
      text = readTextFile(this.io, this.path);
    } catch (err) {
      this.logger.warn(`ConsumeQueue manifest ${this.path} is unreadable (${(err as Error).message}); queues are checked without it`);
      return null;
    }
    if (text === null) return null;
    try {
      const parsed = JSON.parse(text) as { queues?: Record<string, Record<string, unknown>> };
      const counts: QueueCounts = new Map();
      for (const [topic, byId] of Object.entries(parsed.queues ?? {})) {
        for (const [id, max] of Object.entries(byId)) {
          if (/^\d{1,9}$/.test(id) && typeof max === 'number' && Number.isSafeInteger(max) && max >= 0) counts.set(queueKey(topic, Number(id)), max);
        }
      }
      this.savedCount = counts.size;
      return counts;
    } catch (err) {
      this.logger.warn(`ConsumeQueue manifest ${this.path} is malformed (${(err as Error).message}); queues are checked without it`);
      return null;
    }
  }

  /** Save when the number of queues grew since the last save (or `always`). */
  save(counts: QueueCounts, always: boolean): void {
    if (!always && counts.size <= this.savedCount) return;
    const queues: Record<string, Record<string, number>> = {};
    for (const [key, max] of counts) {
      const { topic, queueId } = splitQueueKey(key);
      (queues[topic] ??= {})[String(queueId)] = max;
    }
    ensureDir(this.io, dirname(this.path));
    writeFileAtomic(this.io, this.path, JSON.stringify({ queues }, null, 1));
    this.savedCount = counts.size;
  }
}
