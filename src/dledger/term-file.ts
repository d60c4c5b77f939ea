// The term history of this member's log, kept in `<storePathRootDir>/dledgerTerms` (next to
// haEpochs): one "<term> <startOffset>" line per term, oldest first, saved whole through a
// temporary file, fsync and rename. The term-start markers in the log are the source of truth;
// the file only spares a start from scanning the whole log:
//   recoverTerms: the file's entries that start below the recovered log end (a term whose marker
//   was lost with an unflushed tail has no bytes), then every marker of a newer term found in the
//   last segment (a crash between a marker's append and the file's save) is added. The result is
//   checked (term-history.ts `check`); a file that does not parse is an error naming the line.
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../errors.js';
import { readTextFile, writeFileAtomic } from '../io/atomic-file.js';
import type { FileIO } from '../io/file-io.js';
import { RecordFrame } from '../codec/record-frame.js';
import { check, type TermEntry } from '../raft/term-history.js';
import type { RaftLogAccess } from '../store/raft-log-access.js';
import type { Logger } from '../util/logger.js';
import { walkSegmentRecords } from './log-records.js';
import { parseMarker } from './term-marker.js';

export const TERM_FILE_NAME = 'dledgerTerms';

export class TermFile {
  readonly path: string;

  constructor(
    private readonly io: FileIO,
    storeRoot: string,
  ) {
    this.path = join(storeRoot, TERM_FILE_NAME);
  }

  load(): TermEntry[] {
    const text = readTextFile(this.io, this.path);
    if (text === null) return [];
    const entries: TermEntry[] = [];
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      const line = lines[n]!.trim();
      if (line === '') continue;
      const m = /^(\d{1,16}) (\d{1,16})$/.exec(line);
      if (!m) throw new StoreError(ErrorCode.CORRUPT, `${this.path} line ${n + 1}: expected "<term> <startOffset>", got ${JSON.stringify(line.slice(0, 80))}`);
      entries.push({ term: Number(m[1]), startOffset: Number(m[2]) });
    }
    return entries;
  }

  save(entries: readonly TermEntry[]): void {
    writeFileAtomic(this.io, this.path, entries.map((e) => `${e.term} ${e.startOffset}\n`).join(''));
  }
}

/** The term history of the recovered log (see the header). */
export function recoverTerms(file: TermFile, log: RaftLogAccess, logger: Logger): TermEntry[] {
  const end = log.writtenEnd();
  const saved = file.load();
  const kept = saved.filter((e) => e.startOffset < end);
  if (kept.length < saved.length) logger.warn(`term history: dropped ${saved.length - kept.length} term(s) that start at or past the recovered log end ${end}`);
  const entries = [...kept];
  if (end > log.minOffset()) {
    const seg = log.segmentBytes;
    const lastSegment = Math.max(log.minOffset(), end - 1 - ((end - 1) % seg));
    const frame = new RecordFrame();
    walkSegmentRecords(log, lastSegment, end, (r) => {
      if (r.blank) return true;
      const bytes = r.bytes ?? log.readWritten(r.offset, r.size);
      const marker = parseMarker(bytes, frame);
      const last = entries[entries.length - 1];
      if (marker && (!last || (marker.term > last.term && r.offset > last.startOffset))) {
        logger.info(`term history: term ${marker.term} (leader ${marker.leaderId}) starts at ${r.offset} (marker found in the log, not in ${file.path})`);
        entries.push({ term: marker.term, startOffset: r.offset });
      }
      return true;
    });
  }
  const bad = check(entries, end);
  if (bad !== null) throw new StoreError(ErrorCode.CORRUPT, `the recovered DLedger term history does not fit the log: ${bad} (${file.path})`);
  if (entries.length !== saved.length || entries.some((e, i) => saved[i]?.term !== e.term)) file.save(entries);
  return entries;
}
