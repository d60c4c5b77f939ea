// The CommitLog as DLedger's Raft glue (src/dledger/) sees it: positions, written bytes (a leader
// ships bytes as soon as they are written, committed or not), and the one record the glue writes
// itself, the term-start marker (an unindexed system topic, see system-topics.ts). Everything
// else the glue does to the log goes through the public store API (appendReplicated,
// truncateLog, the replication policy).
import type { PutMessageInput } from './statuses.js';
import type { PutPath } from './put-path.js';
import type { StoreCore } from './store-core.js';

export interface RaftLogAccess {
  readonly segmentBytes: number;
  /** End of the bytes written (page cache or write buffer). */
  writtenEnd(): number;
  /** End of the bytes fsynced. */
  flushedEnd(): number;
  /** The first byte still held by a segment file. */
  minOffset(): number;
  /** Written bytes [offset, offset + length) of one segment (shorter at the written end or the segment end). */
  readWritten(offset: number, length: number): Uint8Array;
  /** Append a system record (the term-start marker) at the log end. */
  appendSystemRecord(input: PutMessageInput): { physicalOffset: number; endOffset: number } | { error: string };
  /** Resolve once the flushed end passes `offset`, or after `timeoutMs`. */
  waitFlushedPast(offset: number, timeoutMs: number): Promise<unknown>;
  /** Ask the persistence service to commit (buffer mode) and flush soon. */
  wake(): void;
}

export function raftLogAccess(core: StoreCore, puts: PutPath): RaftLogAccess {
  const log = core.commitLog;
  return {
    segmentBytes: core.config.mappedFileSizeCommitLog,
    writtenEnd: () => log.wroteOffset,
    flushedEnd: () => log.flushedOffset,
    minOffset: () => log.minOffsetOnDisk(),
    readWritten: (offset, length) => log.readWritten(offset, length),
    appendSystemRecord: (input) => puts.appendSystemRecord(input),
    waitFlushedPast: (offset, timeoutMs) => log.block.waitAtLeastAsync('flushed', offset + 1, timeoutMs),
    wake: () => {
      log.requestCommit(log.wroteOffset);
      core.runner?.wake();
    },
  };
}
