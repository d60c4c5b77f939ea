// Pop-style consumption over the engine's consume queues, for every (group, topic, queue):
// pop (redeliver expired in-flight messages first, then new ones from `next`), ack,
// ChangeInvisibleDuration, dead-lettering after the group's max attempts, and when the next
// invisibility deadline falls (for long polling). The per-queue state is QueuePopState (pure).
//
// Durability: every change is also a record of the pop-state journal (pop-journal.ts), appended
// in the same synchronous step as the change, and a pop / ack / change is answered only once its
// records are stored: committed to the page cache, and whatever the store's policy waits for
// (SYNC_FLUSH: flushed; SYNC_MASTER: on a slave too). A restarted broker replays the journal
// (pop-replay.ts), so acks, deliveries, invisibility deadlines, attempt counts and receipt
// handles survive a restart. The window (what a restart may deliver again), exactly:
//   1. a crash of the machine (power, kernel; not of the process) under ASYNC_FLUSH: the
//      changes of the last flushIntervalCommitLog ms (not yet flushed). A lost ack or
//      dead-lettering makes its message come again; a lost delivery makes it come again as
//      attempt 1. Nothing after a clean close, a kill -9 of the process, or under SYNC_FLUSH.
//   2. a failover to a slave that lacked the records (ASYNC_MASTER's replication lag).
//   3. a change answered with an error (its record not stored): the reply says so.
// A record lost from the middle of the journal (retention of an unconsumed old snapshot) can
// only make messages come again: `committed` (and the engine's consumer offset, the fallback
// start) never passes an offset that is not acked, dead-lettered, filtered out by the group's
// tag filter, or unreadable / deleted by retention. Nothing unacknowledged is lost.
// A receipt handle names (bootId, popSeq) of its delivery; after a restart it still acks while
// its delivery is the message's current one (and is refused as stale once the message was
// delivered again).
//
// Dead letters: a message that has been delivered maxAttempts times (the group's retryMaxTimes
// + 1) and whose invisibility passed again goes to %DLQ%<group> (dead-letter.ts) at the group's
// next pop instead of a further delivery, then counts as done. If the DLQ put fails it stays in
// flight and is tried again at the next pop.
//
// FIFO (an `orderly` pop: a FIFO topic consumed by a group with consumeMessageOrderly): a queue
// with anything in flight delivers no new message, and its expired messages come again in
// offset order; so each message group (which lives in one queue, send-handler.ts) has one batch
// in flight at a time and is delivered in send order. Coarser than per group: groups that share
// a queue wait for each other.
//
// Promotion: a broker on a store that follows (a SLAVE, a DLedger member that is not the leader)
// serves no client, and its state is the replay at start; the first client call after the store
// stopped following replays the journal again (whenCurrent), which by then holds what the old
// master/leader recorded up to the replication point. Known gap: a DLedger member that led, then
// followed, then leads again without a client call in between keeps its older state (no replay).
//
// Concurrency: pops of one (group, topic) run one at a time (a promise chain), since a pop
// awaits store reads between deciding and recording a delivery.
import { ErrorCode, StoreError } from '../errors.js';
import type { MessageStore } from '../store/message-store.js';
import { GetMessageStatus, type StoredMessage } from '../store/statuses.js';
import type { Logger } from '../util/logger.js';
import type { PopJournal, SnapshotQueue } from './pop-journal.js';
import { rowOf } from './pop-records.js';
import { groupOfKey, startOffset, stateKey } from './pop-replay.js';
import { QueuePopState, type DeliveryId, type HandleCheck, type InflightEntry } from './pop-state.js';
import { encodeReceiptHandle, type ReceiptHandle } from './receipt-handle.js';
import type { TagFilter } from './tag-filter.js';

/** In-flight messages per (group, topic, queue) before that queue delivers no new ones
 * (RocketMQ's popInflightMessageThreshold is of this order). */
export const MAX_INFLIGHT_PER_QUEUE = 10_000;
/** Queue entries one pop may step over because the filter skipped them. */
const MAX_SCAN_PER_POP = 2_000;

export interface PopLedger {
  /** Every offset below `offset` is done for the group (the engine's consumer offset, kept for
   * progress and lag, and the replay's lower bound). */
  commit(group: string, topic: string, queueId: number, offset: number): void;
}

export function consumerOffsetLedger(store: MessageStore): PopLedger {
  return { commit: (group, topic, queueId, offset) => store.commitOffset(group, topic, queueId, offset) };
}

export interface Delivery {
  readonly message: StoredMessage;
  readonly entry: InflightEntry;
  readonly receiptHandle: string;
}

/** Puts `message` (delivered `attempts` times to `group`) into the group's dead-letter queue;
 * resolves with null when stored, else the reason. */
export type DeadLetterSink = (group: string, message: StoredMessage, attempts: number) => Promise<string | null>;

export interface PopRequest {
  group: string;
  topic: string;
  /** Queues 0..queueNums-1 of the topic are popped from. */
  queueNums: number;
  filter: TagFilter;
  maxMessages: number;
  invisibleMs: number;
  nowMs: number;
  /** Deliveries of one message before it goes to the dead-letter queue. */
  maxAttempts: number;
  /** FIFO: one batch in flight per queue, redelivered in offset order. */
  orderly?: boolean;
}

/** What an ack / change answered, and once its journal record is stored (null when nothing was
 * recorded). */
export interface Recorded<T> {
  readonly outcome: T;
  readonly stored: Promise<string | null> | null;
}

/** Rebuilds the state from the journal (pop-replay.ts): the states and the highest bootId seen. */
export type PopReplay = () => Promise<{ states: Map<string, QueuePopState>; maxBootId: number }>;

export class PopService {
  private states: Map<string, QueuePopState>;
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly rotation = new Map<string, number>();
  private popSeq = 0;
  private bootIdNow: number;
  /** The state was built while the store followed: the journal has grown by replication
   * since, so the first client call after a promotion replays it again. */
  private builtAsFollower: boolean;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly store: MessageStore,
    private readonly ledger: PopLedger,
    private readonly journal: PopJournal,
    private readonly deadLetter: DeadLetterSink,
    /** This process's identity in receipt handles (above every one in the journal). */
    bootId: number,
    private readonly logger: Logger,
    /** The replayed state (pop-replay.ts). */
    states: Map<string, QueuePopState> = new Map(),
    private readonly replay: PopReplay | null = null,
  ) {
    this.states = states;
    this.bootIdNow = bootId;
    this.builtAsFollower = store.replication.follows;
  }

  get bootId(): number {
    return this.bootIdNow;
  }

  /** Resolves once the state is current: after a promotion (SLAVE -> master) the first client
   * call replays the journal the slave received, before anything is popped or acked. */
  whenCurrent(): Promise<void> {
    if (!this.builtAsFollower || this.store.replication.follows || this.replay === null) return Promise.resolve();
    const replay = this.replay;
    this.refreshing ??= replay().then(
      ({ states, maxBootId }) => {
        this.states = states;
        this.bootIdNow = Math.max(this.bootIdNow, maxBootId + 1);
        this.builtAsFollower = false;
        this.refreshing = null;
        let inflight = 0;
        for (const st of states.values()) inflight += st.inflightCount;
        this.logger.info(`pop state: replayed the journal after a promotion: ${states.size} queues, ${inflight} messages in flight`);
      },
      (err: unknown) => {
        this.refreshing = null;
        throw err;
      },
    );
    return this.refreshing;
  }

  /** Up to maxMessages deliveries (possibly none), answered once their records are stored. */
  pop(req: PopRequest): Promise<Delivery[]> {
    const key = `${req.group}\u0001${req.topic}`;
    const run = (this.chains.get(key) ?? Promise.resolve()).then(() => this.popNow(req, key));
    // the next pop of this key waits for this one whether it failed or not; the failure itself
    // reaches the caller through `run`
    const tail = run.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return run;
  }

  ack(group: string, topic: string, handle: ReceiptHandle): Recorded<HandleCheck> {
    const state = this.existing(group, topic, handle.queueId);
    if (!state) return { outcome: 'unknown', stored: null };
    const { check, committedMoved } = state.ack(handle.queueOffset, handle);
    if (check !== 'ok') return { outcome: check, stored: null };
    const stored = this.record({ t: 'A', g: group, tp: topic, o: [[handle.queueId, handle.queueOffset]] });
    if (committedMoved) this.ledger.commit(group, topic, handle.queueId, state.committed);
    return { outcome: check, stored };
  }

  changeInvisible(group: string, topic: string, handle: ReceiptHandle, nowMs: number, invisibleMs: number): Recorded<{ entry: InflightEntry; receiptHandle: string } | HandleCheck> {
    const state = this.existing(group, topic, handle.queueId);
    if (!state) return { outcome: 'unknown', stored: null };
    const out = state.changeInvisible(handle.queueOffset, handle, this.newId(), nowMs, invisibleMs);
    if (typeof out === 'string') return { outcome: out, stored: null };
    const stored = this.record({ t: 'C', g: group, tp: topic, q: handle.queueId, e: rowOf(out) });
    return { outcome: { entry: out, receiptHandle: this.handleOf(handle.queueId, out) }, stored };
  }

  /** The delivery `handle` names, if it is the current one: for ForwardMessageToDeadLetterQueue. */
  current(group: string, topic: string, handle: ReceiptHandle): InflightEntry | HandleCheck {
    const state = this.existing(group, topic, handle.queueId);
    if (!state) return 'unknown';
    const check = state.check(handle.queueOffset, handle);
    return check === 'ok' ? state.entry(handle.queueOffset)! : check;
  }

  /** The delivery `handle` names went to the dead-letter queue: it is done (if still current). */
  deadLettered(group: string, topic: string, handle: ReceiptHandle): Recorded<HandleCheck> {
    const state = this.existing(group, topic, handle.queueId);
    if (!state) return { outcome: 'unknown', stored: null };
    const check = state.check(handle.queueOffset, handle);
    if (check !== 'ok') return { outcome: check, stored: null };
    return { outcome: 'ok', stored: this.markDone(group, state, handle.queueOffset) };
  }

  /** The earliest invisibility deadline of (group, topic), or null when nothing is in flight. */
  nextExpiryMs(group: string, topic: string, queueNums: number): number | null {
    let min: number | null = null;
    for (let q = 0; q < queueNums; q++) {
      const t = this.existing(group, topic, q)?.nextExpiryMs() ?? null;
      if (t !== null && (min === null || t < min)) min = t;
    }
    return min;
  }

  /** Messages of (group, topic, queue) delivered and not yet acked (0 when none). */
  inflightCount(group: string, topic: string, queueId: number): number {
    return this.existing(group, topic, queueId)?.inflightCount ?? 0;
  }

  /** Records written since the last snapshot. */
  get recordsSinceSnapshot(): number {
    return this.journal.recordsSinceSnapshot;
  }

  /** Write a snapshot of every queue's state now (the replay then starts there). */
  snapshot(nowMs: number): Promise<string | null> {
    const queues: SnapshotQueue[] = [];
    for (const [key, state] of this.states) queues.push({ ...groupOfKey(key), snap: state.snapshot() });
    return this.journal.snapshot(queues, nowMs);
  }

  private async popNow(req: PopRequest, key: string): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const stored: Promise<string | null>[] = [];
    const start = this.rotation.get(key) ?? 0;
    this.rotation.set(key, (start + 1) % req.queueNums);
    // redeliveries first (their consumers are late), then new messages, each round-robin
    for (let i = 0; i < req.queueNums && out.length < req.maxMessages; i++) {
      await this.redeliverExpired(req, (start + i) % req.queueNums, out, stored);
    }
    for (let i = 0; i < req.queueNums && out.length < req.maxMessages; i++) {
      await this.deliverNew(req, (start + i) % req.queueNums, out, stored);
    }
    const failures = (await Promise.all(stored)).filter((f) => f !== null);
    if (failures.length > 0) {
      // delivered anyway: a lost delivery record only makes the message come again after a restart
      this.logger.warn(`${req.group}: ${failures.length} pop-state record(s) of ${req.topic} not stored (${failures[0]}); after a restart these deliveries may come again`);
    }
    return out;
  }

  private async redeliverExpired(req: PopRequest, queueId: number, out: Delivery[], stored: Promise<string | null>[]): Promise<void> {
    const state = this.existing(req.group, req.topic, queueId);
    if (!state) return;
    const room = Math.min(req.maxMessages - out.length, this.journal.maxEntriesPerRecord);
    let expired = state.expired(req.nowMs, req.orderly ? state.inflightCount : room);
    if (req.orderly) {
      // in offset order, and only once every in-flight message of the queue is due
      if (expired.length < state.inflightCount) return;
      expired = expired.sort((a, b) => a.offset - b.offset).slice(0, room);
    }
    for (const e of expired) {
      if (out.length >= req.maxMessages) return;
      const got = await this.store.getMessage({ group: req.group, topic: req.topic, queueId, offset: e.offset, maxMsgNums: 1 });
      const m = got.messages[0];
      if (!sameDelivery(state.entry(e.offset), e)) continue; // acked or renewed meanwhile
      if (!m || m.queueOffset !== e.offset) {
        this.logger.warn(`${req.group}: ${req.topic} queue ${queueId} offset ${e.offset} is no longer readable (${got.status}); dropped from flight`);
        stored.push(this.markDone(req.group, state, e.offset));
        continue;
      }
      if (e.attempt >= req.maxAttempts) {
        await this.toDeadLetter(req, state, e, m, stored);
        if (req.orderly && state.entry(e.offset)) return; // still in flight: the queue's order holds
        continue;
      }
      const entry = state.redeliver(e.offset, this.newId(), req.nowMs, req.invisibleMs);
      stored.push(this.record({ t: 'P', g: req.group, tp: req.topic, q: queueId, e: [rowOf(entry)] }));
      out.push({ message: m, entry, receiptHandle: this.handleOf(queueId, entry) });
    }
  }

  private async toDeadLetter(req: PopRequest, state: QueuePopState, e: InflightEntry, m: StoredMessage, stored: Promise<string | null>[]): Promise<void> {
    const failed = await this.deadLetter(req.group, m, e.attempt);
    if (failed !== null) {
      this.logger.warn(`${req.group}: ${req.topic} queue ${state.queueId} offset ${e.offset} could not go to the dead-letter queue after ${e.attempt} deliveries (${failed}); it stays in flight`);
      return;
    }
    // acked by a late consumer while the DLQ put ran: the DLQ copy is a duplicate, never a loss
    if (!sameDelivery(state.entry(e.offset), e)) return;
    stored.push(this.markDone(req.group, state, e.offset));
  }

  private async deliverNew(req: PopRequest, queueId: number, out: Delivery[], stored: Promise<string | null>[]): Promise<void> {
    const state = this.state(req.group, req.topic, queueId);
    if (req.orderly && state.inflightCount > 0) return;
    let scanned = 0;
    while (out.length < req.maxMessages && scanned < MAX_SCAN_PER_POP && state.inflightCount < MAX_INFLIGHT_PER_QUEUE) {
      const offset = state.next;
      const want = Math.min(req.maxMessages - out.length, this.journal.maxEntriesPerRecord);
      const got = await this.store.getMessage({ group: req.group, topic: req.topic, queueId, offset, maxMsgNums: want });
      if (state.next !== offset) return; // cannot happen under the chain; never deliver twice
      if (got.status === GetMessageStatus.OFFSET_TOO_SMALL) {
        this.logger.warn(`${req.group}: ${req.topic} queue ${queueId} offsets below ${got.nextBeginOffset} were deleted before they were consumed`);
        if (state.jumpTo(got.nextBeginOffset)) {
          stored.push(this.record({ t: 'J', g: req.group, tp: req.topic, q: queueId, to: got.nextBeginOffset }));
          this.ledger.commit(req.group, req.topic, queueId, state.committed);
        }
        continue;
      }
      if (got.status !== GetMessageStatus.FOUND && got.status !== GetMessageStatus.OFFSET_FOUND_NULL) return;
      // one synchronous step: the changes of this batch and their record
      const committedBefore = state.committed;
      const delivered: InflightEntry[] = [];
      let o = offset;
      let full = false;
      for (const m of got.messages) {
        while (o < m.queueOffset) state.skip(o++); // entries with no readable record
        if (req.filter(m.tags)) {
          const entry = state.deliver(o, this.newId(), req.nowMs, req.invisibleMs);
          delivered.push(entry);
          out.push({ message: m, entry, receiptHandle: this.handleOf(queueId, entry) });
        } else {
          state.skip(o);
        }
        o++;
        scanned++;
        if (out.length >= req.maxMessages || state.inflightCount >= MAX_INFLIGHT_PER_QUEUE) {
          full = true;
          break;
        }
      }
      if (!full) while (o < got.nextBeginOffset) state.skip(o++);
      if (state.next > offset) stored.push(this.record({ t: 'P', g: req.group, tp: req.topic, q: queueId, e: delivered.map(rowOf), n0: offset, n1: state.next }));
      if (state.committed !== committedBefore) this.ledger.commit(req.group, req.topic, queueId, state.committed);
      if (full || got.nextBeginOffset <= offset) return;
      scanned += got.nextBeginOffset - offset - got.messages.length;
    }
  }

  /** An in-flight offset is done without an ack (dead-lettered, unreadable): change and record. */
  private markDone(group: string, state: QueuePopState, offset: number): Promise<string | null> {
    const moved = state.skip(offset);
    const stored = this.record({ t: 'A', g: group, tp: state.topic, o: [[state.queueId, offset]] });
    if (moved) this.ledger.commit(group, state.topic, state.queueId, state.committed);
    return stored;
  }

  private record(rec: Parameters<PopJournal['append']>[0]): Promise<string | null> {
    return this.journal.append(rec);
  }

  private newId(): DeliveryId {
    return { bootId: this.bootId, popSeq: ++this.popSeq };
  }

  private handleOf(queueId: number, e: InflightEntry): string {
    return encodeReceiptHandle({ bootId: e.bootId, queueId, queueOffset: e.offset, popSeq: e.popSeq });
  }

  private existing(group: string, topic: string, queueId: number): QueuePopState | undefined {
    return this.states.get(stateKey(group, topic, queueId));
  }

  private state(group: string, topic: string, queueId: number): QueuePopState {
    const key = stateKey(group, topic, queueId);
    let s = this.states.get(key);
    if (!s) {
      const start = startOffset(this.store, group, topic, queueId);
      if (!Number.isSafeInteger(start) || start < 0) throw new StoreError(ErrorCode.CORRUPT, `${group}: start offset ${start} of ${topic} queue ${queueId}`);
      s = new QueuePopState(topic, queueId, start);
      this.states.set(key, s);
    }
    return s;
  }
}

function sameDelivery(a: InflightEntry | undefined, b: InflightEntry): boolean {
  return a !== undefined && a.popSeq === b.popSeq && a.bootId === b.bootId;
}
