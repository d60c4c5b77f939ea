// The delay timer: delay messages wait in rmq_sys_wheel_timer (queue 0, in the CommitLog, so
// they replicate and survive restarts) and are delivered at their TIMER_DELIVER_MS by putting a
// copy on REAL_TOPIC / REAL_QID with the properties intact (UNIQ_KEY, the message id the client
// saw, included). Progress is a record appended to rmq_sys_timer_progress (timer-progress.ts)
// at most every timerCheckpointIntervalMs after the deliveries it covers, and only when there
// were deliveries since the last one (an idle timer appends nothing).
//
// Invariants (see timer-progress.ts for the record's meaning):
//   - deliveredUpToMs only grows, and only past due times whose entries (below scannedOffset)
//     are all delivered; entries are delivered in due-time order;
//   - after a restart (or on becoming master) the pending set is rebuilt from the progress
//     record: entries in [lowWaterOffset, scannedOffset) due after deliveredUpToMs, and every
//     entry from scannedOffset on;
//   - at-least-once window: a delivery appended after the last progress record is delivered
//     again after a crash (the deliveries of at most timerCheckpointIntervalMs plus one step,
//     MAX_DELIVERIES_PER_STEP), and so is a delivery whose put failed after its bytes reached the
//     log; a delivery is never lost by a crash, because its progress record comes after it in
//     the log.
// Memory: TimerIndex holds at most timerMaxPendingInMemory entries and pages the rest from the
// log (each reload reads the timer queue from lowWaterOffset to scannedOffset again). A rebuild
// reads the queue from lowWaterOffset: one long delay holds it back, so a restart rereads every
// timer entry written since that delay was sent.
// On a store that follows (a SLAVE, a DLedger follower) the timer is idle and holds nothing; it
// rebuilds from the log when the node serves again.
import type { MessageStoreConfig } from '../../config/store-config.js';
import type { MessageStore } from '../../store/message-store.js';
import type { StoredMessage } from '../../store/statuses.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Scheduler } from '../../util/scheduler.js';
import { appendInternal, copyOf, lastRecord, scanQueue } from '../internal-queue.js';
import { SerialLoop } from '../serial-loop.js';
import { deliveredProperties, PROPERTY_REAL_QUEUE_ID, PROPERTY_REAL_TOPIC, PROPERTY_TIMER_DELIVER_MS, TIMER_PROGRESS_TOPIC, TIMER_TOPIC } from '../system-topics.js';
import { TimerIndex, type PendingTimer } from './timer-index.js';
import { decodeProgress, encodeProgress, NO_PROGRESS, type TimerProgress } from './timer-progress.js';

/** Longest wait between two steps when nothing is due (new entries also wake the timer). */
export const TIMER_IDLE_POLL_MS = 1000;
/** Deliveries per step (the loop continues at once when more are due). */
export const MAX_DELIVERIES_PER_STEP = 1024;
/** Delivery puts in flight at once. */
export const DELIVERY_BATCH = 64;

interface TimerState {
  readonly index: TimerIndex;
  deliveredUpToMs: number;
  lowWaterOffset: number;
  scannedOffset: number;
  /** Delivered entries due after deliveredUpToMs (a due time only partly delivered), so a reload does not take them again. */
  readonly deliveredAbove: Map<number, number>;
  written: TimerProgress;
  writtenAtMs: number;
  /** Deliveries since the last progress record: with none, the last record is still exact
   * enough (an older deliveredUpToMs only rescans more), so an idle timer writes nothing. */
  deliveredSinceRecord: number;
}

export interface DelayTimerStats {
  pendingInMemory: number;
  spilled: boolean;
  deliveredUpToMs: number;
  delivered: number;
}

export class DelayTimer {
  private state: TimerState | null = null;
  private readonly loop: SerialLoop;
  private unsubscribe: (() => void) | null = null;
  private delivered = 0;

  constructor(
    private readonly store: MessageStore,
    private readonly config: Readonly<MessageStoreConfig>,
    private readonly clock: Clock,
    scheduler: Scheduler,
    private readonly logger: Logger,
  ) {
    this.loop = new SerialLoop('the delay timer', clock, scheduler, logger, () => this.step());
  }

  start(): void {
    this.unsubscribe = this.store.onMessageArrived((topic) => {
      if (topic === TIMER_TOPIC) this.loop.wake();
    });
    this.loop.wake();
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    await this.loop.close();
  }

  /** Run a step soon (tests drive it with simulated time; sends wake it through onMessageArrived). */
  wake(): void {
    this.loop.wake();
  }

  stats(): DelayTimerStats {
    const s = this.state;
    return { pendingInMemory: s?.index.size ?? 0, spilled: s?.index.spilled ?? false, deliveredUpToMs: s?.deliveredUpToMs ?? -1, delivered: this.delivered };
  }

  /** One step: (re)build, index new entries, reload shed ones, deliver what is due, checkpoint.
   * Returns the wait before the next step. */
  async step(): Promise<number> {
    if (this.store.replication.follows) {
      this.state = null;
      return TIMER_IDLE_POLL_MS;
    }
    const s = (this.state ??= await this.rebuild());
    const max = this.store.getMaxOffsetInQueue(TIMER_TOPIC, 0);
    if (max > s.scannedOffset) s.scannedOffset = await scanQueue(this.store, TIMER_TOPIC, s.scannedOffset, max, this.logger, (m) => this.take(s, m, false));
    const now = this.clock.nowMs();
    if (s.index.needsReload(now)) await this.reload(s);
    const more = await this.deliverDue(s, now);
    await this.checkpoint(s);
    if (more) return 0;
    const next = s.index.peek();
    const untilNext = next ? next.dueMs - this.clock.nowMs() : Infinity;
    const untilReload = s.index.spilled ? s.index.spillFloorMs - this.clock.nowMs() : Infinity;
    const untilCheckpoint = s.deliveredSinceRecord === 0 ? Infinity : s.writtenAtMs + this.config.timerCheckpointIntervalMs - this.clock.monotonicMs();
    return Math.max(0, Math.min(TIMER_IDLE_POLL_MS, untilNext, untilReload, untilCheckpoint));
  }

  private async rebuild(): Promise<TimerState> {
    const last = await lastRecord(this.store, TIMER_PROGRESS_TOPIC);
    let p = NO_PROGRESS;
    if (last) {
      const d = decodeProgress(last.body);
      if ('reason' in d) this.logger.error(`the last timer progress record (queue offset ${last.queueOffset}) is unusable, every timer entry is rescanned (at-least-once): ${d.reason}`);
      else p = d;
    }
    const s: TimerState = {
      index: new TimerIndex(this.config.timerMaxPendingInMemory),
      deliveredUpToMs: p.deliveredUpToMs,
      lowWaterOffset: p.lowWaterOffset,
      scannedOffset: p.lowWaterOffset,
      deliveredAbove: new Map(),
      written: p,
      writtenAtMs: this.clock.monotonicMs(),
      deliveredSinceRecord: 0,
    };
    const max = this.store.getMaxOffsetInQueue(TIMER_TOPIC, 0);
    s.scannedOffset = await scanQueue(this.store, TIMER_TOPIC, p.lowWaterOffset, max, this.logger, (m) => {
      if (m.queueOffset < p.scannedOffset && dueOf(m) <= p.deliveredUpToMs) return; // delivered before the restart
      this.take(s, m, false);
    });
    this.logger.info(
      `delay timer: ${s.index.size} pending in memory${s.index.spilled ? ' (more in the log)' : ''}, rebuilt from timer queue offset ${p.lowWaterOffset} to ${s.scannedOffset} (delivered up to ${p.deliveredUpToMs})`,
    );
    return s;
  }

  /** Re-read [lowWaterOffset, scannedOffset) for the entries the index shed. */
  private async reload(s: TimerState): Promise<void> {
    s.index.beginReload();
    let lowestPending = s.scannedOffset;
    await scanQueue(this.store, TIMER_TOPIC, s.lowWaterOffset, s.scannedOffset, this.logger, (m) => {
      if (this.take(s, m, true)) lowestPending = Math.min(lowestPending, m.queueOffset);
    });
    for (const offset of s.deliveredAbove.keys()) lowestPending = Math.min(lowestPending, offset);
    s.lowWaterOffset = Math.min(lowestPending, s.index.minQueueOffset() ?? lowestPending);
  }

  /** Index one timer entry; false when it is not pending (skipped). */
  private take(s: TimerState, m: StoredMessage, reloading: boolean): boolean {
    const due = dueOf(m);
    if (!Number.isSafeInteger(due)) {
      this.logger.error(`timer entry at queue offset ${m.queueOffset} has no valid ${PROPERTY_TIMER_DELIVER_MS} (${m.properties[PROPERTY_TIMER_DELIVER_MS]}); skipped`);
      return false;
    }
    if (reloading && (due <= s.deliveredUpToMs || s.deliveredAbove.has(m.queueOffset))) return false;
    s.index.add({ queueOffset: m.queueOffset, physicalOffset: m.physicalOffset, dueMs: due });
    return true;
  }

  /** Deliver due entries in due order, DELIVERY_BATCH puts in flight at a time; true when more
   * are due than one step delivers. A failed put stays pending (retried next step; its bytes may
   * be in the log, so it may come twice). After each batch deliveredUpToMs moves to just below the
   * earliest entry still pending (and never past now or the spill floor). */
  private async deliverDue(s: TimerState, nowMs: number): Promise<boolean> {
    const dueBy = Math.max(nowMs, s.deliveredUpToMs);
    let failure: unknown = null;
    for (let n = 0; n < MAX_DELIVERIES_PER_STEP && failure === null; ) {
      const batch: PendingTimer[] = [];
      while (batch.length < DELIVERY_BATCH && n < MAX_DELIVERIES_PER_STEP) {
        const e = s.index.peek();
        if (!e || e.dueMs > dueBy) break;
        batch.push(s.index.pop()!);
        n++;
      }
      if (batch.length === 0) break;
      const results = await Promise.allSettled(batch.map((e) => this.deliverEntry(e)));
      results.forEach((r, i) => {
        const e = batch[i]!;
        if (r.status === 'fulfilled') {
          s.deliveredAbove.set(e.queueOffset, e.dueMs);
          s.deliveredSinceRecord++;
        } else {
          failure ??= r.reason;
          s.index.add(e);
        }
      });
      this.advance(s, Math.min(dueBy, (s.index.peek()?.dueMs ?? Infinity) - 1));
    }
    if (failure !== null) throw failure;
    this.advance(s, Math.min(dueBy, (s.index.peek()?.dueMs ?? Infinity) - 1));
    const next = s.index.peek();
    return next !== undefined && next.dueMs <= dueBy;
  }

  private async deliverEntry(e: PendingTimer): Promise<void> {
    const m = this.store.lookMessageByOffset(e.physicalOffset);
    if (m === null || m.topic !== TIMER_TOPIC || m.queueOffset !== e.queueOffset) {
      this.logger.error(`delay message at timer queue offset ${e.queueOffset} (CommitLog ${e.physicalOffset}) can no longer be read (deleted by retention?); it is not delivered`);
      return;
    }
    await this.deliver(m);
  }

  private async deliver(m: StoredMessage): Promise<void> {
    const topic = m.properties[PROPERTY_REAL_TOPIC];
    const queueId = Number(m.properties[PROPERTY_REAL_QUEUE_ID]);
    if (topic === undefined || !Number.isInteger(queueId) || queueId < 0) {
      this.logger.error(`timer entry at queue offset ${m.queueOffset} names no real topic/queue; dropped`);
      return;
    }
    await appendInternal(this.store, copyOf(m, topic, queueId, deliveredProperties(m.properties)), `delivering delay message ${m.properties.UNIQ_KEY ?? m.msgId} to ${topic}`);
    this.delivered++;
  }

  private advance(s: TimerState, toMs: number): void {
    const limit = s.index.spilled ? s.index.spillFloorMs - 1 : Infinity;
    const next = Math.min(toMs, limit);
    if (next <= s.deliveredUpToMs) return;
    s.deliveredUpToMs = next;
    for (const [offset, due] of s.deliveredAbove) if (due <= next) s.deliveredAbove.delete(offset);
  }

  private progressOf(s: TimerState): TimerProgress {
    const low = s.index.spilled ? s.lowWaterOffset : (s.index.minQueueOffset() ?? s.scannedOffset);
    return { deliveredUpToMs: s.deliveredUpToMs, lowWaterOffset: Math.max(s.lowWaterOffset, low), scannedOffset: s.scannedOffset };
  }

  private async checkpoint(s: TimerState): Promise<void> {
    if (s.deliveredSinceRecord === 0) return;
    if (this.clock.monotonicMs() - s.writtenAtMs < this.config.timerCheckpointIntervalMs) return;
    const p = this.progressOf(s);
    const delivered = s.deliveredSinceRecord;
    await appendInternal(this.store, { topic: TIMER_PROGRESS_TOPIC, queueId: 0, body: encodeProgress(p) }, 'writing the timer progress record');
    s.lowWaterOffset = p.lowWaterOffset;
    s.written = p;
    s.writtenAtMs = this.clock.monotonicMs();
    s.deliveredSinceRecord -= delivered;
  }
}

function dueOf(m: StoredMessage): number {
  return Number(m.properties[PROPERTY_TIMER_DELIVER_MS]);
}
