// One of RocketMQ's broker metadata files under <storePathRootDir>/config/ (topics.json,
// subscriptionGroup.json): a JSON document with a `dataVersion` and one table, read whole at
// start and replaced atomically on every change (writeFileAtomic: the previous version is kept
// as <name>.bak, which is read when the main file is missing or unreadable, as RocketMQ's
// ConfigManager does). A file that exists but cannot be parsed, with no readable backup, stops
// the broker from starting (it would otherwise forget topics or groups and re-create them
// with defaults): StoreError ERR_STORE_CORRUPT names the file.
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { ensureDir, readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';

export interface DataVersion {
  counter: number;
  stateVersion: number;
  timestamp: number;
}

export class ConfigJsonFile<Row> {
  private readonly path: string;
  private readonly backupPath: string;
  private version: DataVersion = { counter: 0, stateVersion: 0, timestamp: 0 };

  constructor(
    private readonly io: FileIO,
    rootDir: string,
    readonly fileName: string,
    /** The table's field in the document (topicConfigTable, subscriptionGroupTable). */
    private readonly tableField: string,
    /** Checks one row as read; returns why it is unusable, or null. */
    private readonly checkRow: (name: string, row: unknown) => string | null,
  ) {
    this.path = join(rootDir, 'config', fileName);
    this.backupPath = `${this.path}.bak`;
  }

  /** The table as stored (empty when neither the file nor its backup exists). */
  load(): Map<string, Row> {
    const main = this.tryRead(this.path);
    if (main.table) return main.table;
    const backup = this.tryRead(this.backupPath);
    if (backup.table) return backup.table;
    if (main.error === null && backup.error === null) return new Map();
    throw new StoreError(ErrorCode.CORRUPT, `${this.path} is unreadable (${main.error ?? 'missing'}) and so is its backup (${backup.error ?? 'missing'})`);
  }

  /** Replace the file with `table` (durable once this returns). */
  save(table: ReadonlyMap<string, Row>, nowMs: number): void {
    this.version = { counter: this.version.counter + 1, stateVersion: this.version.stateVersion, timestamp: nowMs };
    const doc = { dataVersion: this.version, [this.tableField]: Object.fromEntries(table) };
    ensureDir(this.io, join(this.path, '..'));
    writeFileAtomic(this.io, this.path, `${JSON.stringify(doc, null, 2)}\n`, { backupPath: this.backupPath });
  }

  /** { table } when readable, { error: null } when missing, { error } when unreadable. */
  private tryRead(path: string): { table?: Map<string, Row>; error: string | null } {
    const text = readTextFile(this.io, path);
    if (text === null) return { error: null };
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      return { error: `not JSON: ${(err as Error).message}` };
    }
    const table = (doc as Record<string, unknown> | null)?.[this.tableField];
    if (typeof table !== 'object' || table === null || Array.isArray(table)) return { error: `no ${this.tableField} object` };
    const rows = new Map<string, Row>();
    for (const [name, row] of Object.entries(table)) {
      const why = this.checkRow(name, row);
      if (why !== null) return { error: `${this.tableField}.${name}: ${why}` };
      rows.set(name, row as Row);
    }
    const v = (doc as { dataVersion?: Partial<DataVersion> }).dataVersion;
    if (v && typeof v.counter === 'number') this.version = { counter: v.counter, stateVersion: v.stateVersion ?? 0, timestamp: v.timestamp ?? 0 };
    return { table: rows, error: null };
  }
}
