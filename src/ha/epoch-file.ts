// The `haEpochs` file at the store root: this node's epoch history (epoch-history.ts), one
// entry per line as "<epoch> <startOffset>" in decimal, oldest first. Saved as a whole through a
// temporary file, fsync and rename (and an fsync of the directory), so a crash leaves either the
// old or the new list (io/atomic-file.ts, through the store's FileIO). A missing file is the
// implicit origin only.
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import { normalizeEpochs, type EpochEntry } from './epoch-history.js';

export const EPOCH_FILE_NAME = 'haEpochs';

export class EpochFile {
  readonly path: string;

  constructor(
    private readonly io: FileIO,
    readonly rootDir: string,
  ) {
    this.path = join(rootDir, EPOCH_FILE_NAME);
  }

  /** The list with the origin in front; throws ERR_STORE_CORRUPT naming the line if malformed. */
  load(): EpochEntry[] {
    const text = readTextFile(this.io, this.path);
    if (text === null) return normalizeEpochs([], this.path);
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
    writeFileAtomic(this.io, this.path, text);
  }
}
