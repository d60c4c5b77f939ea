// One raft-scenario host: the real RaftCore driven by a small glue over the simulated pieces (the
// model of what the node glue will do over FileIO, the CommitLog and a Transport):
//   - hard state {term, votedFor}: a persist-state is durable after a seeded fsync delay; a crash
//     before that loses it (the core holds every message that depends on it meanwhile);
//   - the log (raft-log.ts): appends and truncations at once, in action order; the flush follows
//     the scenario's mode: SYNC_FLUSH after a short fsync delay, ASYNC_FLUSH every flush interval;
//     progress reaches the core as log-progress events;
//   - messages: encoded with the real codec and sent as datagrams (raft-net.ts);
//   - client puts: only while the core says it accepts them; a put is PUT_OK once the confirm
//     offset covers it while this incarnation still leads the term it was appended in (a role or
//     term change fails the pending puts: DLedger's TERM_CHANGED);
//   - a pause (SIGSTOP, a VM freeze): nothing runs and arriving messages wait until it ends;
//   - a confirm checkpoint (DLedger's committedIndex) survives crashes and bounds the next
//     incarnation's commit point from below (capped to the recovered log).
import { decodeRaftFrame, encodeRaftFrame } from '../../../src/raft/raft-codec.js';
import { RaftCore } from '../../../src/raft/raft-core.js';
import { describeMessage, RaftMessageType } from '../../../src/raft/raft-protocol.js';
import type { RaftAction, RaftEvent, RaftSettings } from '../../../src/raft/raft-types.js';
import type { Cancelable } from '../../../src/util/scheduler.js';
import type { Rng } from '../rng.js';
import type { SimProcess } from '../sim-process.js';
import type { World } from '../world.js';
import { markerRecord, putRecord, SimRaftLog, type CrashMode } from './raft-log.js';
import type { RaftNet } from './raft-net.js';
import type { RaftOracle } from './raft-oracle.js';

export const GROUP = 'sim-group';

export interface NodeTiming {
  flushMode: 'SYNC_FLUSH' | 'ASYNC_FLUSH';
  fsyncMs: readonly [number, number];
  asyncFlushIntervalMs: number;
}

interface PendingPut {
  putId: number;
  start: number;
  end: number;
  term: number;
  record: Uint8Array;
}

export class RaftSimNode {
  readonly log = new SimRaftLog();
  private hard = { term: 0, votedFor: null as string | null };
  private checkpoint = 0;
  core: RaftCore | null = null;
  private process: SimProcess | null = null;
  private timer: Cancelable | null = null;
  private timerAt = Infinity;
  private pendingPuts: PendingPut[] = [];
  private paused = false;
  private inbox: { from: string; frame: Uint8Array }[] = [];
  private deferred: RaftEvent[] = [];
  private syncEvents: RaftEvent[] = [];
  private flushTimer: Cancelable | null = null;
  private logSeqApplied = 0;
  private persistChainAt = 0;
  private readonly rng: Rng;
  traceMessages = process.env.RAFT_SIM_TRACE === '1';
  putOks = 0;
  putFails = 0;

  constructor(
    readonly host: string,
    readonly index: number,
    private readonly world: World,
    private readonly net: RaftNet,
    private readonly oracle: RaftOracle,
    private readonly settings: RaftSettings,
    private readonly timing: NodeTiming,
  ) {
    this.rng = world.rng.fork(`raft-node:${host}`);
  }

  get flushMode(): NodeTiming['flushMode'] {
    return this.timing.flushMode;
  }

  get alive(): boolean {
    return this.process?.alive === true;
  }

  boot(process: SimProcess): void {
    this.process = process;
    this.paused = false;
    this.inbox = [];
    this.deferred = [];
    this.syncEvents = [];
    this.pendingPuts = [];
    this.logSeqApplied = 0;
    const core = new RaftCore(
      this.settings,
      { term: this.hard.term, votedFor: this.hard.votedFor, terms: this.log.terms.entries, writtenEnd: this.log.end, flushedEnd: this.log.flushed, commitOffset: Math.min(this.checkpoint, this.log.end) },
      () => this.rng.float(),
      this.now(),
      this.log,
    );
    this.core = core;
    this.net.attach(this.host, (from, frame) => this.receive(from, frame));
    this.world.log('raft', `${process.label} starts: term ${this.hard.term} vote ${this.hard.votedFor ?? '-'} log ${this.log.end} (flushed ${this.log.flushed}) terms ${this.log.terms.entries.map((e) => `${e.term}@${e.startOffset}`).join(',') || '-'}`);
    if (this.timing.flushMode === 'ASYNC_FLUSH') this.armAsyncFlush();
    this.feed({ kind: 'tick' });
  }

  crash(mode: CrashMode): void {
    if (!this.process) return;
    this.world.crashHost(this.host, `nemesis ${mode}`);
    this.stopIncarnation();
    const r = this.log.crash(mode, this.rng);
    this.oracle.onRecovered(this.host, r.termsMismatch);
    this.world.log('disk', `${this.host} ${mode}: lost ${r.lostBytes} bytes${r.torn ? ' (torn)' : ''}, log ${this.log.end} flushed ${this.log.flushed}`);
  }

  private stopIncarnation(): void {
    this.core = null;
    this.timer = null;
    this.timerAt = Infinity;
    this.flushTimer = null;
    this.net.attach(this.host, null);
    this.failPending('crash');
  }

  pause(durationMs: number): void {
    if (!this.alive || this.paused) return;
    this.paused = true;
    this.world.log('fault', `${this.process!.label} paused for ${durationMs.toFixed(0)} ms`);
    this.world.after(durationMs, '', () => this.resume());
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (!this.alive) return;
    this.world.log('fault', `${this.process!.label} resumes with ${this.inbox.length} queued messages`);
    const queued = this.inbox;
    this.inbox = [];
    // the adversarial order: what arrived during the pause is handled before any timer runs
    // (a leader must not count those old acknowledgements once its lease is gone)
    for (const q of queued) this.receive(q.from, q.frame);
    const events = this.deferred;
    this.deferred = [];
    for (const e of events) this.feed(e);
    this.feed(this.progressEvent());
  }

  /** A client put of `size` bytes; false when this member does not take puts now. */
  put(putId: number, size: number): boolean {
    const core = this.core;
    if (!core || this.paused || !core.status(this.now()).acceptingPuts) return false;
    const term = core.status().term;
    const record = putRecord(putId, size);
    const { start, end } = this.log.appendOwn(record, term);
    this.pendingPuts.push({ putId, start, end, term, record });
    // reported before any other event (sim seed 1888: reported later, a step-down in between left
    // the core with an older log end than the log's)
    this.feed(this.progressEvent());
    this.afterLogChange();
    return true;
  }

  transfer(to: string): void {
    if (this.core && !this.paused) this.feed({ kind: 'transfer-leadership', to });
  }

  private now(): number {
    return this.process!.clock.monotonicMs();
  }

  private receive(from: string, frame: Uint8Array): void {
    if (!this.alive || !this.core) return;
    if (this.paused) {
      if (this.inbox.length < 10_000) this.inbox.push({ from, frame });
      return;
    }
    const envelope = decodeRaftFrame(frame);
    if (envelope.group !== GROUP || envelope.to !== this.host || envelope.from !== from) throw new Error(`misaddressed frame ${JSON.stringify({ ...envelope, message: undefined })}`);
    if (this.traceMessages) this.world.log('msg', `${from} -> ${this.host}: ${describeMessage(envelope.message)}`);
    this.feed({ kind: 'message', from, message: envelope.message });
  }

  private feed(event: RaftEvent): void {
    const core = this.core;
    if (!core) return;
    if (this.paused) {
      // a stopped process runs its callbacks when it continues: nothing is lost (sim seed 267
      // lost a persist completion here and its core held every message from then on)
      if (this.deferred.length < 10_000) this.deferred.push(event);
      return;
    }
    const actions = core.step(event, this.now());
    for (const a of actions) this.perform(a);
    while (this.syncEvents.length > 0 && this.core === core) this.feed(this.syncEvents.shift()!);
    this.armTimer();
  }

  private perform(a: RaftAction): void {
    switch (a.kind) {
      case 'persist-state': {
        const core = this.core;
        const [min, max] = this.timing.fsyncMs;
        // one state file, written in order: each persist completes after the previous one
        const now = this.world.simMs;
        this.persistChainAt = Math.max(this.persistChainAt, now) + this.rng.between(min, max);
        this.process!.scheduler.after(this.persistChainAt - now, () => {
          if (this.core !== core) return;
          this.hard = { term: a.term, votedFor: a.votedFor };
          this.feed({ kind: 'persisted', seq: a.seq });
        });
        return;
      }
      case 'send':
        return this.net.send(this.host, a.to, encodeRaftFrame({ group: GROUP, from: this.host, to: a.to, message: a.message }));
      case 'send-append': {
        const data = this.log.bytes.slice(a.header.prevOffset, a.header.prevOffset + a.length);
        if (data.length !== a.length) throw new Error(`send-append past the log end: [${a.header.prevOffset}, +${a.length}) of ${this.log.end}`);
        const message = { type: RaftMessageType.APPEND_REQUEST, ...a.header, data } as const;
        return this.net.send(this.host, a.to, encodeRaftFrame({ group: GROUP, from: this.host, to: a.to, message }));
      }
      case 'append':
        this.oracle.onAppend(this.host, a.offset, a.data);
        this.log.append(a.offset, a.data, a.term, a.newTerm);
        this.logSeqApplied = a.logSeq;
        return this.afterLogChange();
      case 'truncate':
        this.oracle.onTruncate(this.host, a.toOffset, this.log);
        this.world.log('raft', `${this.process!.label} truncates ${this.log.end - a.toOffset} bytes at ${a.toOffset}`);
        this.log.truncate(a.toOffset);
        this.logSeqApplied = a.logSeq;
        return this.afterLogChange();
      case 'append-marker': {
        if (a.offset !== this.log.end) throw new Error(`marker at ${a.offset}, log end ${this.log.end}`);
        const { end } = this.log.appendOwn(markerRecord(a.term, this.index), a.term);
        this.logSeqApplied = a.logSeq;
        // before any other event (sim seed 1888: a step-down in between left the core without the marker's end)
        this.syncEvents.push({ kind: 'marker-written', logSeq: a.logSeq, term: a.term, endOffset: end });
        return this.afterLogChange();
      }
      case 'confirm':
        this.oracle.onConfirm(this.host, a.offset, this.log, this.core?.status().term ?? 0);
        this.checkpoint = Math.max(this.checkpoint, a.offset);
        return this.completePuts(a.offset);
      case 'role-changed':
        this.world.log('raft', `${this.process!.label} is ${a.role} of term ${a.term}${a.leaderId && a.role !== 'LEADER' ? ` (leader ${a.leaderId})` : ''}`);
        if (a.role === 'LEADER') this.oracle.onLeader(this.host, a.term, this.log);
        else this.failPending(`now ${a.role}`);
        return;
      case 'transfer-done':
        this.world.log('raft', `${this.process!.label} transfer to ${a.to}: ${a.code} ${a.reason}`);
        return;
    }
  }

  private completePuts(confirm: number): void {
    const term = this.core?.status().term;
    while (this.pendingPuts.length > 0 && this.pendingPuts[0]!.end <= confirm) {
      const p = this.pendingPuts.shift()!;
      if (p.term !== term) {
        this.putFails++;
        continue;
      }
      this.putOks++;
      this.oracle.onPutOk(p.putId, p.start, p.end, p.record, this.host, p.term);
    }
  }

  private failPending(why: string): void {
    if (this.pendingPuts.length === 0) return;
    this.putFails += this.pendingPuts.length;
    this.world.log('raft', `${this.host} fails ${this.pendingPuts.length} pending puts (${why})`);
    this.pendingPuts = [];
  }

  /** Tell the core about the log soon (as a real log reports from its write path), and flush. */
  private afterLogChange(): void {
    this.soon(() => this.progressEvent());
    if (this.timing.flushMode === 'SYNC_FLUSH') {
      const [min, max] = this.timing.fsyncMs;
      const core = this.core;
      const target = this.log.end;
      const cuts = this.log.truncations;
      this.process!.scheduler.after(this.rng.between(min, max), () => {
        if (this.core !== core) return;
        // a truncation since this fsync began: the bytes now there came later (their own fsync follows)
        if (this.log.truncations !== cuts) return;
        this.log.flushed = Math.max(this.log.flushed, target);
        this.feed(this.progressEvent());
      });
    }
  }

  private progressEvent(): RaftEvent {
    return { kind: 'log-progress', appliedLogSeq: this.logSeqApplied, writtenEnd: this.log.end, flushedEnd: this.log.flushed };
  }

  private soon(event: RaftEvent | (() => RaftEvent)): void {
    const core = this.core;
    this.process!.scheduler.soon(() => {
      if (this.core !== core) return;
      this.feed(typeof event === 'function' ? event() : event);
    });
  }

  private armAsyncFlush(): void {
    const core = this.core;
    this.flushTimer = this.process!.scheduler.after(this.timing.asyncFlushIntervalMs, () => {
      if (this.core !== core) return;
      if (!this.paused && this.log.flushed < this.log.end) {
        this.log.flush();
        this.feed(this.progressEvent());
      }
      this.armAsyncFlush();
    });
  }

  private armTimer(): void {
    const core = this.core;
    if (!core) return;
    const at = core.nextWakeMs;
    if (at >= this.timerAt && this.timer) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.process!.scheduler.after(Math.max(0, at - this.now()), () => {
      this.timer = null;
      this.timerAt = Infinity;
      if (this.core !== core) return;
      this.feed({ kind: 'tick' }); // a paused host ticks when it resumes
    });
  }
}
