// The pop-state journal: every change of consumption state (pop-state.ts) is appended as a small
// record (pop-records.ts) to the internal topic POP_STATE_TOPIC through the engine's public
// putMessage, so it is flushed and replicated like any message (classic HA and DLedger carry it
// with the log), and a restarted broker rebuilds the state by replaying it (pop-replay.ts).
// A record counts as stored once its put succeeded (with its flush and replication waits) and it
// is committed to the page cache (MessageStore.waitCommitted), so a kill -9 of the process
// cannot lose it whatever the write mode.
// Invariants:
//   - a record is appended in the same synchronous step as the change it describes: putMessage
//     assigns log positions at the call, so the journal's order is the order of the changes;
//   - a snapshot (B, S..., E) is written in one synchronous step from the whole state, so no
//     other record falls between its B and its E;
//   - the replay start (POP_STATE_GROUP's consumer offset on the topic) only moves to the B of
//     a snapshot whose every record was stored.
// Trimming: the journal's messages live in CommitLog segments and go with them under the usual
// retention (fileReservedTime, disk pressure); nothing before the latest snapshot is needed, and
// a snapshot is written every `snapshotEveryRecords` records, every snapshot interval with
// changes, and at a clean close, so the replay reads at most one snapshot and the records after it.
import type { MessageStore } from '../store/message-store.js';
import { PutMessageStatus, type PutMessageResult } from '../store/statuses.js';
import { encodePopRecord, POP_STATE_GROUP, POP_STATE_TOPIC, rowOf, type PopRecord, type Row, type SnapRow } from './pop-records.js';
import type { QueueSnapshot } from './pop-state.js';

/** Bytes of a record body kept free for its names and framing. */
const RECORD_OVERHEAD_BYTES = 2048;
/** A Row's JSON is at most ~80 bytes. */
const ROW_BYTES_MAX = 80;
/** Most entries one record carries (bounds a replay step and the record's size). */
export const MAX_ENTRIES_PER_RECORD = 256;
/** Snapshot parts are at most this many bytes (or less with a small maxMessageSize). */
const SNAPSHOT_PART_BYTES_MAX = 1 << 20;

export interface SnapshotQueue {
  readonly group: string;
  readonly topic: string;
  readonly queueId: number;
  readonly snap: QueueSnapshot;
}

export class PopJournal {
  /** Entries per P / A record (so a record fits maxMessageSize). */
  readonly maxEntriesPerRecord: number;
  private readonly partBytes: number;
  private sinceSnapshot = 0;
  private lastSnapshotId: number;

  constructor(
    private readonly store: MessageStore,
    /** Snapshot ids are taken above this (the replay's highest). */
    lastSnapshotId: number,
  ) {
    const room = store.config.maxMessageSize - RECORD_OVERHEAD_BYTES;
    this.maxEntriesPerRecord = Math.max(1, Math.min(MAX_ENTRIES_PER_RECORD, Math.floor(room / ROW_BYTES_MAX)));
    this.partBytes = Math.max(ROW_BYTES_MAX * 4, Math.min(SNAPSHOT_PART_BYTES_MAX, room));
    this.lastSnapshotId = lastSnapshotId;
  }

  /** Records appended since the last snapshot. */
  get recordsSinceSnapshot(): number {
    return this.sinceSnapshot;
  }

  /** Append one record now (its log position is taken at this call); resolves with null once it
   * is stored, else the reason it is not. */
  append(rec: PopRecord): Promise<string | null> {
    this.sinceSnapshot++;
    return this.put(rec).then((r) => this.stored(r));
  }

  /** Write a snapshot of `queues` now; once all of it is stored, the replay starts there.
   * Resolves with null, or the reason it was not stored. */
  async snapshot(queues: Iterable<SnapshotQueue>, nowMs: number): Promise<string | null> {
    const id = (this.lastSnapshotId = Math.max(nowMs, this.lastSnapshotId + 1));
    const parts = this.parts(queues);
    const puts = [this.put({ t: 'B', id }), ...parts.map((r, i) => this.put({ t: 'S', id, i, r })), this.put({ t: 'E', id, parts: parts.length })];
    const covered = this.sinceSnapshot;
    this.sinceSnapshot = 0;
    const results = await Promise.all(puts);
    const failed = (await Promise.all(results.map((r) => this.stored(r)))).find((f) => f !== null);
    if (failed) {
      this.sinceSnapshot += covered; // not a replay start: the next check tries again
      return failed;
    }
    this.store.commitOffset(POP_STATE_GROUP, POP_STATE_TOPIC, 0, results[0]!.queueOffset);
    return null;
  }

  /** Stored = what the put itself waited for (its flush and replication policy), and at least
   * committed to the page cache, where a crash of this process cannot lose it. */
  private async stored(r: PutMessageResult): Promise<string | null> {
    if (r.status !== PutMessageStatus.PUT_OK) return `${r.status}${r.reason ? `: ${r.reason}` : ''}`;
    const committed = await this.store.waitCommitted(r.physicalOffset + r.wroteBytes, this.store.config.syncFlushTimeout);
    return committed === 'ok' ? null : `not committed to the page cache within syncFlushTimeout=${this.store.config.syncFlushTimeout} ms (${committed})`;
  }

  private put(rec: PopRecord): Promise<PutMessageResult> {
    return this.store.putMessage({ topic: POP_STATE_TOPIC, queueId: 0, body: encodePopRecord(rec), tags: rec.t });
  }

  /** Snapshot rows cut into parts of at most partBytes each. */
  private parts(queues: Iterable<SnapshotQueue>): SnapRow[][] {
    const parts: SnapRow[][] = [];
    let part: SnapRow[] = [];
    let bytes = 0;
    const push = (row: SnapRow, rowBytes: number): void => {
      if (bytes + rowBytes > this.partBytes && part.length > 0) {
        parts.push(part);
        part = [];
        bytes = 0;
      }
      part.push(row);
      bytes += rowBytes;
    };
    for (const { group, topic, queueId, snap } of queues) {
      const head = group.length + topic.length + 64;
      const rows: Row[] = snap.inflight.map(rowOf);
      if (rows.length === 0) push([group, topic, queueId, snap.committed, snap.next, []], head);
      for (let i = 0; i < rows.length; i += this.maxEntriesPerRecord) {
        const slice = rows.slice(i, i + this.maxEntriesPerRecord);
        push([group, topic, queueId, snap.committed, snap.next, slice], head + slice.length * ROW_BYTES_MAX);
      }
    }
    if (part.length > 0) parts.push(part);
    return parts;
  }
}
