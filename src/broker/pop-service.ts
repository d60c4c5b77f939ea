// Pop-style consumption over the engine's consume queues, for every (group, topic, queue):
// pop (redeliver expired in-flight messages first, then new ones from `next`), ack,
// ChangeInvisibleDuration, and when the next invisibility deadline falls (for long polling).
// The per-queue state is QueuePopState (pure); what is durable goes through a PopLedger.
//
// Durability today (PopLedger = the engine's consumer offsets, config/consumerOffset.json):
// only `committed` (the offset below which every message of the queue is acked or skipped) is
// kept, through MessageStore.commitOffset, which the store writes every
// flushConsumerOffsetInterval ms and at a clean close. After a restart the state starts at the
// committed offset with nothing in flight, so the window of redelivery is exactly:
//   1. every message in flight (delivered, not acked) at the stop: redelivered, attempt 1 again;
//   2. every message acked above the queue's first unacked one (the ack gap): redelivered;
//   3. after a crash (not a clean close), acks whose advance of `committed` was not yet written
//      (at most flushConsumerOffsetInterval ms of them, 5 s by default): redelivered.
// Nothing unacknowledged is lost: `committed` never passes an offset that is not acked,
// filtered out by the group's tag filter, or unreadable / deleted by retention.
// Receipt handles from before a restart name another bootId and are refused.
//
// FIFO (an `orderly` pop: a FIFO topic consumed by a group with consumeMessageOrderly): a queue
// with anything in flight delivers no new message, and its expired messages come again in
// offset order; so each message group (which lives in one queue, send-handler.ts) has one batch
// in flight at a time and is delivered in send order. Coarser than per group: groups that share
// a queue wait for each other.
//
// Concurrency: pops of one (group, topic) run one at a time (a promise chain), since a pop
// awaits store reads between deciding and recording a delivery.
import { ErrorCode, StoreError } from '../errors.js';
import type { MessageStore } from '../store/message-store.js';
import { GetMessageStatus, type StoredMessage } from '../store/statuses.js';
import type { Logger } from '../util/logger.js';
import { QueuePopState, type HandleCheck, type InflightEntry } from './pop-state.js';
import { encodeReceiptHandle, type ReceiptHandle } from './receipt-handle.js';
import type { TagFilter } from './tag-filter.js';

/** In-flight messages per (group, topic, queue) before that queue delivers no new ones
 * (RocketMQ's popInflightMessageThreshold is of this order). */
export const MAX_INFLIGHT_PER_QUEUE = 10_000;
/** Queue entries one pop may step over because the filter skipped them. */
const MAX_SCAN_PER_POP = 2_000;

export interface PopLedger {
  /** The durable start of (group, topic, queue): every offset below is done; -1 when none. */
  committedOffset(group: string, topic: string, queueId: number): number;
  /** Every offset below `offset` is done for the group. */
  commit(group: string, topic: string, queueId: number, offset: number): void;
}

/** The first step of durability: the engine's consumer offsets. */
export function consumerOffsetLedger(store: MessageStore): PopLedger {
  return {
    committedOffset: (group, topic, queueId) => store.queryOffset(group, topic, queueId),
    commit: (group, topic, queueId, offset) => store.commitOffset(group, topic, queueId, offset),
  };
}

export interface Delivery {
  readonly message: StoredMessage;
  readonly entry: InflightEntry;
  readonly receiptHandle: string;
}

export interface PopRequest {
  group: string;
  topic: string;
  /** Queues 0..queueNums-1 of the topic are popped from. */
  queueNums: number;
  filter: TagFilter;
  maxMessages: number;
  invisibleMs: number;
  nowMs: number;
  /** FIFO: one batch in flight per queue, redelivered in offset order. */
  orderly?: boolean;
}

export type HandleOutcome = HandleCheck | 'other-boot';

export class PopService {
  private readonly states = new Map<string, QueuePopState>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly rotation = new Map<string, number>();
  private popSeq = 0;

  constructor(
    private readonly store: MessageStore,
    private readonly ledger: PopLedger,
    /** This process's identity in receipt handles (its start time). */
    readonly bootId: number,
    private readonly logger: Logger,
  ) {}

  /** Up to maxMessages deliveries (possibly none). */
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

  ack(group: string, topic: string, handle: ReceiptHandle): HandleOutcome {
    if (handle.bootId !== this.bootId) return 'other-boot';
    const state = this.existing(group, topic, handle.queueId);
    if (!state) return 'unknown';
    const { check, committedMoved } = state.ack(handle.queueOffset, handle.popSeq);
    if (committedMoved) this.ledger.commit(group, topic, handle.queueId, state.committed);
    return check;
  }

  changeInvisible(group: string, topic: string, handle: ReceiptHandle, nowMs: number, invisibleMs: number): { entry: InflightEntry; receiptHandle: string } | HandleOutcome {
    if (handle.bootId !== this.bootId) return 'other-boot';
    const state = this.existing(group, topic, handle.queueId);
    if (!state) return 'unknown';
    const out = state.changeInvisible(handle.queueOffset, handle.popSeq, ++this.popSeq, nowMs, invisibleMs);
    if (typeof out === 'string') return out;
    return { entry: out, receiptHandle: this.handleOf(handle.queueId, out) };
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

  private async popNow(req: PopRequest, key: string): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const start = this.rotation.get(key) ?? 0;
    this.rotation.set(key, (start + 1) % req.queueNums);
    // redeliveries first (their consumers are late), then new messages, each round-robin
    for (let i = 0; i < req.queueNums && out.length < req.maxMessages; i++) {
      await this.redeliverExpired(req, (start + i) % req.queueNums, out);
    }
    for (let i = 0; i < req.queueNums && out.length < req.maxMessages; i++) {
      await this.deliverNew(req, (start + i) % req.queueNums, out);
    }
    return out;
  }

  private async redeliverExpired(req: PopRequest, queueId: number, out: Delivery[]): Promise<void> {
    const state = this.existing(req.group, req.topic, queueId);
    if (!state) return;
    const room = req.maxMessages - out.length;
    let expired = state.expired(req.nowMs, req.orderly ? state.inflightCount : room);
    if (req.orderly) {
      // in offset order, and only once every in-flight message of the queue is due
      if (expired.length < state.inflightCount) return;
      expired = expired.sort((a, b) => a.offset - b.offset).slice(0, room);
    }
    for (const e of expired) {
      const got = await this.store.getMessage({ group: req.group, topic: req.topic, queueId, offset: e.offset, maxMsgNums: 1 });
      const m = got.messages[0];
      if (state.entry(e.offset)?.popSeq !== e.popSeq) continue; // acked or renewed meanwhile
      if (!m || m.queueOffset !== e.offset) {
        this.logger.warn(`${req.group}: ${req.topic} queue ${queueId} offset ${e.offset} is no longer readable (${got.status}); dropped from flight`);
        this.skipped(req.group, state, e.offset);
        continue;
      }
      const entry = state.redeliver(e.offset, ++this.popSeq, req.nowMs, req.invisibleMs);
      out.push({ message: m, entry, receiptHandle: this.handleOf(queueId, entry) });
    }
  }

  private async deliverNew(req: PopRequest, queueId: number, out: Delivery[]): Promise<void> {
    const state = this.state(req.group, req.topic, queueId);
    if (req.orderly && state.inflightCount > 0) return;
    let scanned = 0;
    while (out.length < req.maxMessages && scanned < MAX_SCAN_PER_POP && state.inflightCount < MAX_INFLIGHT_PER_QUEUE) {
      const offset = state.next;
      const got = await this.store.getMessage({ group: req.group, topic: req.topic, queueId, offset, maxMsgNums: req.maxMessages - out.length });
      if (state.next !== offset) return; // cannot happen under the chain; never deliver twice
      if (got.status === GetMessageStatus.OFFSET_TOO_SMALL) {
        this.logger.warn(`${req.group}: ${req.topic} queue ${queueId} offsets below ${got.nextBeginOffset} were deleted before they were consumed`);
        if (state.jumpTo(got.nextBeginOffset)) this.ledger.commit(req.group, req.topic, queueId, state.committed);
        continue;
      }
      if (got.status !== GetMessageStatus.FOUND && got.status !== GetMessageStatus.OFFSET_FOUND_NULL) return;
      let o = offset;
      for (const m of got.messages) {
        while (o < m.queueOffset) this.skipped(req.group, state, o++); // entries with no readable record
        if (req.filter(m.tags)) {
          const entry = state.deliver(o, ++this.popSeq, req.nowMs, req.invisibleMs);
          out.push({ message: m, entry, receiptHandle: this.handleOf(queueId, entry) });
        } else {
          this.skipped(req.group, state, o);
        }
        o++;
        scanned++;
        if (out.length >= req.maxMessages || state.inflightCount >= MAX_INFLIGHT_PER_QUEUE) return;
      }
      while (o < got.nextBeginOffset) this.skipped(req.group, state, o++);
      if (got.nextBeginOffset <= offset) return;
      scanned += got.nextBeginOffset - offset - got.messages.length;
    }
  }

  private skipped(group: string, state: QueuePopState, offset: number): void {
    if (state.skip(offset)) this.ledger.commit(group, state.topic, state.queueId, state.committed);
  }

  private handleOf(queueId: number, e: InflightEntry): string {
    return encodeReceiptHandle({ bootId: this.bootId, queueId, queueOffset: e.offset, popSeq: e.popSeq });
  }

  private existing(group: string, topic: string, queueId: number): QueuePopState | undefined {
    return this.states.get(`${group}\u0001${topic}\u0001${queueId}`);
  }

  private state(group: string, topic: string, queueId: number): QueuePopState {
    const key = `${group}\u0001${topic}\u0001${queueId}`;
    let s = this.states.get(key);
    if (!s) {
      const committed = this.ledger.committedOffset(group, topic, queueId);
      // a new group starts at the queue's oldest message (RocketMQ consumeFromMinEnable)
      const start = committed >= 0 ? committed : this.store.getMinOffsetInQueue(topic, queueId);
      if (!Number.isSafeInteger(start) || start < 0) throw new StoreError(ErrorCode.CORRUPT, `${group}: start offset ${start} of ${topic} queue ${queueId}`);
      s = new QueuePopState(topic, queueId, start);
      this.states.set(key, s);
    }
    return s;
  }
}
