// The `haEpochs` file at the store root: this node's epoch history (epoch-history.ts), one
// entry per line as "<epoch> <startOffset>" in decimal, oldest first. Saved as a whole through a
// temporary file, fsync and rename (and an fsync of the directory), so a crash leaves either the
// old or the new list. A missing file is the implicit origin only.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, IoError, StoreError } from '../errors.js';
import { normalizeEpochs, type EpochEntry } from './epoch-history.js';

export const EPOCH_FILE_NAME = 'haEpochs';

export class EpochFile {
  readonly path: string;

  constructor(readonly rootDir: string) {
    this.path = join(rootDir, EPOCH_FILE_NAME);
  }

  /** The list with the origin in front; throws ERR_STORE_CORRUPT naming the line if malformed. */
  load(): EpochEntry[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return normalizeEpochs([], this.path);
      throw new IoError(`reading ${this.path}`, err);
    }
    const entries: EpochEntry[] = [];
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!.trim();
      if (line === '') continue;
      const m = /^(\d{1,16}) (\d{1,16})$/.exec(line);
      if (!m) throw new StoreError(ErrorCode.CORRUPT, `${this.path} line ${n + 1}: expected "<epoch> <startOffset>", got ${JSON.stringify(line.slice(0, 80))}`);
      entries.push({ epoch: Number(m[1]), startOffset: Number(m[2]) });
    }
    return normalizeEpochs(entries, this.path);
  }

  save(entries: readonly EpochEntry[]): void {
    const list = normalizeEpochs(entries, 'saving epochs');
    const text = list.map((e) => `${e.epoch} ${e.startOffset}\n`).join('');
    const tmp = `${this.path}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
      const dir = openSync(this.rootDir, 'r');
      try {
        fsyncSync(dir);
      } finally {
        closeSync(dir);
      }
    } catch (err) {
      throw new IoError(`saving ${this.path}`, err);
    }
  }
}
