// The Raft terms of a byte log (Kafka's leader-epoch cache, on the RocketMQ CommitLog): a list of
// {term, startOffset}, oldest first, saying "from startOffset on, the bytes were written by the
// leader of `term`". The term of the byte at offset X is the term of the last entry starting at or
// before X; bytes before the first entry are term 0 (a log from before Raft).
//
// Invariants (checked by `check`): terms strictly increase, starts strictly increase, every entry
// starts below the log end it describes (an entry with no bytes is dropped: a leader whose marker
// never reached the disk did not write anything in its term), at most MAX_TERM_ENTRIES entries
// (the oldest go first: they only matter for a follower more than a thousand terms behind).
//
// Raft facts this file encodes:
//   - one leader per term, and a leader writes its term's bytes contiguously from its log end at
//     election, so two logs that both hold bytes of term T at offset X hold the same bytes in
//     [0, X] (Log Matching); and term T starts at the same offset in every log that has it;
//   - the point two logs agree up to is found from their lists alone (`agreedEnd`): the last term
//     both have, up to where the shorter of the two runs of that term ends.
import { assert } from '../util/assert.js';

export interface TermEntry {
  readonly term: number;
  readonly startOffset: number;
}

export const MAX_TERM_ENTRIES = 1024;

/** A valid list for a log ending at `logEnd`, or a message saying what is wrong. */
export function check(entries: readonly TermEntry[], logEnd: number): string | null {
  let prev: TermEntry | null = null;
  if (entries.length > MAX_TERM_ENTRIES) return `${entries.length} term entries, at most ${MAX_TERM_ENTRIES}`;
  for (const e of entries) {
    if (!Number.isSafeInteger(e.term) || !Number.isSafeInteger(e.startOffset) || e.term < 1 || e.startOffset < 0) {
      return `term entry ${JSON.stringify(e)}: term >= 1 and startOffset >= 0, integers`;
    }
    if (prev && (e.term <= prev.term || e.startOffset <= prev.startOffset)) {
      return `term entry ${e.term}@${e.startOffset} does not follow ${prev.term}@${prev.startOffset}`;
    }
    if (e.startOffset >= logEnd) return `term entry ${e.term}@${e.startOffset} starts at or past the log end ${logEnd}`;
    prev = e;
  }
  return null;
}

export class TermHistory {
  private list: TermEntry[];

  constructor(entries: readonly TermEntry[] = []) {
    this.list = entries.map((e) => ({ term: e.term, startOffset: e.startOffset }));
  }

  get entries(): readonly TermEntry[] {
    return this.list;
  }

  /** The term of the byte at `offset` (0 before the first entry, or for offset < 0). */
  termAt(offset: number): number {
    if (offset < 0) return 0;
    for (let i = this.list.length - 1; i >= 0; i--) {
      if (this.list[i]!.startOffset <= offset) return this.list[i]!.term;
    }
    return 0;
  }

  /** The term of the last byte of a log ending at `end`. */
  lastTerm(end: number): number {
    return this.termAt(end - 1);
  }

  /** The largest term with an entry (0 if none). */
  get newestTerm(): number {
    return this.list.length === 0 ? 0 : this.list[this.list.length - 1]!.term;
  }

  /** Where the run of the term holding `offset` ends in a log ending at `logEnd`. */
  runEnd(offset: number, logEnd: number): number {
    for (const e of this.list) if (e.startOffset > offset) return Math.min(e.startOffset, logEnd);
    return logEnd;
  }

  /** The start of `term` here, or null if no byte has it. */
  startOf(term: number): number | null {
    return this.list.find((e) => e.term === term)?.startOffset ?? null;
  }

  /** Bytes of `term` begin at `startOffset` (the end of the log). No-op if that term is already last. */
  begin(term: number, startOffset: number): void {
    const last = this.list[this.list.length - 1];
    if (last && last.term === term) return;
    assert(!last || (term > last.term && startOffset >= last.startOffset), `term ${term}@${startOffset} after ${last?.term}@${last?.startOffset}`);
    if (last && last.startOffset === startOffset) this.list.pop(); // the previous term wrote nothing
    this.list.push({ term, startOffset });
    if (this.list.length > MAX_TERM_ENTRIES) this.list.splice(0, this.list.length - MAX_TERM_ENTRIES);
  }

  /** The log is cut at `end`: entries with no byte left go. */
  truncate(end: number): void {
    while (this.list.length > 0 && this.list[this.list.length - 1]!.startOffset >= end) this.list.pop();
  }

  copy(): TermHistory {
    return new TermHistory(this.list);
  }
}

/**
 * Where two logs stop agreeing: the largest X such that both hold the same bytes in [0, X),
 * computed from their term lists and ends (Log Matching). The last term both hold at the same
 * start decides: up to where the shorter of its two runs ends. With no common term, the bytes
 * before both first entries (term 0) agree.
 */
export function agreedEnd(a: readonly TermEntry[], aEnd: number, b: readonly TermEntry[], bEnd: number): number {
  for (let i = a.length - 1; i >= 0; i--) {
    const e = a[i]!;
    const j = b.findIndex((x) => x.term === e.term);
    if (j < 0) continue;
    if (b[j]!.startOffset !== e.startOffset) continue; // cannot happen with one leader per term
    const endA = a[i + 1]?.startOffset ?? aEnd;
    const endB = b[j + 1]?.startOffset ?? bEnd;
    return Math.min(endA, endB, aEnd, bEnd);
  }
  return Math.min(a[0]?.startOffset ?? aEnd, b[0]?.startOffset ?? bEnd, aEnd, bEnd);
}

export function formatTerms(entries: readonly TermEntry[]): string {
  return entries.length === 0 ? '(none)' : entries.map((e) => `${e.term}@${e.startOffset}`).join(', ');
}
