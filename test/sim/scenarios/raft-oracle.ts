// The raft scenario's checks. Hooks called by the nodes (raft-node.ts) record violations; the
// world's safety checks report them, so every check is O(change), not O(log), per step; the
// pairwise log comparison runs on a timer and at the end.
//
//   one-leader-per-term     no two hosts become leader of the same term (over all incarnations);
//   committed-prefix        the global committed log is the union of every confirm: when a host
//                           confirms offset C its bytes [0, C) equal the committed bytes known so far
//                           (then extend them): committed bytes never change or move;
//   no-truncate-committed   a Raft truncation never cuts bytes a host holds that are committed;
//   leader-holds-committed  a new leader of term T holds every byte committed in terms before T;
//   put-ok-kept             a PUT_OK'd put's record is in the committed log at its offset, byte for byte;
//   log-matching            (timer + final) two logs that both hold a term agree, byte for byte, up
//                           to where the shorter run of their last common term ends, and that term
//                           starts at the same offset in both;
//   no-put-ok-after-new-leader  a leader of term T answers no PUT_OK once a leader of a later term
//                           exists (its lease ran out before any other member could vote: the
//                           lease and check-quorum at work, e.g. after a SIGSTOP);
//   whole-records           every follower append (and so every log end) consists of whole records:
//                           a new leader's marker must never land inside a record;
//   terms-from-markers      at each recovery, the term history the core's actions kept equals the
//                           one the marker records give (the log model's claim);
//   elected-in-time (final) after the faults stop, one leader that every member follows is in
//                           place within electionBoundMs;
//   converged (final)       at the end every member holds the leader's log byte for byte and has
//                           confirmed all of it, and every PUT_OK'd put is in it.
import { agreedEnd, formatTerms, type TermEntry } from '../../../src/raft/term-history.js';
import type { SimRaftLog } from './raft-log.js';

export interface OracleView {
  readonly host: string;
  readonly log: SimRaftLog;
}

export const RAFT_CHECKS = [
  'one-leader-per-term',
  'committed-prefix',
  'no-truncate-committed',
  'leader-holds-committed',
  'put-ok-kept',
  'log-matching',
  'terms-from-markers',
  'whole-records',
  'no-put-ok-after-new-leader',
] as const;
export type RaftCheck = (typeof RAFT_CHECKS)[number];

export class RaftOracle {
  private readonly leaders = new Map<number, string>();
  private committed = new Uint8Array(64 * 1024);
  committedLen = 0;
  /** The term history of the committed bytes. */
  private committedTerms: TermEntry[] = [];
  readonly acked: { putId: number; start: number; end: number }[] = [];
  private readonly violations = new Map<RaftCheck, string>();

  violation(check: RaftCheck): string | null {
    return this.violations.get(check) ?? null;
  }

  private flag(check: RaftCheck, message: string): void {
    if (!this.violations.has(check)) this.violations.set(check, message);
  }

  get committedBytes(): Uint8Array {
    return this.committed.subarray(0, this.committedLen);
  }

  onLeader(host: string, term: number, log: SimRaftLog): void {
    const other = this.leaders.get(term);
    if (other !== undefined && other !== host) this.flag('one-leader-per-term', `${host} and ${other} both became leader of term ${term}`);
    this.leaders.set(term, host);
    // Leader Completeness: a leader of term T holds what was committed in terms before T (a
    // stale leader of an older term, e.g. one that was paused while its votes arrived, need not
    // hold what a later term committed: sim seed 1888)
    let need = 0;
    for (const c of this.commits) if (c.term < term) need = Math.max(need, c.end);
    const x = agreedEnd(log.terms.entries, log.end, this.committedTerms, this.committedLen);
    const m = commonPrefix(log.bytes.subarray(0, x), this.committedBytes.subarray(0, x));
    if (m < need) {
      this.flag('leader-holds-committed', `${host} became leader of term ${term} with a log of ${log.end} bytes that holds only ${m} of the ${need} bytes committed before that term (its terms ${formatTerms(log.terms.entries)})`);
    }
  }

  /** Committed ends by the term they were committed in (the confirming member's term). */
  private readonly commits: { term: number; end: number }[] = [];

  onConfirm(host: string, offset: number, log: SimRaftLog, term: number): void {
    const last = this.commits[this.commits.length - 1];
    if (last && last.term === term) last.end = Math.max(last.end, offset);
    else if (this.commits.length < 100_000) this.commits.push({ term, end: offset });
    if (offset > log.end) return this.flag('committed-prefix', `${host} confirmed ${offset} but its log ends at ${log.end}`);
    const upTo = Math.min(offset, this.committedLen);
    const m = commonPrefix(log.bytes.subarray(0, upTo), this.committedBytes.subarray(0, upTo));
    if (m < upTo) return this.flag('committed-prefix', `${host} confirmed ${offset} but its byte ${m} differs from the committed log (committed up to ${this.committedLen}; its terms ${formatTerms(log.terms.entries)})`);
    if (offset > this.committedLen) {
      if (offset > this.committed.length) {
        const next = new Uint8Array(Math.max(offset, this.committed.length * 2));
        next.set(this.committedBytes);
        this.committed = next;
      }
      this.committed.set(log.bytes.subarray(this.committedLen, offset), this.committedLen);
      this.committedLen = offset;
      this.committedTerms = log.terms.entries.filter((e) => e.startOffset < offset);
    }
  }

  onTruncate(host: string, to: number, log: SimRaftLog): void {
    // the committed bytes it holds: up to where its terms agree with the committed terms (bytes
    // past a divergence can equal committed ones by chance, a record header's zeros)
    const x = agreedEnd(log.terms.entries, log.end, this.committedTerms, this.committedLen);
    const m = commonPrefix(log.bytes.subarray(0, x), this.committedBytes.subarray(0, x));
    if (to < m) this.flag('no-truncate-committed', `${host} cut its log at ${to}, below the ${m} committed bytes it held`);
  }

  onPutOk(putId: number, start: number, end: number, record: Uint8Array, host: string, term: number): void {
    this.acked.push({ putId, start, end });
    const newer = [...this.leaders].filter(([t]) => t > term);
    if (newer.length > 0) this.flag('no-put-ok-after-new-leader', `${host}, leader of term ${term}, answered PUT_OK for put ${putId} after ${newer[0]![1]} became leader of term ${newer[0]![0]}`);
    if (end > this.committedLen) return this.flag('put-ok-kept', `put ${putId} answered PUT_OK at [${start}, ${end}) beyond the committed end ${this.committedLen}`);
    const held = this.committedBytes.subarray(start, end);
    if (commonPrefix(held, record) !== record.length) this.flag('put-ok-kept', `put ${putId} answered PUT_OK at [${start}, ${end}) but the committed bytes there are another record`);
  }

  /** A follower appends `data` at `offset` (a record boundary): it must be whole records. */
  onAppend(host: string, offset: number, data: Uint8Array): void {
    const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
    let pos = 0;
    while (pos + 4 <= data.length) {
      const len = v.getUint32(pos);
      if (len < 16) break;
      pos += len;
    }
    if (pos !== data.length) this.flag('whole-records', `${host} appended [${offset}, ${offset + data.length}), which does not end on a record boundary (records end at ${offset + pos})`);
  }

  onRecovered(host: string, mismatch: string | null): void {
    if (mismatch) this.flag('terms-from-markers', `${host} recovered a term history that differs: ${mismatch}`);
  }

  /** Pairwise Log Matching (see the header). */
  checkLogMatching(nodes: readonly OracleView[]): void {
    for (let i = 0; i < nodes.length; i++) {
      for (let j = 0; j < i; j++) {
        const a = nodes[i]!;
        const b = nodes[j]!;
        for (const e of a.log.terms.entries) {
          const s = b.log.terms.startOf(e.term);
          if (s !== null && s !== e.startOffset) return this.flag('log-matching', `term ${e.term} starts at ${e.startOffset} on ${a.host} but at ${s} on ${b.host}`);
        }
        const x = agreedEnd(a.log.terms.entries, a.log.end, b.log.terms.entries, b.log.end);
        const m = commonPrefix(a.log.bytes.subarray(0, x), b.log.bytes.subarray(0, x));
        if (m < x) {
          return this.flag('log-matching', `${a.host} [${formatTerms(a.log.terms.entries)}] and ${b.host} [${formatTerms(b.log.terms.entries)}] should agree up to ${x} but differ at byte ${m}`);
        }
      }
    }
  }
}

/** Length of the common prefix of two byte arrays. */
export function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset, n), Buffer.from(b.buffer, b.byteOffset, n)) === 0) return n;
  let lo = 0;
  let hi = n; // a[0, lo) equal; the first difference is < hi
  while (hi - lo > 64) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(Buffer.from(a.buffer, a.byteOffset + lo, mid - lo), Buffer.from(b.buffer, b.byteOffset + lo, mid - lo)) === 0) lo = mid;
    else hi = mid;
  }
  while (lo < hi && a[lo] === b[lo]) lo++;
  return lo;
}
