// A tiny in-process harness for RaftCore tests: a few cores, a manual clock, messages queued and
// delivered on request (each one through the codec), persists completed on request or at once,
// and each member's log as plain bytes. Deterministic: randomness is a fixed LCG per member.
import { decodeRaftFrame, encodeRaftFrame } from '../../src/raft/raft-codec.js';
import { RaftCore } from '../../src/raft/raft-core.js';
import { RaftMessageType, type RaftMessage } from '../../src/raft/raft-protocol.js';
import type { RaftAction, RaftEvent, RaftInitialState, RaftLogView, RaftSettings } from '../../src/raft/raft-types.js';
import { TermHistory } from '../../src/raft/term-history.js';

export function testSettings(selfId: string, peers: readonly string[], over: Partial<RaftSettings> = {}): RaftSettings {
  return {
    selfId,
    peers,
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 300,
    electionJitterMinMs: 0,
    electionJitterMaxMs: 100,
    leaseMarginMs: 30,
    ackPosition: 'written',
    maxAppendBytes: 1024,
    maxInflightAppends: 4,
    appendTimeoutMs: 300,
    transferMaxLagBytes: 1000,
    transferTimeoutMs: 1000,
    preferredLeaderId: null,
    preferredLeaderCheckIntervalMs: 1000,
    preVote: true,
    currentTermCommitRule: true,
    ...over,
  };
}

/** A log view where every byte ends a record (the kit's logs are plain bytes). */
export const BYTES: RaftLogView = { alignedEnd: (_from, limit) => limit };

export function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export interface Member {
  id: string;
  core: RaftCore;
  log: number[];
  terms: TermHistory;
  hard: { term: number; votedFor: string | null };
  pendingPersists: { seq: number; term: number; votedFor: string | null }[];
  actions: RaftAction[];
  confirm: number;
  transferResults: { to: string; code: number }[];
}

interface Queued {
  from: string;
  to: string;
  frame: Uint8Array;
}

export class Cluster {
  nowMs = 0;
  readonly members = new Map<string, Member>();
  queue: Queued[] = [];
  /** `${from}>${to}` pairs whose messages are dropped. */
  readonly cut = new Set<string>();
  autoPersist = true;

  constructor(
    readonly ids: readonly string[],
    private readonly over: Partial<RaftSettings> = {},
  ) {
    ids.forEach((id, i) => this.start(id, i + 1));
  }

  start(id: string, seed: number, initial?: Partial<RaftInitialState>, over: Partial<RaftSettings> = {}): Member {
    const prev = this.members.get(id);
    const log = prev?.log ?? [];
    const terms = prev?.terms ?? new TermHistory();
    const hard = prev?.hard ?? { term: 0, votedFor: null };
    const core = new RaftCore(
      testSettings(id, this.ids, { ...this.over, ...over }),
      { term: hard.term, votedFor: hard.votedFor, terms: terms.entries, writtenEnd: log.length, flushedEnd: log.length, commitOffset: 0, ...initial },
      lcg(seed),
      this.nowMs,
      BYTES,
    );
    const m: Member = { id, core, log, terms, hard, pendingPersists: [], actions: [], confirm: 0, transferResults: [] };
    this.members.set(id, m);
    return m;
  }

  get(id: string): Member {
    return this.members.get(id)!;
  }

  step(id: string, event: RaftEvent): RaftAction[] {
    const m = this.get(id);
    const actions = m.core.step(event, this.nowMs);
    m.actions.push(...actions);
    for (const a of actions) this.perform(m, a);
    return actions;
  }

  private perform(m: Member, a: RaftAction): void {
    switch (a.kind) {
      case 'persist-state':
        m.pendingPersists.push({ seq: a.seq, term: a.term, votedFor: a.votedFor });
        if (this.autoPersist) this.completePersists(m.id);
        return;
      case 'send':
        return this.enqueue(m.id, a.to, a.message);
      case 'send-append': {
        const data = Uint8Array.from(m.log.slice(a.header.prevOffset, a.header.prevOffset + a.length));
        return this.enqueue(m.id, a.to, { type: RaftMessageType.APPEND_REQUEST, ...a.header, data });
      }
      case 'append':
        if (a.newTerm) m.terms.begin(a.term, a.offset);
        m.log.push(...a.data);
        return this.progress(m);
      case 'truncate':
        m.log.length = a.toOffset;
        m.terms.truncate(a.toOffset);
        return this.progress(m);
      case 'append-marker':
        m.terms.begin(a.term, a.offset);
        m.log.push(0xaa, a.term & 0xff, 0xaa, 0xaa);
        this.later.push(() => this.step(m.id, { kind: 'marker-written', logSeq: a.logSeq, term: a.term, endOffset: m.log.length }));
        return;
      case 'confirm':
        m.confirm = a.offset;
        return;
      case 'transfer-done':
        m.transferResults.push({ to: a.to, code: a.code });
        return;
      case 'role-changed':
        return;
    }
  }

  private readonly later: (() => void)[] = [];

  private progress(m: Member): void {
    const seq = (m.actions.filter((x) => x.kind === 'append' || x.kind === 'truncate' || x.kind === 'append-marker').at(-1) as { logSeq?: number } | undefined)?.logSeq ?? 0;
    this.later.push(() => this.step(m.id, { kind: 'log-progress', appliedLogSeq: seq, writtenEnd: m.log.length, flushedEnd: m.log.length }));
  }

  completePersists(id: string): void {
    const m = this.get(id);
    const last = m.pendingPersists.at(-1);
    if (!last) return;
    m.pendingPersists = [];
    m.hard = { term: last.term, votedFor: last.votedFor };
    this.later.push(() => this.step(id, { kind: 'persisted', seq: last.seq }));
  }

  /** A leader's own put of `n` bytes. */
  put(id: string, n: number): void {
    const m = this.get(id);
    for (let i = 0; i < n; i++) m.log.push((m.log.length * 7) & 0xff);
    this.step(id, { kind: 'log-progress', appliedLogSeq: 1e9, writtenEnd: m.log.length, flushedEnd: m.log.length });
  }

  private enqueue(from: string, to: string, message: RaftMessage): void {
    this.queue.push({ from, to, frame: encodeRaftFrame({ group: 'g', from, to, message }) });
  }

  /** Deliver queued messages and deferred events until quiet (bounded). */
  settle(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      const fn = this.later.shift();
      if (fn) {
        fn();
        continue;
      }
      const q = this.queue.shift();
      if (!q) return;
      if (this.cut.has(`${q.from}>${q.to}`) || !this.members.has(q.to)) continue;
      const env = decodeRaftFrame(q.frame);
      this.step(q.to, { kind: 'message', from: env.from, message: env.message });
    }
    throw new Error('cluster did not settle');
  }

  /** Like settle, but messages for which `hold` is true stay queued (in order) for later. */
  settleHolding(hold: (from: string, to: string) => boolean, maxRounds = 10_000): void {
    const held: Queued[] = [];
    for (let i = 0; i < maxRounds; i++) {
      const fn = this.later.shift();
      if (fn) {
        fn();
        continue;
      }
      const q = this.queue.shift();
      if (!q) break;
      if (hold(q.from, q.to)) held.push(q);
      else this.queue.unshift(q), this.settleOne();
    }
    this.queue.push(...held);
  }

  private settleOne(): void {
    const q = this.queue.shift()!;
    if (this.cut.has(`${q.from}>${q.to}`) || !this.members.has(q.to)) return;
    const env = decodeRaftFrame(q.frame);
    this.step(q.to, { kind: 'message', from: env.from, message: env.message });
  }

  /** Move time by `ms` in `stepMs` steps, ticking every member and settling after each. */
  advance(ms: number, stepMs = 10): void {
    for (let t = 0; t < ms; t += stepMs) {
      this.nowMs += stepMs;
      for (const id of this.members.keys()) this.step(id, { kind: 'tick' });
      this.settle();
    }
  }

  leaders(): Member[] {
    return [...this.members.values()].filter((m) => m.core.status().role === 'LEADER');
  }

  isolate(id: string): void {
    for (const other of this.ids) if (other !== id) this.cut.add(`${id}>${other}`), this.cut.add(`${other}>${id}`);
  }

  heal(): void {
    this.cut.clear();
  }
}
