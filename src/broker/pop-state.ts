// Pop-style consumption state of one (consumer group, topic, queue), as a pure object: no IO,
// no clock (callers pass `nowMs`), no store. It knows
//   committed  every offset below it is done (acked, or skipped by the filter / unreadable);
//              the only part that is durable today (the engine's consumer offset)
//   next       the first offset never delivered (committed <= next)
//   inflight   delivered, not yet acked: offset -> {popSeq, attempt, invisibleUntilMs}
//   done       acked offsets at or above `committed` (an ack gap keeps `committed` back)
// A delivery is identified by its popSeq (unique per broker process, see receipt-handle.ts): an
// ack or ChangeInvisibleDuration must name the current one, else it is 'stale'. An entry whose
// invisibility passed stays in flight (its handle still acks) until it is taken for redelivery
// (attempt + 1, new popSeq).
// Shaped so it can become replicated: every change is one of deliver / redeliver / ack /
// changeInvisible / skip, each a small event a log could carry (see pop-service.ts).
import { assert } from '../util/assert.js';

export interface InflightEntry {
  readonly offset: number;
  readonly popSeq: number;
  /** 1 for the first delivery. */
  readonly attempt: number;
  readonly invisibleUntilMs: number;
}

export type HandleCheck = 'ok' | 'stale' | 'unknown';

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
  deliver(offset: number, popSeq: number, nowMs: number, invisibleMs: number): InflightEntry {
    assert(offset === this.nextOffset, `deliver ${offset} but next is ${this.nextOffset}`);
    const e: InflightEntry = { offset, popSeq, attempt: 1, invisibleUntilMs: nowMs + invisibleMs };
    this.inflight.set(offset, e);
    this.nextOffset++;
    return e;
  }

  /** Another delivery of an in-flight entry (its invisibility passed). */
  redeliver(offset: number, popSeq: number, nowMs: number, invisibleMs: number): InflightEntry {
    const old = this.inflight.get(offset);
    assert(old !== undefined, `redeliver ${offset}: not in flight`);
    const e: InflightEntry = { offset, popSeq, attempt: old.attempt + 1, invisibleUntilMs: nowMs + invisibleMs };
    this.inflight.set(offset, e);
    return e;
  }

  /** `next` (never delivered) or an in-flight offset is done without a delivery (filtered out,
   * or its message is unreadable). Returns whether `committed` moved. */
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
    this.nextOffset = Math.max(this.nextOffset, offset);
    this.advance();
    return true;
  }

  check(offset: number, popSeq: number): HandleCheck {
    const e = this.inflight.get(offset);
    if (!e) return 'unknown';
    return e.popSeq === popSeq ? 'ok' : 'stale';
  }

  /** Ack the delivery `popSeq` of `offset`. Returns the check and whether `committed` moved. */
  ack(offset: number, popSeq: number): { check: HandleCheck; committedMoved: boolean } {
    const check = this.check(offset, popSeq);
    if (check !== 'ok') return { check, committedMoved: false };
    this.inflight.delete(offset);
    return { check, committedMoved: this.markDone(offset) };
  }

  /** A new invisibility for the delivery `popSeq` of `offset`, under a new popSeq. */
  changeInvisible(offset: number, popSeq: number, newPopSeq: number, nowMs: number, invisibleMs: number): InflightEntry | HandleCheck {
    const check = this.check(offset, popSeq);
    if (check !== 'ok') return check;
    const old = this.inflight.get(offset)!;
    const e: InflightEntry = { offset, popSeq: newPopSeq, attempt: old.attempt, invisibleUntilMs: nowMs + invisibleMs };
    this.inflight.set(offset, e);
    return e;
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
