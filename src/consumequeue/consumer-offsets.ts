// Consumer offsets per group: "topic@group" -> queueId -> next queue offset to consume,
// persisted as RocketMQ's config/consumerOffset.json ({"offsetTable": {...}}). A save writes a
// temporary file, fsyncs it and renames it over the old one, keeping the previous as .bak; a
// load falls back to .bak when the main file is unreadable.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, copyFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import type { Logger } from '../util/logger.js';

type OffsetTable = Record<string, Record<string, number>>;

export class ConsumerOffsets {
  private table = new Map<string, Map<number, number>>();
  private dirty = false;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  load(): void {
    for (const candidate of [this.path, `${this.path}.bak`]) {
      if (!existsSync(candidate)) continue;
      try {
        this.table = parseTable(readFileSync(candidate, 'utf8'));
        if (candidate !== this.path) this.logger.warn(`consumer offsets restored from ${candidate}`);
        return;
      } catch (err) {
        this.logger.error(`consumer offsets file ${candidate} is unreadable: ${(err as Error).message}`);
      }
    }
    if (existsSync(this.path)) {
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

  /** Write the table if it changed since the last save. */
  persist(): void {
    if (!this.dirty) return;
    const table: OffsetTable = {};
    for (const [key, byQueue] of this.table) table[key] = Object.fromEntries([...byQueue].map(([q, o]) => [String(q), o]));
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ offsetTable: table }, null, 2));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (existsSync(this.path)) copyFileSync(this.path, `${this.path}.bak`);
    renameSync(tmp, this.path);
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
      if (!/^\d+$/.test(q) || typeof o !== 'number' || !Number.isSafeInteger(o)) throw new Error(`bad offset ${key}/${q}`);
      m.set(Number(q), o);
    }
    table.set(key, m);
  }
  return table;
}
