// Checking the ConsumeQueues at open, after CommitLog recovery and re-dispatch, and rebuilding
// from the CommitLog every queue found missing or damaged (with a log line naming the queue, why,
// and how many entries the rebuild made). A queue is damaged when:
//   - its files did not load (a file of the wrong length, a gap between files);
//   - the manifest (config/consumeQueues.json) lists it but it has no entries, or, after a clean
//     close, fewer than the manifest says (a file deleted);
//   - without a manifest (older stores): a consumer group committed an offset in it, but it is
//     missing or empty;
//   - an entry is impossible: size <= 0 or above the largest record, a record that starts before
//     the previous entry's record ends, or one that ends past the log end; or an entry is
//     unreadable (a file missing in the middle);
//   - a sampled entry (the first, the last, and about DEEP_SAMPLES spread over the queue) does not
//     point at a record of this topic, queue and queue offset with the entry's size (an entry of
//     a damaged record, whose span ends where the next valid record starts, is not the queue's
//     fault: it stays, and reads answer MESSAGE_CORRUPTED for it).
// Every entry is read once (20 bytes per message, sequential); records are read only for the
// sampled entries. The rebuild deletes the queue's files and scans the CommitLog from its first
// byte, indexing only the damaged queues (redispatch.ts, which also skips fenced holes).
import { isPreBlankCqEntry } from '../codec/consume-queue-entry.js';
import { peekRecordHeader } from '../codec/read-record.js';
import { RECORD_OVERHEAD_ALLOWANCE_BYTES } from '../codec/record-layout.js';
import { findNextRecord } from '../commitlog/record-resync.js';
import type { ConsumeQueue } from '../consumequeue/consume-queue.js';
import { queueKey, splitQueueKey } from '../consumequeue/queue-manifest.js';
import { confirmDeferral } from './confirm-deferral.js';
import { redispatch } from './redispatch.js';
import type { StoreCore } from './store-core.js';

/** Sampled entries per queue whose records are read. */
const DEEP_SAMPLES = 1024;
/** Entries read per step of the walk. */
const WALK_CHUNK_ENTRIES = 4096;

export interface QueueRebuild {
  topic: string;
  queueId: number;
  reason: string;
  entries: number;
}

export function checkConsumeQueues(core: StoreCore, lastExitAbnormal: boolean): QueueRebuild[] {
  const { consumeQueues, commitLog, logger } = core;
  const damaged = new Map<ConsumeQueue, string>(consumeQueues.damagedAtLoad);
  consumeQueues.damagedAtLoad.clear();
  const manifest = core.queueManifest.load();
  if (manifest !== null) {
    for (const [key, count] of manifest) {
      const { topic, queueId } = splitQueueKey(key);
      const q = consumeQueues.find(topic, queueId);
      if (count === 0 || (q && damaged.has(q))) continue;
      // (after a crash a queue may really have lost its only entries with the torn tail: only a
      // queue without files counts then)
      if (!q || (q.maxOffset === 0 && !lastExitAbnormal)) damaged.set(q ?? consumeQueues.findOrCreate(topic, queueId), `no ConsumeQueue entries, but the queue had ${count} at the last close (config/consumeQueues.json)`);
      else if (!lastExitAbnormal && q.maxOffset < count) damaged.set(q, `${q.maxOffset} entries, but it had ${count} at the last clean close`);
    }
  } else {
    for (const [key, byQueue] of Object.entries(core.offsets.snapshot())) {
      const topic = key.slice(0, key.lastIndexOf('@'));
      for (const [id, offset] of Object.entries(byQueue)) {
        const q = consumeQueues.find(topic, Number(id));
        if (offset > 0 && (!q || q.maxOffset === 0)) damaged.set(q ?? consumeQueues.findOrCreate(topic, Number(id)), `no ConsumeQueue entries, but a consumer group committed offset ${offset} in it`);
      }
    }
  }
  for (const q of consumeQueues.all()) {
    if (damaged.has(q)) continue;
    const why = checkEntries(core, q);
    if (why !== null) damaged.set(q, why);
  }
  if (damaged.size === 0) return [];
  for (const q of damaged.keys()) q.reset();
  const only = new Set([...damaged.keys()].map((q) => queueKey(q.topic, q.queueId)));
  const defer = confirmDeferral(core, core.checkpoint.values.consumeQueueDurableOffset) ?? undefined;
  redispatch(core.io, commitLog, consumeQueues, commitLog.minOffsetOnDisk(), commitLog.maxOffset, core.config.maxMessageSize, logger.child('recovery'), only, defer);
  const out: QueueRebuild[] = [];
  for (const [q, reason] of damaged) {
    const entries = q.maxOffset - q.minOffset;
    logger.warn(`ConsumeQueue ${q.topic}/${q.queueId}: ${reason}; rebuilt ${entries} entries from the CommitLog (queue offsets ${q.minOffset}..${q.maxOffset})`);
    out.push({ topic: q.topic, queueId: q.queueId, reason, entries });
  }
  return out;
}

/** Whether [offset, offset + size) looks like one damaged record: the next valid record (or
 * the end-of-file blank) starts exactly at its end. Then the entry is right and reads report the
 * damage (MESSAGE_CORRUPTED); an entry of garbage almost never lines up so. */
function isDamagedRecordSpan(core: StoreCore, offset: number, size: number): boolean {
  const files = core.commitLog.segments.all();
  const index = files.findIndex((f) => f.contains(offset));
  if (index < 0) return false;
  const next = findNextRecord(core.io, files, index, offset - files[index]!.fromOffset + 1, core.config.maxMessageSize);
  return next !== null && files[next.index]!.fromOffset + next.position === offset + size;
}

/** Why the queue's entries cannot be right, or null. */
function checkEntries(core: StoreCore, q: ConsumeQueue): string | null {
  const log = core.commitLog;
  const logStart = log.minOffsetOnDisk();
  const logEnd = log.maxOffset;
  const maxRecord = core.config.maxMessageSize + RECORD_OVERHEAD_ALLOWANCE_BYTES;
  const min = q.minOffset;
  const max = q.maxOffset;
  const every = Math.max(1, Math.ceil((max - min) / DEEP_SAMPLES));
  let previousEnd = -1;
  for (let at = min; at < max; at += WALK_CHUNK_ENTRIES) {
    const wanted = Math.min(WALK_CHUNK_ENTRIES, max - at);
    const entries = q.read(at, wanted);
    if (entries.length !== wanted) return `entries ${at + entries.length}..${at + wanted - 1} are unreadable (a ConsumeQueue file is missing)`;
    for (let j = 0; j < entries.length; j++) {
      const e = entries[j]!;
      const queueOffset = at + j;
      if (isPreBlankCqEntry(e)) continue;
      if (e.size <= 0 || e.size > maxRecord) return `entry ${queueOffset} has an impossible size ${e.size}`;
      if (e.commitLogOffset < previousEnd) return `entry ${queueOffset} points at CommitLog offset ${e.commitLogOffset}, before the end of the previous entry's record (${previousEnd})`;
      if (e.commitLogOffset + e.size > logEnd) return `entry ${queueOffset} points at [${e.commitLogOffset}, ${e.commitLogOffset + e.size}), past the log end ${logEnd}`;
      previousEnd = e.commitLogOffset + e.size;
      const sampled = queueOffset === min || queueOffset === max - 1 || (queueOffset - min) % every === 0;
      if (!sampled || e.commitLogOffset < logStart) continue;
      const bytes = log.read(e.commitLogOffset, e.size);
      const r = peekRecordHeader(bytes, 0);
      if (r.kind === 'invalid' && isDamagedRecordSpan(core, e.commitLogOffset, e.size)) continue; // the log is damaged there, not the entry
      if (r.kind !== 'message' || r.topic !== q.topic || r.queueId !== q.queueId || r.queueOffset !== queueOffset || r.size !== e.size) {
        const found = r.kind === 'message' ? `a record of ${r.topic}/${r.queueId} queue offset ${r.queueOffset}, ${r.size} bytes` : r.kind === 'blank' ? 'an end-of-file blank' : `no record (${r.reason})`;
        return `entry ${queueOffset} (CommitLog offset ${e.commitLogOffset}, ${e.size} bytes) points at ${found}`;
      }
    }
  }
  return null;
}
