// One raft-scenario host's log, in memory: a byte log of self-describing records (the stand-in for
// the RocketMQ CommitLog until the node glue lands) with written / flushed positions and the term
// history the core's actions keep, surviving the host's crashes the way a disk would.
//
// Record: | u32 totalLength | u32 kind (1 put, 2 term marker) | u32 FNV-1a of the payload | payload |
//   put payload:    u32 putId, then filler bytes derived from the id (so bytes identify the put);
//   marker payload: u32 term, u32 leader index (the term-start marker: never a consumer's message).
//
// Crash model (per crash, chosen by the scenario):
//   kill       the process dies, the page cache survives: nothing written is lost;
//   power-cut  bytes past the flushed end are lost from a seeded random point on, and the surviving
//              unflushed part may be torn (zeroed from a random point); recovery scans the records
//              from the start and stops at the first one that is cut short or fails its hash.
// Recovery rebuilds the term history from the marker records alone (every term's bytes start with
// its leader's marker, in every log that holds them): the scenario checks that it equals the
// history the core's actions kept (the model's claim that the history needs no file of its own).
import { TermHistory, type TermEntry } from '../../../src/raft/term-history.js';
import type { Rng } from '../rng.js';

export const RECORD_HEADER_BYTES = 12;
export const KIND_PUT = 1;
export const KIND_MARKER = 2;

export function fnv(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

function record(kind: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, out.length);
  v.setUint32(4, kind);
  v.setUint32(8, fnv(payload));
  out.set(payload, RECORD_HEADER_BYTES);
  return out;
}

export function putRecord(putId: number, size: number): Uint8Array {
  const payload = new Uint8Array(Math.max(4, size));
  new DataView(payload.buffer).setUint32(0, putId);
  for (let i = 4; i < payload.length; i++) payload[i] = (putId * 31 + i * 7) & 0xff;
  return record(KIND_PUT, payload);
}

export function markerRecord(term: number, leaderIndex: number): Uint8Array {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setUint32(0, term);
  new DataView(payload.buffer).setUint32(4, leaderIndex);
  return record(KIND_MARKER, payload);
}

export type CrashMode = 'kill' | 'power-cut';

export class SimRaftLog {
  private buf = new Uint8Array(64 * 1024);
  end = 0;
  flushed = 0;
  readonly terms = new TermHistory();
  /** Bytes removed by truncations (the real store keeps them in quarantine/). */
  truncatedBytes = 0;
  /** Truncations so far (an fsync that began before one does not cover what was written after it). */
  truncations = 0;

  get bytes(): Uint8Array {
    return this.buf.subarray(0, this.end);
  }

  append(offset: number, data: Uint8Array, term: number, newTerm: boolean): void {
    if (offset !== this.end) throw new Error(`append at ${offset}, log end ${this.end}`);
    if (newTerm) this.terms.begin(term, offset);
    this.room(this.end + data.length);
    this.buf.set(data, this.end);
    this.end += data.length;
  }

  /** A leader's own record (a put or its marker) at the end. */
  appendOwn(rec: Uint8Array, term: number): { start: number; end: number } {
    const start = this.end;
    if (this.terms.newestTerm !== term) this.terms.begin(term, start);
    this.append(start, rec, term, false);
    return { start, end: this.end };
  }

  /** RaftLogView: the largest record end in (from, limit], or the end of the record at `from`. */
  alignedEnd(from: number, limit: number): number {
    const v = new DataView(this.buf.buffer);
    let pos = from;
    for (;;) {
      if (pos + 4 > this.end) throw new Error(`alignedEnd: no record header at ${pos} (log end ${this.end})`);
      const next = pos + v.getUint32(pos);
      if (next > limit) return pos > from ? pos : next;
      pos = next;
      if (pos === limit) return pos;
    }
  }

  truncate(to: number): void {
    if (to > this.end) throw new Error(`truncate to ${to} past the end ${this.end}`);
    this.truncatedBytes += this.end - to;
    this.truncations++;
    this.end = to;
    this.flushed = Math.min(this.flushed, to);
    this.terms.truncate(to);
  }

  flush(): void {
    this.flushed = this.end;
  }

  /** The host crashed: lose what the mode loses, then recover. `termsMismatch`: the history the
   * core's actions kept (cut to the recovered end) differs from the one the markers give. */
  crash(mode: CrashMode, rng: Rng): { lostBytes: number; torn: boolean; termsMismatch: string | null } {
    const before = this.end;
    let torn = false;
    if (mode === 'power-cut' && this.end > this.flushed) {
      const keep = rng.int(this.flushed, this.end);
      if (keep > this.flushed && rng.chance(0.5)) {
        this.buf.fill(0, rng.int(this.flushed, keep - 1), keep);
        torn = true;
      }
      this.end = keep;
    }
    const kept = this.terms.copy();
    this.recover();
    kept.truncate(this.end);
    const a = kept.entries.map((e) => `${e.term}@${e.startOffset}`).join(',');
    const b = this.terms.entries.map((e) => `${e.term}@${e.startOffset}`).join(',');
    return { lostBytes: before - this.end, torn, termsMismatch: a === b ? null : `kept [${a}] vs markers [${b}]` };
  }

  /** Scan the records; cut at the first bad one; rebuild the term history from the markers. */
  recover(): void {
    const v = new DataView(this.buf.buffer);
    let pos = 0;
    const entries: TermEntry[] = [];
    while (pos + RECORD_HEADER_BYTES <= this.end) {
      const len = v.getUint32(pos);
      const kind = v.getUint32(pos + 4);
      if (len < RECORD_HEADER_BYTES + 4 || pos + len > this.end || (kind !== KIND_PUT && kind !== KIND_MARKER)) break;
      if (fnv(this.buf, pos + RECORD_HEADER_BYTES, pos + len) !== v.getUint32(pos + 8)) break;
      if (kind === KIND_MARKER) entries.push({ term: v.getUint32(pos + RECORD_HEADER_BYTES), startOffset: pos });
      pos += len;
    }
    this.end = pos;
    this.flushed = Math.min(this.flushed, pos);
    this.terms.truncate(0);
    for (const e of entries) this.terms.begin(e.term, e.startOffset);
  }

  private room(n: number): void {
    if (n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(n, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.end));
    this.buf = next;
  }
}
