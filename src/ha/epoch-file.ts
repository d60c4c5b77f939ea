// The `haEpochs` file at the store root: this node's epoch history (epoch-history.ts), one
// entry per line as "<epoch> <startOffset> <storeId>" (decimal, decimal, 16 hex digits: the
// store that began the epoch, store-identity.ts), oldest first; a line without the id (written
// before ids existed) is an entry whose store is unknown. Saved as a whole through a
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
      const m = /^(\d{1,16}) (\d{1,16})(?: ([0-9a-f]{16}))?$/.exec(line);
      if (!m) throw new StoreError(ErrorCode.CORRUPT, `${this.path} line ${n + 1}: expected "<epoch> <startOffset> [<storeId>]", got ${JSON.stringify(line.slice(0, 80))}`);
      entries.push(m[3] === undefined ? { epoch: Number(m[1]), startOffset: Number(m[2]) } : { epoch: Number(m[1]), startOffset: Number(m[2]), storeId: m[3] });
    }
    return normalizeEpochs(entries, this.path);
  }

  save(entries: readonly EpochEntry[]): void {
    const list = normalizeEpochs(entries, 'saving epochs');
    const text = list.map((e) => `${e.epoch} ${e.startOffset}${e.storeId === undefined ? '' : ` ${e.storeId}`}\n`).join('');
    writeFileAtomic(this.io, this.path, text);
  }
}
