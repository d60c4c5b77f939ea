// Rebuild the pop state of every (group, topic, queue) at broker start by replaying the
// pop-state journal (pop-journal.ts) from its replay start (POP_STATE_GROUP's consumer offset on
// POP_STATE_TOPIC: the B of the latest stored snapshot; the topic's first offset when there is
// none, or when retention removed it). A complete snapshot (B, every S in order, E) replaces
// the state; the other records change it as they changed it at run time (QueuePopState.apply*).
// A queue the replay meets first in a record (no snapshot row) starts from the engine's consumer
// offset, the lower bound that only ever passes done offsets; so does every queue at the end
// (the consumer offset may be ahead of the journal, never wrongly). Records that do not fit
// their queue's history (lost to retention or a crash) are ignored: that makes a message come
// again (at-least-once), never lose it. Malformed records are counted, logged once and skipped.
// Bounded: reads at most the records between the replay start and the end of the topic.
import type { MessageStore } from '../store/message-store.js';
import { GetMessageStatus } from '../store/statuses.js';
import type { Logger } from '../util/logger.js';
import { decodePopRecord, entryOf, POP_STATE_GROUP, POP_STATE_TOPIC, type PopRecord, type SnapRow } from './pop-records.js';
import { QueuePopState, type InflightEntry } from './pop-state.js';

const READ_BATCH = 256;

export interface ReplayedState {
  /** key (stateKey) -> state, every queue the journal knows. */
  readonly states: Map<string, QueuePopState>;
  /** The highest bootId and snapshot id seen (new ones are taken above). */
  readonly maxBootId: number;
  readonly maxSnapshotId: number;
  readonly records: number;
  readonly malformed: number;
  readonly fromOffset: number;
  readonly toOffset: number;
}

export function stateKey(group: string, topic: string, queueId: number): string {
  return `${group}\u0001${topic}\u0001${queueId}`;
}

export function groupOfKey(key: string): { group: string; topic: string; queueId: number } {
  const [group, topic, q] = key.split('\u0001');
  return { group: group!, topic: topic!, queueId: Number(q) };
}

/** Where a queue with no journal state starts: the group's consumer offset, or for a new
 * group the queue's oldest message (RocketMQ consumeFromMinEnable). */
export function startOffset(store: MessageStore, group: string, topic: string, queueId: number): number {
  const committed = store.queryOffset(group, topic, queueId);
  return committed >= 0 ? committed : store.getMinOffsetInQueue(topic, queueId);
}

export async function replayPopState(store: MessageStore, logger: Logger): Promise<ReplayedState> {
  const min = store.getMinOffsetInQueue(POP_STATE_TOPIC, 0);
  const max = store.getMaxOffsetInQueue(POP_STATE_TOPIC, 0);
  const hint = store.queryOffset(POP_STATE_GROUP, POP_STATE_TOPIC, 0);
  const from = hint >= min && hint <= max ? hint : min;
  let live = new Map<string, QueuePopState>();
  let pending: { id: number; rows: SnapRow[]; parts: number } | null = null;
  let maxBootId = 0;
  let maxSnapshotId = 0;
  let records = 0;
  let malformed = 0;
  const get = (g: string, tp: string, q: number): QueuePopState => {
    const key = stateKey(g, tp, q);
    let s = live.get(key);
    if (!s) live.set(key, (s = new QueuePopState(tp, q, startOffset(store, g, tp, q))));
    return s;
  };
  const seen = (e: InflightEntry): InflightEntry => {
    if (e.bootId > maxBootId) maxBootId = e.bootId;
    return e;
  };
  const apply = (r: PopRecord): void => {
    switch (r.t) {
      case 'P': {
        const s = get(r.g, r.tp, r.q);
        const entries = r.e.map((row) => seen(entryOf(row)));
        for (const e of entries) if (e.attempt > 1 || e.offset < s.next) s.applyUpdate(e);
        if (r.n0 !== undefined && r.n1 !== undefined) s.applyAdvance(r.n0, r.n1, entries.filter((e) => e.attempt === 1));
        return;
      }
      case 'A':
        for (const [q, offset] of r.o) get(r.g, r.tp, q).applyDone(offset);
        return;
      case 'C':
        get(r.g, r.tp, r.q).applyUpdate(seen(entryOf(r.e)));
        return;
      case 'J':
        get(r.g, r.tp, r.q).jumpTo(r.to);
        return;
      case 'B':
        pending = { id: r.id, rows: [], parts: 0 };
        maxSnapshotId = Math.max(maxSnapshotId, r.id);
        return;
      case 'S':
        if (pending && pending.id === r.id && pending.parts === r.i) {
          pending.rows.push(...r.r);
          pending.parts++;
        } else pending = null;
        return;
      case 'E':
        if (pending && pending.id === r.id && pending.parts === r.parts) live = restore(pending.rows, seen);
        pending = null;
        return;
    }
  };
  let offset = from;
  while (offset < max) {
    const got = await store.getMessage({ group: POP_STATE_GROUP, topic: POP_STATE_TOPIC, queueId: 0, offset, maxMsgNums: READ_BATCH });
    if (got.status === GetMessageStatus.OFFSET_TOO_SMALL) {
      offset = got.nextBeginOffset; // retention removed the start meanwhile
      continue;
    }
    if (got.status !== GetMessageStatus.FOUND && got.status !== GetMessageStatus.OFFSET_FOUND_NULL) {
      logger.warn(`pop-state replay stopped at ${POP_STATE_TOPIC} offset ${offset} of ${max}: ${got.status}; later changes are not restored (their messages come again)`);
      break;
    }
    for (const m of got.messages) {
      const rec = decodePopRecord(m.body);
      records++;
      if (rec) apply(rec);
      else if (malformed++ === 0) logger.warn(`pop-state journal: a malformed record at ${POP_STATE_TOPIC} offset ${m.queueOffset} is skipped`);
    }
    if (got.nextBeginOffset <= offset) break;
    offset = got.nextBeginOffset;
  }
  // the engine's consumer offset and retention are lower bounds of every queue
  for (const [key, s] of live) {
    const { group, topic, queueId } = groupOfKey(key);
    s.jumpTo(Math.max(store.queryOffset(group, topic, queueId), store.getMinOffsetInQueue(topic, queueId)));
  }
  return { states: live, maxBootId, maxSnapshotId, records, malformed, fromOffset: from, toOffset: offset };
}

function restore(rows: readonly SnapRow[], seen: (e: InflightEntry) => InflightEntry): Map<string, QueuePopState> {
  const merged = new Map<string, { topic: string; queueId: number; committed: number; next: number; inflight: InflightEntry[] }>();
  for (const [g, tp, q, committed, next, entries] of rows) {
    const key = stateKey(g, tp, q);
    let m = merged.get(key);
    if (!m) merged.set(key, (m = { topic: tp, queueId: q, committed, next, inflight: [] }));
    for (const row of entries) m.inflight.push(seen(entryOf(row)));
  }
  const out = new Map<string, QueuePopState>();
  for (const [key, m] of merged) out.set(key, QueuePopState.restore(m.topic, m.queueId, m));
  return out;
}
