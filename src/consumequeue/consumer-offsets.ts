// Consumer offsets per group: "topic@group" -> queueId -> next queue offset to consume,
// persisted as RocketMQ's config/consumerOffset.json ({"offsetTable": {...}}). A save writes a
// temporary file, fsyncs it, renames the previous file to .bak and the new one over it, and
// fsyncs the directory (io/atomic-file.ts, through the store's FileIO); a load falls back to
// .bak when the main file is missing or unreadable.
import { dirname } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { ensureDir, readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import type { Logger } from '../util/logger.js';

/** RocketMQ's consumerOffset.json offsetTable: "topic@group" -> queueId (decimal) -> offset. */
export type OffsetTable = Record<string, Record<string, number>>;

export class ConsumerOffsets {
  private table = new Map<string, Map<number, number>>();
  private dirty = false;

  constructor(
    private readonly io: FileIO,
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  load(): void {
    let mainExists = false;
    for (const candidate of [this.path, `${this.path}.bak`]) {
      try {
        const text = readTextFile(this.io, candidate);
        if (text === null) continue;
        if (candidate === this.path) mainExists = true;
        this.table = parseTable(text);
        if (candidate !== this.path) this.logger.warn(`consumer offsets restored from ${candidate}`);
        return;
      } catch (err) {
        if (candidate === this.path) mainExists = true;
        this.logger.error(`consumer offsets file ${candidate} is unreadable: ${(err as Error).message}`);
      }
    }
    if (mainExists) {
      throw new StoreError(ErrorCode.CORRUPT, `consumer offsets ${this.path} and its .bak are both unreadable`);
    }
  }

  commit(group: string, topic: string, queueId: number, offset: number): void {
    const key = `${topic}@${group}`;
    let byQueue = this.table.get(key);
    if (!byQueue) this.table.set(key, (byQueue = new Map()));
    const previous = byQueue.get(queueId);
    if (previous !== undefined && offset < previous) {
      this.logger.info(`consumer offset of ${key} queue ${queueId} moved back from ${previous} to ${offset}`);
    }
    byQueue.set(queueId, offset);
    this.dirty = true;
  }

  /** The committed offset, or -1 when the group never committed one for this queue. */
  query(group: string, topic: string, queueId: number): number {
    return this.table.get(`${topic}@${group}`)?.get(queueId) ?? -1;
  }

  /** Every group that committed an offset for some queue of `topic`. */
  groupsOf(topic: string): string[] {
    const prefix = `${topic}@`;
    const out: string[] = [];
    for (const key of this.table.keys()) if (key.startsWith(prefix)) out.push(key.slice(prefix.length));
    return out;
  }

  /** The whole table as RocketMQ's offsetTable JSON (what a master sends its slaves). */
  snapshot(): OffsetTable {
    const table: OffsetTable = {};
    for (const [key, byQueue] of this.table) table[key] = Object.fromEntries([...byQueue].map(([q, o]) => [String(q), o]));
    return table;
  }

  /** A slave takes its master's offsets: every (topic@group, queue) the master has is set to the
   * master's value (RocketMQ's slave sync puts the master's table over its own); entries only
   * the slave has stay. `text` is the master's consumerOffset.json document; a malformed one
   * throws and changes nothing. Returns how many offsets changed. */
  adoptJson(text: string): number {
    const incoming = parseTable(text);
    let changed = 0;
    for (const [key, byQueue] of incoming) {
      let mine = this.table.get(key);
      if (!mine) this.table.set(key, (mine = new Map()));
      for (const [q, o] of byQueue) {
        if (mine.get(q) === o) continue;
        mine.set(q, o);
        changed++;
      }
    }
    if (changed > 0) this.dirty = true;
    return changed;
  }

  /** The table as the JSON document consumerOffset.json holds. */
  toJson(): string {
    return JSON.stringify({ offsetTable: this.snapshot() });
  }

  /** Write the table if it changed since the last save. */
  persist(): void {
    if (!this.dirty) return;
    ensureDir(this.io, dirname(this.path));
    writeFileAtomic(this.io, this.path, JSON.stringify({ offsetTable: this.snapshot() }, null, 2), { backupPath: `${this.path}.bak` });
    this.dirty = false;
  }
}

function parseTable(text: string): Map<string, Map<number, number>> {
  const parsed = JSON.parse(text) as { offsetTable?: unknown };
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.offsetTable !== 'object' || parsed.offsetTable === null) {
    throw new Error('no offsetTable object');
  }
  const table = new Map<string, Map<number, number>>();
  for (const [key, byQueue] of Object.entries(parsed.offsetTable as Record<string, unknown>)) {
    if (!key.includes('@') || typeof byQueue !== 'object' || byQueue === null) throw new Error(`bad entry '${key}'`);
    const m = new Map<number, number>();
    for (const [q, o] of Object.entries(byQueue as Record<string, unknown>)) {
      if (!/^\d{1,9}$/.test(q) || typeof o !== 'number' || !Number.isSafeInteger(o)) throw new Error(`bad offset ${key}/${q}`);
      m.set(Number(q), o);
    }
    table.set(key, m);
  }
  return table;
}
