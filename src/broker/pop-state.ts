// Pop-style consumption state of one (consumer group, topic, queue), as a pure object: no IO,
// no clock (callers pass `nowMs`), no store. It knows
//   committed  every offset below it is done (acked, dead-lettered, or skipped by the filter /
//              unreadable)
//   next       the first offset never delivered (committed <= next)
//   inflight   delivered, not yet acked: offset -> {bootId, popSeq, attempt, invisibleUntilMs}
//   done       the offsets in [committed, next) that are not in flight (an ack gap keeps
//              `committed` back)
// Invariant: every offset in [committed, next) is either in flight or done, never both.
// A delivery is identified by (bootId, popSeq): the broker process that made it and a number
// unique within that process (receipt-handle.ts). An ack or ChangeInvisibleDuration must name the
// current delivery, else it is 'stale'. An entry whose invisibility passed stays in flight (its
// handle still acks) until it is taken for redelivery (attempt + 1, new id).
// Every change is one of deliver / redeliver / ack / changeInvisible / skip / jumpTo, and each is
// also a record of the pop-state journal (pop-journal.ts); the apply* methods are the same
// changes as the replay of those records rebuilds them (pop-replay.ts), and snapshot / restore
// are the journal's checkpoint of the whole state.
import { assert } from '../util/assert.js';

export interface DeliveryId {
  readonly bootId: number;
  readonly popSeq: number;
}

export interface InflightEntry extends DeliveryId {
  readonly offset: number;
  /** 1 for the first delivery. */
  readonly attempt: number;
  /** Wall-clock ms (survives a restart). */
  readonly invisibleUntilMs: number;
}

export type HandleCheck = 'ok' | 'stale' | 'unknown';

/** The whole state of one queue, as the journal's snapshot carries it. */
export interface QueueSnapshot {
  readonly committed: number;
  readonly next: number;
  readonly inflight: readonly InflightEntry[];
}

export class QueuePopState {
  private committedOffset: number;
  private nextOffset: number;
  private readonly inflight = new Map<number, InflightEntry>();
  private readonly done = new Set<number>();

  constructor(
    readonly topic: string,
    readonly queueId: number,
    /** Where consumption starts: the durable committed offset (or the queue's min offset). */
    start: number,
  ) {
    assert(Number.isSafeInteger(start) && start >= 0, `pop state start ${start}`);
    this.committedOffset = start;
    this.nextOffset = start;
  }

  /** The state a snapshot describes; offsets in [committed, next) not in flight are done. */
  static restore(topic: string, queueId: number, snap: QueueSnapshot): QueuePopState {
    assert(Number.isSafeInteger(snap.next) && snap.next >= snap.committed, `pop state snapshot next ${snap.next} < committed ${snap.committed}`);
    const s = new QueuePopState(topic, queueId, snap.committed);
    s.nextOffset = snap.next;
    for (const e of snap.inflight) if (e.offset >= snap.committed && e.offset < snap.next) s.inflight.set(e.offset, e);
    for (let o = snap.committed; o < snap.next; o++) if (!s.inflight.has(o)) s.done.add(o);
    s.advance();
    return s;
  }

  snapshot(): QueueSnapshot {
    return { committed: this.committedOffset, next: this.nextOffset, inflight: [...this.inflight.values()] };
  }

  get committed(): number {
    return this.committedOffset;
  }

  get next(): number {
    return this.nextOffset;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  entry(offset: number): InflightEntry | undefined {
    return this.inflight.get(offset);
  }

  /** In-flight entries whose invisibility has passed, oldest deadline first, at most `max`. */
  expired(nowMs: number, max: number): InflightEntry[] {
    const out: InflightEntry[] = [];
    for (const e of this.inflight.values()) if (e.invisibleUntilMs <= nowMs) out.push(e);
    out.sort((a, b) => a.invisibleUntilMs - b.invisibleUntilMs || a.offset - b.offset);
    return out.slice(0, max);
  }

  /** The earliest invisibility deadline in flight, or null. */
  nextExpiryMs(): number | null {
    let min: number | null = null;
    for (const e of this.inflight.values()) if (min === null || e.invisibleUntilMs < min) min = e.invisibleUntilMs;
    return min;
  }

  /** First delivery of `next`. */
  deliver(offset: number, id: DeliveryId, nowMs: number, invisibleMs: number): InflightEntry {
    assert(offset === this.nextOffset, `deliver ${offset} but next is ${this.nextOffset}`);
    const e: InflightEntry = { offset, bootId: id.bootId, popSeq: id.popSeq, attempt: 1, invisibleUntilMs: nowMs + invisibleMs };
    this.inflight.set(offset, e);
    this.nextOffset++;
    return e;
  }

  /** Another delivery of an in-flight entry (its invisibility passed). */
  redeliver(offset: number, id: DeliveryId, nowMs: number, invisibleMs: number): InflightEntry {
    const old = this.inflight.get(offset);
    assert(old !== undefined, `redeliver ${offset}: not in flight`);
    const e: InflightEntry = { offset, bootId: id.bootId, popSeq: id.popSeq, attempt: old.attempt + 1, invisibleUntilMs: nowMs + invisibleMs };
    this.inflight.set(offset, e);
    return e;
  }

  /** `next` (never delivered) or an in-flight offset is done without a delivery (filtered out,
   * unreadable, or dead-lettered). Returns whether `committed` moved. */
  skip(offset: number): boolean {
    if (offset === this.nextOffset) this.nextOffset++;
    else assert(this.inflight.has(offset), `skip ${offset}: neither next (${this.nextOffset}) nor in flight`);
    this.inflight.delete(offset);
    return this.markDone(offset);
  }

  /** Every offset below `offset` is gone from the queue (retention): nothing there can be
   * delivered or acked any more. */
  jumpTo(offset: number): boolean {
    if (offset <= this.committedOffset) return false;
    for (const o of this.inflight.keys()) if (o < offset) this.inflight.delete(o);
    for (const o of this.done) if (o < offset) this.done.delete(o);
    this.committedOffset = offset;
    if (this.nextOffset < offset) this.nextOffset = offset;
    this.advance();
    return true;
  }

  check(offset: number, id: DeliveryId): HandleCheck {
    const e = this.inflight.get(offset);
    if (!e) return 'unknown';
    return e.popSeq === id.popSeq && e.bootId === id.bootId ? 'ok' : 'stale';
  }

  /** Ack the delivery `id` of `offset`. Returns the check and whether `committed` moved. */
  ack(offset: number, id: DeliveryId): { check: HandleCheck; committedMoved: boolean } {
    const check = this.check(offset, id);
    if (check !== 'ok') return { check, committedMoved: false };
    this.inflight.delete(offset);
    return { check, committedMoved: this.markDone(offset) };
  }

  /** A new invisibility for the delivery `id` of `offset`, under a new id. */
  changeInvisible(offset: number, id: DeliveryId, newId: DeliveryId, nowMs: number, invisibleMs: number): InflightEntry | HandleCheck {
    const check = this.check(offset, id);
    if (check !== 'ok') return check;
    const old = this.inflight.get(offset)!;
    const e: InflightEntry = { offset, bootId: newId.bootId, popSeq: newId.popSeq, attempt: old.attempt, invisibleUntilMs: nowMs + invisibleMs };
    this.inflight.set(offset, e);
    return e;
  }

  // ---- replay of journal records (pop-replay.ts): the same changes, from what was recorded.
  // A record that does not fit (its history is missing: records lost to retention or a crash)
  // is ignored, which only ever makes a message come again, never lose it.

  /** `next` moved from n0 to n1 and `delivered` (offsets in [n0, n1)) went out; every other
   * offset in between was skipped. Ignored unless n0 <= next (else the offsets between are of
   * unknown state and stay undelivered). */
  applyAdvance(n0: number, n1: number, delivered: readonly InflightEntry[]): void {
    if (n0 > this.nextOffset || n1 <= this.nextOffset) return;
    const byOffset = new Map(delivered.map((e) => [e.offset, e]));
    for (let o = this.nextOffset; o < n1; o++) {
      const e = byOffset.get(o);
      if (e) this.inflight.set(o, e);
      else this.done.add(o);
    }
    this.nextOffset = n1;
    this.advance();
  }

  /** A redelivery or new invisibility of an in-flight entry; ignored when it is not in flight. */
  applyUpdate(e: InflightEntry): void {
    if (this.inflight.has(e.offset)) this.inflight.set(e.offset, e);
  }

  /** An in-flight entry is done (acked, dead-lettered, dropped); ignored when not in flight. */
  applyDone(offset: number): void {
    if (this.inflight.delete(offset)) this.markDone(offset);
  }

  private markDone(offset: number): boolean {
    if (offset < this.committedOffset) return false;
    this.done.add(offset);
    return this.advance();
  }

  private advance(): boolean {
    const before = this.committedOffset;
    while (this.done.delete(this.committedOffset)) this.committedOffset++;
    return this.committedOffset !== before;
  }
}
