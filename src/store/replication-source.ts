// What a master streams to its slaves, read from its CommitLog: committed bytes by offset (one
// segment at a time), the positions, a wait for new committed bytes, and for a sender in a
// worker thread the shared `committed` slot and the segment directory. Creating one turns on
// `committed` notifications for mmap appends (a streaming master waits on them).
import type { CommitLog } from '../commitlog/commit-log.js';
import type { ReplicationSource } from '../replication/replication-types.js';

export function commitLogReplicationSource(log: CommitLog, segmentBytes: number, segmentDir: string): ReplicationSource {
  log.notifyCommitted = true;
  return {
    segmentBytes,
    maxOffset: () => log.maxOffset,
    minOffset: () => log.minOffset,
    read: (offset, maxBytes) => log.read(offset, maxBytes),
    waitForData: (offset, timeoutMs) => log.block.waitAtLeastAsync('committed', offset + 1, timeoutMs),
    segmentPath: (offset) => log.segments.find(offset)?.path ?? null,
    shared: () => ({ buffer: log.block.buffer, committedIndex: log.block.slotOf('committed'), segmentDir }),
  };
}
