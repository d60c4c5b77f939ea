// One DLedger member: the Raft core (src/raft/) driven over the real pieces, the glue the
// simulator's raft-node.ts models. It keeps the core's ordering contract (raft-types.ts):
//   - actions run in the order returned; log actions (append, truncate, append-marker) one after
//     the other through `logQueue` (a live truncation is asynchronous: later log actions wait for
//     it, and no log-progress is reported while one runs);
//   - persist-state: the hard state file is written and fsynced (hard-state-file.ts) before
//     `persisted` is fed, synchronously after the current step (`syncEvents`);
//   - the leader's own puts are reported with log-progress synchronously (onAppended, from the
//     put path), an append-marker with marker-written right after it is written;
//   - log-progress `writtenEnd` is the store's COMMITTED end (bytes in the page cache, which a
//     kill of this process cannot take away), not its write-buffer end: in buffer mode (a
//     TransientStorePool, the pure-Node backend, the simulator's disk) an ack of buffered bytes
//     let a leader commit bytes a killed follower then lacked, and that follower could win the
//     next election (sim seed 1041 of the dledger scenario). Replicated appends and the marker ask
//     for a prompt commit (commitSoon; nothing to do in mmap mode, where both ends are the same);
//   - commit and flush progress are fed when the store's committed / flushed end moves (bounded
//     waits on them);
//   - an IO error in any action is fail-stop: the member stops (port closed by the service,
//     pending puts failed, the core is not told).
import type { MessageStore } from '../store/message-store.js';
import type { RaftLogAccess } from '../store/raft-log-access.js';
import { RaftCore } from '../raft/raft-core.js';
import { RaftMessageType } from '../raft/raft-protocol.js';
import type { RaftMessage } from '../raft/raft-protocol.js';
import type { TermHistory } from '../raft/term-history.js';
import type { RaftAction, RaftEvent, RaftInitialState, RaftRole, RaftSettings, RaftStatus } from '../raft/raft-types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';
import type { HardStateFile } from './hard-state-file.js';
import { commitLogView } from './log-records.js';
import { PendingAcks } from './pending-acks.js';
import type { TermFile } from './term-file.js';
import { markerInput } from './term-marker.js';

/** Log actions waiting behind a running truncation, at most (the core's window bounds them far lower). */
const MAX_QUEUED_LOG_ACTIONS = 100_000;

export interface DLedgerMemberDeps {
  readonly store: MessageStore;
  readonly log: RaftLogAccess;
  readonly settings: RaftSettings;
  readonly initial: RaftInitialState;
  readonly terms: TermHistory;
  readonly hardState: HardStateFile;
  readonly termFile: TermFile;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly logger: Logger;
  readonly maxWaitAckTimeMs: number;
  readonly maxPendingPuts: number;
  /** Send one message to a member (dropped when the link is down). */
  send(to: string, message: RaftMessage): void;
  /** The member stopped for good (an IO error): the service closes its port. */
  onFailure(reason: string): void;
}

export interface TransferOutcome {
  readonly code: number;
  readonly reason: string;
}

export class DLedgerMember {
  readonly core: RaftCore;
  readonly pending: PendingAcks;
  private syncEvents: RaftEvent[] = [];
  private feeding = false;
  private logQueue: (() => void | Promise<void>)[] = [];
  private logRunning = false;
  private logSeqApplied = 0;
  private reportedFlushed = -1;
  private reportedCommitted = -1;
  private timer: Cancelable | null = null;
  private timerAt = Infinity;
  private progressQueued: Cancelable | null = null;
  private roleNow: RaftRole = 'FOLLOWER';
  private termNow: number;
  private leaderNow: string | null = null;
  private transferWaiters = new Map<string, ((o: TransferOutcome) => void)[]>();
  private stopped = false;
  failure: string | null = null;
  /** The confirm offset (the last `confirm` action; never goes back). */
  confirmed: number;

  constructor(private readonly d: DLedgerMemberDeps) {
    this.core = new RaftCore(d.settings, d.initial, d.random, this.now(), commitLogView(d.log));
    this.termNow = d.initial.term;
    this.confirmed = this.core.status().confirmOffset;
    this.pending = new PendingAcks(d.maxWaitAckTimeMs, d.maxPendingPuts, d.scheduler, () => this.now());
  }

  start(): void {
    this.reportedFlushed = this.d.log.flushedEnd();
    this.feed({ kind: 'tick' });
    void this.watchFlush();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    this.progressQueued?.cancel();
    this.pending.failAll();
    for (const [to, list] of this.transferWaiters) for (const w of list) w({ code: 501, reason: `the member stopped before the transfer to ${to} finished` });
    this.transferWaiters.clear();
  }

  get role(): RaftRole {
    return this.roleNow;
  }

  get leaderId(): string | null {
    return this.leaderNow;
  }

  /** Log actions are queued or running (a live truncation): the store must keep following. */
  get logBusy(): boolean {
    return this.logRunning || this.logQueue.length > 0;
  }

  status(): RaftStatus {
    return this.core.status(this.now());
  }

  acceptingPuts(): boolean {
    return !this.stopped && !this.logBusy && this.core.status(this.now()).acceptingPuts;
  }

  /** The leader's own put ended at `end` (put path, synchronously). */
  onAppended(_end: number): void {
    this.feed(this.progressEvent());
  }

  /** A leader's put waits for the confirm offset to cover `end` within the current term. */
  waitConfirm(end: number): Promise<'ok' | 'timed-out' | 'not-available'> {
    if (this.stopped) return Promise.resolve('not-available');
    if (this.roleNow !== 'LEADER') return Promise.resolve('not-available');
    return this.pending.add(end, this.termNow);
  }

  receive(from: string, message: RaftMessage): void {
    this.feed({ kind: 'message', from, message });
  }

  transfer(to: string): Promise<TransferOutcome> {
    return new Promise((resolve) => {
      const list = this.transferWaiters.get(to) ?? [];
      list.push(resolve);
      this.transferWaiters.set(to, list);
      this.feed({ kind: 'transfer-leadership', to });
    });
  }

  private now(): number {
    return this.d.clock.monotonicMs();
  }

  private feed(event: RaftEvent): void {
    if (this.stopped) return;
    if (this.feeding) {
      // an event that arrives while actions run (a synchronous callback): after the current step
      this.syncEvents.push(event);
      return;
    }
    this.feeding = true;
    try {
      this.stepOnce(event);
      for (let guard = 0; this.syncEvents.length > 0 && !this.stopped && guard < 1_000_000; guard++) this.stepOnce(this.syncEvents.shift()!);
    } finally {
      this.feeding = false;
    }
    this.armTimer();
  }

  private stepOnce(event: RaftEvent): void {
    const actions = this.core.step(event, this.now());
    for (const a of actions) {
      if (this.stopped) return;
      try {
        this.perform(a);
      } catch (err) {
        this.fail(`${a.kind} failed: ${(err as Error).message}`);
        return;
      }
    }
  }

  private perform(a: RaftAction): void {
    const d = this.d;
    switch (a.kind) {
      case 'persist-state':
        d.hardState.save({ term: a.term, votedFor: a.votedFor });
        this.syncEvents.push({ kind: 'persisted', seq: a.seq });
        return;
      case 'send':
        return d.send(a.to, a.message);
      case 'send-append': {
        const data = d.log.readWritten(a.header.prevOffset, a.length);
        if (data.byteLength !== a.length) {
          d.logger.debug(`send-append to ${a.to}: only ${data.byteLength} of ${a.length} bytes at ${a.header.prevOffset} are readable; dropped (resent later)`);
          return;
        }
        return d.send(a.to, { type: RaftMessageType.APPEND_REQUEST, ...a.header, data });
      }
      case 'append':
        return this.logAction(() => {
          const r = d.store.appendReplicated(a.offset, a.data);
          if (r.status !== 'PUT_OK') throw new Error(`appending ${a.data.byteLength} replicated bytes at ${a.offset}: ${r.status}${r.reason ? ` (${r.reason})` : ''} (log at ${r.maxOffset})`);
          if (a.newTerm) {
            d.terms.begin(a.term, a.offset);
            d.termFile.save(d.terms.entries);
          }
          this.logSeqApplied = a.logSeq;
          d.log.commitSoon();
          this.progressSoon();
        });
      case 'truncate':
        return this.logAction(async () => {
          const cut = await d.store.truncateLog(a.toOffset);
          d.terms.truncate(a.toOffset);
          d.termFile.save(d.terms.entries);
          this.logSeqApplied = a.logSeq;
          d.logger.warn(`truncated the diverged log tail at ${a.toOffset}: ${cut.droppedBytes} bytes${cut.quarantineDir ? `, a copy is in ${cut.quarantineDir}` : ''}`);
          this.progressSoon();
        });
      case 'append-marker':
        return this.logAction(() => {
          const end = d.log.writtenEnd();
          if (end !== a.offset) throw new Error(`the term ${a.term} marker belongs at ${a.offset}, the log ends at ${end}`);
          const r = d.log.appendSystemRecord(markerInput(a.term, d.settings.selfId, a.offset));
          if ('error' in r) throw new Error(`appending the term ${a.term} marker: ${r.error}`);
          d.terms.begin(a.term, a.offset);
          d.termFile.save(d.terms.entries);
          this.logSeqApplied = a.logSeq;
          d.log.commitSoon();
          d.logger.info(`term ${a.term}: marker written at ${r.physicalOffset} (ends at ${r.endOffset})`);
          this.feedNow({ kind: 'marker-written', logSeq: a.logSeq, term: a.term, endOffset: r.endOffset });
          // the core counts the marker as written (page cache) at once; in buffer mode it may not be yet
          this.feedNow(this.progressEvent());
        });
      case 'confirm':
        this.confirmed = Math.max(this.confirmed, a.offset);
        if (this.roleNow === 'LEADER') this.pending.confirm(a.offset, this.termNow);
        return;
      case 'role-changed': {
        const was = `${this.roleNow}/${this.termNow}`;
        if (a.role !== 'LEADER' || a.term !== this.termNow) this.pending.failAll();
        this.roleNow = a.role;
        this.termNow = a.term;
        this.leaderNow = a.leaderId;
        d.logger.info(`DLedger role ${was} -> ${a.role}/${a.term}${a.leaderId && a.role !== 'LEADER' ? ` (leader ${a.leaderId})` : ''}`);
        return;
      }
      case 'transfer-done': {
        d.logger.info(`leadership transfer to ${a.to}: ${a.code} ${a.reason}`);
        const list = this.transferWaiters.get(a.to) ?? [];
        this.transferWaiters.delete(a.to);
        for (const w of list) w({ code: a.code, reason: a.reason });
        return;
      }
    }
  }

  /** An event that must reach the core right after the current action (same tick). */
  private feedNow(event: RaftEvent): void {
    if (this.feeding) this.syncEvents.push(event);
    else this.feed(event);
  }

  /** Run a log action now, or behind the running one (a truncation). */
  private logAction(run: () => void | Promise<void>): void {
    if (this.logQueue.length >= MAX_QUEUED_LOG_ACTIONS) throw new Error(`${MAX_QUEUED_LOG_ACTIONS} log actions wait behind a truncation`);
    this.logQueue.push(run);
    if (!this.logRunning) this.runLogQueue();
  }

  private runLogQueue(): void {
    while (this.logQueue.length > 0 && !this.stopped) {
      const run = this.logQueue.shift()!;
      let result: void | Promise<void>;
      this.logRunning = true;
      try {
        result = run();
      } catch (err) {
        this.logRunning = false;
        throw err;
      }
      if (result instanceof Promise) {
        result.then(
          () => {
            this.logRunning = false;
            try {
              this.runLogQueue();
            } catch (err) {
              this.fail(`a log action failed: ${(err as Error).message}`);
              return;
            }
            if (!this.logBusy) this.feedNow(this.progressEvent());
          },
          (err: Error) => {
            this.logRunning = false;
            this.fail(`a log action failed: ${err.message}`);
          },
        );
        return;
      }
      this.logRunning = false;
    }
  }

  private progressEvent(): RaftEvent {
    const log = this.d.log;
    const flushedEnd = log.flushedEnd();
    this.reportedFlushed = flushedEnd;
    const committedEnd = Math.min(log.committedEnd(), log.writtenEnd());
    this.reportedCommitted = committedEnd;
    return { kind: 'log-progress', appliedLogSeq: this.logSeqApplied, writtenEnd: committedEnd, flushedEnd, appendedEnd: log.writtenEnd() };
  }

  private progressSoon(): void {
    if (this.progressQueued) return;
    this.progressQueued = this.d.scheduler.soon(() => {
      this.progressQueued = null;
      if (!this.logBusy) this.feed(this.progressEvent());
    });
  }

  /** Feed commit and flush progress as the store's committed / flushed ends move (bounded waits,
   * until stopped): each round waits for whichever moves first (a put's bytes reach the page cache
   * before they are fsynced; both count: written under ASYNC_FLUSH, flushed under SYNC_FLUSH). */
  private async watchFlush(): Promise<void> {
    const waitMs = Math.max(1, this.d.settings.heartbeatIntervalMs);
    const log = this.d.log;
    while (!this.stopped) {
      await Promise.race([log.waitCommittedPast(this.reportedCommitted, waitMs), log.waitFlushedPast(this.reportedFlushed, waitMs)]).catch(() => {});
      if (this.stopped) return;
      const moved = log.flushedEnd() !== this.reportedFlushed || Math.min(log.committedEnd(), log.writtenEnd()) !== this.reportedCommitted;
      if (!this.logBusy && moved) this.feed(this.progressEvent());
      else if (log.flushedEnd() < this.reportedFlushed) this.reportedFlushed = log.flushedEnd();
    }
  }

  private armTimer(): void {
    if (this.stopped) return;
    const at = this.core.nextWakeMs;
    if (!Number.isFinite(at)) return;
    if (this.timer && at >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.d.scheduler.after(Math.max(0, at - this.now()), () => {
      this.timer = null;
      this.timerAt = Infinity;
      // Woken late (the process stalled: CPU starvation, GC, SIGSTOP): the messages that arrived
      // meanwhile are handled first (timers run before pending socket reads in Node's loop), so
      // a follower does not start an election over heartbeats it holds unread, and a leader
      // counts the acknowledgements that did arrive (the core still checks its lease on time).
      if (this.now() - at > this.d.settings.heartbeatIntervalMs) {
        this.d.scheduler.soon(() => this.feed({ kind: 'tick' }));
        return;
      }
      this.feed({ kind: 'tick' });
    }, { background: true });
  }

  private fail(reason: string): void {
    if (this.failure !== null) return;
    this.failure = reason;
    this.d.logger.error(`DLedger member stops (fail-stop): ${reason}`);
    this.stop();
    this.d.onFailure(reason);
  }
}
