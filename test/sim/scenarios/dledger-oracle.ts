// The dledger scenario's checks over the real members (dledger-node.ts): it observes each
// member's DLedger status and CommitLog after every step and keeps the group's committed bytes
// (the union of every confirm), so each check is O(change) per step.
//
//   one-leader-per-term     no two hosts are seen leading the same term (over all incarnations);
//   committed-prefix        when a member confirms offset C, its log's bytes [0, C) are the
//                           committed bytes known so far (then extend them): committed bytes never
//                           change or move, and a member never confirms bytes it does not hold;
//   no-truncate-committed   a member's log never shrinks below what it confirmed, except by a
//                           power cut (then its next confirm is checked from 0 again);
//   leader-holds-committed  a leader of term T, when first seen, holds every byte committed in
//                           terms before T (Leader Completeness);
//   put-ok-kept             every PUT_OK'd record, once the group's commit reaches its end, is in
//                           the committed bytes at its physical offset, byte for byte (so it is
//                           at that offset on every later leader, by leader-holds-committed), and
//                           by the end of the run the commit reaches every PUT_OK;
//   reads-stop-at-confirm   (on a timer) a consumer read on any member returns no message whose
//                           record ends past that member's confirm offset (followers serve
//                           committed reads only; a leader's unconfirmed tail is invisible).
import { createHash } from 'node:crypto';
import type { DLedgerStatus } from '../../../src/dledger/dledger-service.js';
import type { MessageStore } from '../../../src/store/message-store.js';
import { commonPrefix } from './raft-oracle.js';

export const DLEDGER_CHECKS = ['one-leader-per-term', 'committed-prefix', 'no-truncate-committed', 'leader-holds-committed', 'put-ok-kept', 'reads-stop-at-confirm', 'no-start-failure'] as const;
export type DLedgerCheck = (typeof DLEDGER_CHECKS)[number];

/** At most this many bytes read from one member per step for the checks. */
const MAX_READ_PER_CALL = 1 << 20;

export interface AckedRecord {
  putId: number;
  start: number;
  end: number;
  hash: string;
  host: string;
  term: number;
}

/** Written bytes [from, to) of a store's CommitLog (shorter when the log ends before `to`). */
export function readWritten(store: MessageStore, from: number, to: number): Buffer {
  const log = store.raftLog();
  const parts: Uint8Array[] = [];
  let at = from;
  for (let guard = 0; at < to && guard < 1_000_000; guard++) {
    const chunk = log.readWritten(at, Math.min(to - at, MAX_READ_PER_CALL));
    if (chunk.length === 0) break;
    parts.push(chunk);
    at += chunk.length;
  }
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}

export function hashOf(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

interface HostView {
  /** Bytes [0, confirmedChecked) of this incarnation's log were checked against the committed bytes. */
  confirmedChecked: number;
  /** The leader terms this incarnation was seen in (checked once each). */
  ledTerms: Set<number>;
}

export class DLedgerOracle {
  private readonly leaders = new Map<number, string>();
  private committed = Buffer.alloc(64 * 1024);
  committedLen = 0;
  /** Committed ends by the term of the member that confirmed them. */
  private readonly commits: { term: number; end: number }[] = [];
  private readonly pending: AckedRecord[] = [];
  verifiedPuts = 0;
  private readonly hosts = new Map<string, HostView>();
  private readonly violations = new Map<DLedgerCheck, string>();

  violation(check: DLedgerCheck): string | null {
    return this.violations.get(check) ?? null;
  }

  flag(check: DLedgerCheck, message: string): void {
    if (!this.violations.has(check)) this.violations.set(check, message);
  }

  get committedBytes(): Buffer {
    return this.committed.subarray(0, this.committedLen);
  }

  get unverifiedPuts(): readonly AckedRecord[] {
    return this.pending;
  }

  /** A new incarnation of `host` (its log may have lost an unsynced tail). */
  onBoot(host: string): void {
    this.hosts.set(host, { confirmedChecked: 0, ledTerms: new Set() });
  }

  /** After every step, for each member that is up. */
  observe(host: string, label: string, status: DLedgerStatus, store: MessageStore): void {
    const view = this.hosts.get(host) ?? { confirmedChecked: 0, ledTerms: new Set<number>() };
    this.hosts.set(host, view);
    const end = store.raftLog().writtenEnd();
    if (end < view.confirmedChecked) {
      this.flag('no-truncate-committed', `${label}: its log end went back to ${end}, below the ${view.confirmedChecked} bytes it confirmed (no crash in between)`);
    }
    if (status.role === 'LEADER' && !view.ledTerms.has(status.term)) {
      view.ledTerms.add(status.term);
      this.onLeader(host, label, status.term, store);
    }
    if (status.confirmOffset > view.confirmedChecked) this.onConfirm(label, view, status, store);
    this.verifyPuts();
  }

  private onLeader(host: string, label: string, term: number, store: MessageStore): void {
    const other = this.leaders.get(term);
    if (other !== undefined && other !== host) this.flag('one-leader-per-term', `${label} and ${other} both lead term ${term}`);
    this.leaders.set(term, host);
    let need = 0;
    for (const c of this.commits) if (c.term < term) need = Math.max(need, c.end);
    if (need === 0) return;
    const held = readWritten(store, 0, need);
    const m = commonPrefix(held, this.committedBytes.subarray(0, need));
    if (m < need) this.flag('leader-holds-committed', `${label} leads term ${term} with ${held.length} of the first ${need} committed bytes in its log, the same only up to ${m}`);
  }

  private onConfirm(label: string, view: HostView, status: DLedgerStatus, store: MessageStore): void {
    const from = view.confirmedChecked;
    const to = status.confirmOffset;
    const last = this.commits[this.commits.length - 1];
    if (last && last.term === status.term) last.end = Math.max(last.end, to);
    else if (this.commits.length < 100_000) this.commits.push({ term: status.term, end: to });
    const bytes = readWritten(store, from, to);
    if (bytes.length < to - from) {
      this.flag('committed-prefix', `${label} confirms ${to} but its log ends at ${from + bytes.length} (role ${status.role}, term ${status.term})`);
      return;
    }
    const overlap = Math.max(0, Math.min(to, this.committedLen) - from);
    const m = commonPrefix(bytes.subarray(0, overlap), this.committedBytes.subarray(from, from + overlap));
    if (m < overlap) {
      this.flag('committed-prefix', `${label} confirms ${to} but its byte ${from + m} differs from the committed log (committed up to ${this.committedLen}; role ${status.role}, term ${status.term})`);
      return;
    }
    if (to > this.committedLen) {
      if (to > this.committed.length) {
        const next = Buffer.alloc(Math.max(to, this.committed.length * 2));
        this.committedBytes.copy(next);
        this.committed = next;
      }
      bytes.copy(this.committed, this.committedLen, this.committedLen - from);
      this.committedLen = to;
    }
    view.confirmedChecked = to;
  }

  /** Read the last few messages of each queue on `store` and check none ends past `confirm`
   * (the store's reads are synchronous under the promise: nothing else runs in between). */
  checkReads(label: string, store: MessageStore, confirm: number, topic: string, queues: number): void {
    for (let q = 0; q < queues; q++) {
      const max = store.getMaxOffsetInQueue(topic, q);
      if (max <= 0) continue;
      void store
        .getMessage({ group: 'sim-check', topic, queueId: q, offset: Math.max(store.getMinOffsetInQueue(topic, q), max - 4), maxMsgNums: 4 })
        .then((r) => {
          for (const m of r.messages) {
            if (m.physicalOffset + m.totalSize > confirm) {
              this.flag('reads-stop-at-confirm', `${label} serves ${topic}/${q} queue offset ${m.queueOffset} at [${m.physicalOffset}, ${m.physicalOffset + m.totalSize}), past its confirm offset ${confirm}`);
            }
          }
        })
        .catch(() => undefined); // a store that closed under a crash: nothing to check
    }
  }

  /** A PUT_OK answered by `host` in `term` for [start, end) whose bytes hash to `hash`. */
  onPutOk(record: AckedRecord): void {
    this.pending.push(record);
    this.verifyPuts();
  }

  private verifyPuts(): void {
    for (let i = 0; i < this.pending.length; ) {
      const p = this.pending[i]!;
      if (p.end > this.committedLen) {
        i++;
        continue;
      }
      if (hashOf(this.committedBytes.subarray(p.start, p.end)) !== p.hash) {
        this.flag('put-ok-kept', `put ${p.putId}, PUT_OK from ${p.host} (term ${p.term}) at [${p.start}, ${p.end}), is not the committed bytes there`);
      }
      this.verifiedPuts++;
      this.pending.splice(i, 1);
    }
  }
}
