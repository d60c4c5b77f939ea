// The records of the pop-state journal (pop-journal.ts): compact JSON bodies of messages in the
// internal topic POP_STATE_TOPIC (queue 0), one per change of consumption state, in the order the
// changes were made. Each body is {"v":1, "t": type, ...}:
//   P  deliveries    g, tp, q, e: [Row...], and optionally n0, n1: `next` of the queue moved from
//                   n0 to n1 (offsets in [n0, n1) not in e were skipped by the filter/unreadable);
//                   a Row with attempt > 1 is a redelivery of an in-flight offset
//   A  done          g, tp, o: [[queueId, offset]...]: acked, dead-lettered or dropped
//   C  invisibility  g, tp, q, e: Row (same attempt, new delivery id and deadline)
//   J  jump          g, tp, q, to: retention deleted every offset below `to`
//   B / S / E        snapshot begin {id}, part {id, i, r: [SnapRow...]}, end {id, parts}
//   Row     = [offset, attempt, bootId, popSeq, invisibleUntilMs]
//   SnapRow = [group, topic, queueId, committed, next, [Row...]] (a queue with many entries in
//             flight spans several rows with the same key; their entries add up)
// decodePopRecord returns null for anything that is not a well-formed record of this version.
import type { InflightEntry } from './pop-state.js';

export const POP_STATE_TOPIC = 'rmq_sys_POP_STATE';
/** The system group whose consumer offset on POP_STATE_TOPIC is the replay start (the queue
 * offset of the latest complete snapshot's B record). */
export const POP_STATE_GROUP = 'CID_RMQ_SYS_POP_STATE';
export const RECORD_VERSION = 1;
/** The widest [n0, n1) of a P record and [committed, next) of a snapshot row a replay accepts
 * (far above what a pop scans or a queue keeps in flight; a larger one is malformed). */
export const MAX_SPAN = 50_000_000;

export type Row = [offset: number, attempt: number, bootId: number, popSeq: number, invisibleUntilMs: number];
export type SnapRow = [group: string, topic: string, queueId: number, committed: number, next: number, rows: Row[]];

export type PopRecord =
  | { t: 'P'; g: string; tp: string; q: number; e: Row[]; n0?: number; n1?: number }
  | { t: 'A'; g: string; tp: string; o: [number, number][] }
  | { t: 'C'; g: string; tp: string; q: number; e: Row }
  | { t: 'J'; g: string; tp: string; q: number; to: number }
  | { t: 'B'; id: number }
  | { t: 'S'; id: number; i: number; r: SnapRow[] }
  | { t: 'E'; id: number; parts: number };

export function rowOf(e: InflightEntry): Row {
  return [e.offset, e.attempt, e.bootId, e.popSeq, e.invisibleUntilMs];
}

export function entryOf(r: Row): InflightEntry {
  return { offset: r[0], attempt: r[1], bootId: r[2], popSeq: r[3], invisibleUntilMs: r[4] };
}

export function encodePopRecord(rec: PopRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: RECORD_VERSION, ...rec }));
}

export function decodePopRecord(body: Uint8Array | null): PopRecord | null {
  if (!body) return null;
  let r: unknown;
  try {
    r = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return null;
  }
  if (typeof r !== 'object' || r === null || (r as { v?: unknown }).v !== RECORD_VERSION) return null;
  const x = r as Record<string, unknown>;
  switch (x.t) {
    case 'P':
      return names(x) && count(x.q) && Array.isArray(x.e) && x.e.every(isRow) && isAdvance(x.n0, x.n1) ? (x as PopRecord) : null;
    case 'A':
      return names(x) && Array.isArray(x.o) && x.o.every((p) => Array.isArray(p) && p.length === 2 && count(p[0]) && count(p[1])) ? (x as PopRecord) : null;
    case 'C':
      return names(x) && count(x.q) && isRow(x.e) ? (x as PopRecord) : null;
    case 'J':
      return names(x) && count(x.q) && count(x.to) ? (x as PopRecord) : null;
    case 'B':
      return count(x.id) ? (x as PopRecord) : null;
    case 'S':
      return count(x.id) && count(x.i) && Array.isArray(x.r) && x.r.every(isSnapRow) ? (x as PopRecord) : null;
    case 'E':
      return count(x.id) && count(x.parts) ? (x as PopRecord) : null;
    default:
      return null;
  }
}

function names(x: Record<string, unknown>): boolean {
  return typeof x.g === 'string' && x.g.length > 0 && typeof x.tp === 'string' && x.tp.length > 0;
}

function count(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/** Both absent, or n0 <= n1 within MAX_SPAN (a replay step is bounded). */
function isAdvance(n0: unknown, n1: unknown): boolean {
  if (n0 === undefined && n1 === undefined) return true;
  return count(n0) && count(n1) && n1 >= n0 && n1 - n0 <= MAX_SPAN;
}

function isRow(r: unknown): r is Row {
  return Array.isArray(r) && r.length === 5 && r.every(count) && (r[1] as number) >= 1;
}

function isSnapRow(r: unknown): r is SnapRow {
  return (
    Array.isArray(r) && r.length === 6 && typeof r[0] === 'string' && typeof r[1] === 'string' && count(r[2]) && count(r[3]) && count(r[4]) && r[4] >= r[3] && r[4] - r[3] <= MAX_SPAN && Array.isArray(r[5]) && r[5].every(isRow)
  );
}
