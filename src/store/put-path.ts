// The put path: validate a message (or a batch), ask the replication policy and the store's
// health whether it is admitted, append it to the CommitLog with its queue offset, queue its
// ConsumeQueue entry for dispatch, wake the persistence service, and resolve the put once what
// it waits for is done: its flush (SYNC_FLUSH group commit, PositionWaiters on `flushed`) and
// what the policy asks (SYNC_MASTER: the slaves' acks). Bad input and refusals are statuses,
// never exceptions. Offsets (physical and queue) are assigned here, in one place, in order.
//
// Hot path: no work is repeated between validation, encoding and dispatch; an ASYNC_FLUSH put
// that waits for nothing resolves with an already-settled promise; the result's message id is
// built only when read (PutOk).
import { inspect } from 'node:util';
import { prepareBatch, writeBatch, type PreparedBatch } from '../codec/batch.js';
import { offsetMsgId } from '../codec/offset-msg-id.js';
import { isRecordError, prepareMessage, type MessageInput, type PreparedMessage } from '../codec/prepare-message.js';
import { SYSFLAG_TRANSACTION_MASK, SYSFLAG_TRANSACTION_PREPARED, SYSFLAG_TRANSACTION_ROLLBACK } from '../codec/record-layout.js';
import { writeRecord } from '../codec/write-record.js';
import type { PositionWaiters, WaitResult } from '../flush/position-waiters.js';
import type { PersistencePosition } from '../flush/persistence-layout.js';
import type { ReplicationWait } from '../replication/replication-types.js';
import { failedPut, PutMessageStatus, type PutMessageInput, type PutMessageResult } from './statuses.js';
import { PutWakes } from './put-wakes.js';
import { POOL_BUSY, StalledPuts } from './stalled-puts.js';
import { TurnYield } from '../util/turn-yield.js';
import type { StoreCore } from './store-core.js';
import { isUnindexedTopic, reservedTopicRefusal } from './system-topics.js';

const LOCAL_HOST = { address: new Uint8Array([127, 0, 0, 1]), port: 0 };
const REPLICATION_NOT_WAITED: Promise<ReplicationWait> = Promise.resolve('ok');
const FLUSH_NOT_WAITED: Promise<WaitResult> = Promise.resolve('ok');
/** Most puts that wait for a TransientStorePool buffer at once; more answer OS_PAGE_CACHE_BUSY. */
const STALLED_PUTS_MAX = 16_384;
/** Most puts answered with an already-settled promise (PUT_OK that waits for nothing, or any
 * refusal) between two event-loop turns (turn-yield.ts): a producer that never yields, or one that
 * retries refused puts in a loop, still lets IO completions, timers and sockets run every this many. */
const SETTLED_PUTS_PER_TURN = 4_096;

export interface StoreHost {
  address: Uint8Array;
  port: number;
}

export class PutPath {
  private readonly sync: boolean;
  /** null: puts never wake the persistence service (it runs on its interval). */
  private readonly wakes: PutWakes | null;
  private readonly monotonicMs: () => number;
  private readonly limits: { maxMessageSizeBytes: number; maxTopicBytes: number };
  private readonly stalled: StalledPuts;
  private readonly turnYield: TurnYield;

  constructor(
    private readonly core: StoreCore,
    private readonly flushWaiters: PositionWaiters<PersistencePosition>,
    readonly storeHost: StoreHost,
  ) {
    const c = core.config;
    this.sync = c.flushDiskType === 'SYNC_FLUSH';
    this.wakes = PutWakes.forConfig(c, core.pool !== null);
    this.monotonicMs = () => core.clock.monotonicMs();
    this.limits = { maxMessageSizeBytes: c.maxMessageSize, maxTopicBytes: c.maxTopicLength };
    this.turnYield = new TurnYield(core.scheduler, SETTLED_PUTS_PER_TURN);
    this.stalled = new StalledPuts((ms) => core.commitLog.waitForPoolBuffer(ms), core.clock, c.osPageCacheBusyTimeOutMills, STALLED_PUTS_MAX);
  }

  /** Whether appends wake the persistence service at once (also used by replicated appends). */
  get wakesOnAppend(): boolean {
    return this.wakes !== null;
  }

  putMessage(input: PutMessageInput): Promise<PutMessageResult> {
    const refused = this.refusal();
    if (refused) return this.turnYield.settle<PutMessageResult>(refused);
    const reserved = reservedTopicRefusal(input.topic);
    if (reserved) return this.turnYield.settle<PutMessageResult>(failedPut(PutMessageStatus.MESSAGE_ILLEGAL, reserved));
    const now = this.core.clock.nowMs();
    const prepared = prepareMessage(this.toMessageInput(input, now), this.limits);
    if (isRecordError(prepared)) return this.turnYield.settle<PutMessageResult>(failedPut(prepared.status, prepared.reason));
    const queueRefusal = this.checkQueueId(prepared.queueId) ?? this.dispatchBusy(1);
    if (queueRefusal) return this.turnYield.settle<PutMessageResult>(queueRefusal);
    return this.appendAndWait(prepared, null, input.properties?.WAIT !== 'false', now);
  }

  /** One batch, appended atomically (all to one queue, consecutive queue offsets). */
  putMessages(inputs: readonly PutMessageInput[]): Promise<PutMessageResult> {
    const refused = this.refusal();
    if (refused) return this.turnYield.settle<PutMessageResult>(refused);
    const reserved = inputs.length > 0 ? reservedTopicRefusal(inputs[0]!.topic) : null;
    if (reserved) return this.turnYield.settle<PutMessageResult>(failedPut(PutMessageStatus.MESSAGE_ILLEGAL, reserved));
    const now = this.core.clock.nowMs();
    const batch = prepareBatch(
      inputs.map((i) => this.toMessageInput(i, now)),
      this.limits,
    );
    if (isRecordError(batch)) return this.turnYield.settle<PutMessageResult>(failedPut(batch.status, batch.reason));
    const queueRefusal = this.checkQueueId(batch.messages[0]!.queueId) ?? this.dispatchBusy(batch.messages.length);
    if (queueRefusal) return this.turnYield.settle<PutMessageResult>(queueRefusal);
    return this.appendAndWait(null, batch, inputs[0]?.properties?.WAIT !== 'false', now);
  }

  /** Append now, or behind the puts that wait for a TransientStorePool buffer (order kept). */
  private appendAndWait(single: PreparedMessage | null, batch: PreparedBatch | null, waitStoreMsgOk: boolean, storeTimestamp: number): Promise<PutMessageResult> {
    if (this.stalled.pending === 0) {
      const done = this.tryAppend(single, batch, waitStoreMsgOk, storeTimestamp);
      if (done !== POOL_BUSY) return done;
    }
    return this.stalled.add(() => {
      const refused = this.refusal(); // the store may have failed or changed role meanwhile
      return refused ? this.turnYield.settle<PutMessageResult>(refused) : this.tryAppend(single, batch, waitStoreMsgOk, this.core.clock.nowMs());
    });
  }

  /** A record the store writes for itself (the DLedger term-start marker): no admission check,
   * no ConsumeQueue entry (an unindexed system topic), nothing waited for. Returns where it
   * lies, or why it could not be appended. */
  appendSystemRecord(input: PutMessageInput): { physicalOffset: number; endOffset: number } | { error: string } {
    if (!isUnindexedTopic(input.topic)) return { error: `${input.topic} is not a system topic` };
    if (this.core.health.failed || this.core.truncating) return { error: this.core.health.failure ?? 'the log is being truncated' };
    const now = this.core.clock.nowMs();
    const prepared = prepareMessage(this.toMessageInput(input, now), this.limits);
    if (isRecordError(prepared)) return { error: prepared.reason };
    const appended = this.core.commitLog.append(prepared.totalSizeBytes, (target, position, physicalOffset) => writeRecord(target, position, prepared, 0, physicalOffset, now));
    if (appended.status !== 'PUT_OK') return { error: appended.status === 'POOL_BUSY' ? 'the TransientStorePool is busy' : (this.core.commitLog.lastCreateError ?? 'segment creation failed') };
    this.core.lastStoreTimestamp = now;
    const end = appended.physicalOffset + appended.wroteBytes;
    if (this.core.policy.wantsPromptCommit) this.core.commitLog.requestCommit(end);
    this.core.runner?.wake();
    return { physicalOffset: appended.physicalOffset, endOffset: end };
  }

  /** Answer every put that waits for a pool buffer (the store closes or failed). */
  abandonStalled(reason: string): void {
    this.stalled.abandon(reason);
  }

  private tryAppend(single: PreparedMessage | null, batch: PreparedBatch | null, waitStoreMsgOk: boolean, storeTimestamp: number): Promise<PutMessageResult> | typeof POOL_BUSY {
    const core = this.core;
    const first = (single ?? batch!.messages[0])!;
    const count = single ? 1 : batch!.messages.length;
    const length = single ? single.totalSizeBytes : batch!.totalSizeBytes;
    const q = core.consumeQueues.findOrCreate(first.topic, first.queueId);
    const txType = first.sysFlag & SYSFLAG_TRANSACTION_MASK;
    const indexed = txType !== SYSFLAG_TRANSACTION_PREPARED && txType !== SYSFLAG_TRANSACTION_ROLLBACK && !isUnindexedTopic(first.topic);
    const queueOffset = indexed ? q.nextQueueOffset : 0;
    const appended = core.commitLog.append(length, (target, position, physicalOffset) => {
      if (single) writeRecord(target, position, single, queueOffset, physicalOffset, storeTimestamp);
      else writeBatch(target, position, batch!, queueOffset, physicalOffset, storeTimestamp);
    });
    if (appended.status === 'POOL_BUSY') return POOL_BUSY;
    if (appended.status !== 'PUT_OK') {
      return this.turnYield.settle<PutMessageResult>(failedPut(PutMessageStatus.CREATE_MAPPED_FILE_FAILED, core.commitLog.lastCreateError ?? 'segment creation failed'));
    }
    core.putCount += count;
    core.lastStoreTimestamp = storeTimestamp;
    if (indexed) {
      q.nextQueueOffset += count;
      const messages = single ? [single] : batch!.messages;
      let at = appended.physicalOffset;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        core.dispatch.push(q, queueOffset + i, at, m.totalSizeBytes, m.tagsCode);
        at += m.totalSizeBytes;
      }
    }
    const end = appended.physicalOffset + appended.wroteBytes;
    // a replicating master's slaves only receive committed bytes: commit now
    const woke = waitStoreMsgOk && core.policy.wantsPromptCommit && core.commitLog.requestCommit(end);
    if (this.wakes) {
      if (!woke && this.wakes.shouldWake(end, this.monotonicMs)) core.runner!.wake();
    } else if (core.dispatch.pending > 0 && core.commitLog.maxOffset >= end) {
      core.dispatch.drain();
    }
    // Chores only once the record waits for dispatch: the ConsumeQueue durable offset must never
    // pass a record whose entry is not queued yet (the worker may flush it at any moment).
    if ((core.putCount & 255) < count) core.timers.runDue();
    core.policy.onAppended?.(end);
    const replicated = waitStoreMsgOk ? core.policy.afterAppend(end) : null;
    const result = new PutOk(this.storeHost, single, batch, appended.physicalOffset, queueOffset, appended.wroteBytes, count, storeTimestamp);
    const flushWaited = this.sync && waitStoreMsgOk;
    if (!flushWaited && replicated === null) return this.turnYield.settle<PutMessageResult>(result);
    const flushed = flushWaited ? this.flushWaiters.wait(end) : FLUSH_NOT_WAITED;
    return Promise.all([flushed, replicated ?? REPLICATION_NOT_WAITED]).then(([flush, replica]) => this.combine(result, flush, replica));
  }

  /** RocketMQ's rule: a replication failure status wins over a flush timeout. */
  private combine(result: PutOk, flush: WaitResult, replica: ReplicationWait): PutMessageResult {
    const c = this.core.config;
    const mapped = replica !== 'ok' ? this.core.policy.waitFailure?.(replica) : undefined;
    if (mapped) return { ...result.toJSON(), ...mapped };
    if (replica === 'timed-out') return { ...result.toJSON(), status: PutMessageStatus.FLUSH_SLAVE_TIMEOUT, reason: `no slave acknowledged within slaveTimeout=${c.slaveTimeout} ms` };
    if (replica === 'not-available') return { ...result.toJSON(), status: PutMessageStatus.SLAVE_NOT_AVAILABLE, reason: 'no slave connected, or every slave is too far behind' };
    if (flush === 'ok') return result;
    if (flush === 'timed-out') return { ...result.toJSON(), status: PutMessageStatus.FLUSH_DISK_TIMEOUT, reason: `not flushed within syncFlushTimeout=${c.syncFlushTimeout} ms` };
    if (flush === 'stalled') {
      const reason = 'disk full: the commit to the CommitLog file failed with ENOSPC; the message is kept in memory and written when space frees';
      return { ...result.toJSON(), status: PutMessageStatus.FLUSH_DISK_TIMEOUT, reason };
    }
    return { ...result.toJSON(), status: PutMessageStatus.SERVICE_NOT_AVAILABLE, reason: this.core.health.failure ?? 'store failed' };
  }

  private refusal(): PutMessageResult | null {
    const core = this.core;
    const reason = core.health.failureRefusal() ?? core.policy.putRefusal() ?? core.health.diskRefusal();
    if (reason !== null) return failedPut(PutMessageStatus.SERVICE_NOT_AVAILABLE, reason);
    const busy = core.policy.busyRefusal?.() ?? null;
    return busy === null ? null : failedPut(PutMessageStatus.OS_PAGE_CACHE_BUSY, busy);
  }

  /** Room in the dispatch queue for `count` more records (checked before anything is appended). */
  private dispatchBusy(count: number): PutMessageResult | null {
    if (this.core.dispatch.hasRoomFor(count)) return null;
    return failedPut(PutMessageStatus.OS_PAGE_CACHE_BUSY, `too many records wait for dispatch (${this.core.dispatch.pending})`);
  }

  private checkQueueId(queueId: number): PutMessageResult | null {
    const max = this.core.config.maxQueueId;
    if (queueId > max) return failedPut(PutMessageStatus.MESSAGE_ILLEGAL, `queueId ${queueId} is above maxQueueId=${max}`);
    return null;
  }

  private toMessageInput(input: PutMessageInput, nowMs: number): MessageInput {
    const body = typeof input.body === 'string' ? new TextEncoder().encode(input.body) : input.body;
    return {
      topic: input.topic,
      queueId: input.queueId ?? 0,
      body,
      flag: input.flag ?? 0,
      tags: input.tags,
      keys: input.keys,
      properties: input.properties,
      bornTimestamp: input.bornTimestamp ?? nowMs,
      ...(input.reconsumeTimes !== undefined ? { reconsumeTimes: input.reconsumeTimes } : {}),
      bornHost: LOCAL_HOST,
      storeHost: this.storeHost,
    } as MessageInput;
  }
}

/** A PUT_OK result; the message id string is built only when read. console.log and JSON show
 * the plain result (the fields a user reads), not the internals. */
class PutOk implements PutMessageResult {
  readonly status = PutMessageStatus.PUT_OK;
  private ids: string | null = null;

  constructor(
    private readonly storeHost: StoreHost,
    private readonly single: PreparedMessage | null,
    private readonly batch: PreparedBatch | null,
    readonly physicalOffset: number,
    readonly queueOffset: number,
    readonly wroteBytes: number,
    readonly messageCount: number,
    readonly storeTimestamp: number,
  ) {}

  get offsetMsgId(): string {
    this.ids ??= this.single ? offsetMsgId(this.storeHost, this.physicalOffset) : this.batchIds();
    return this.ids;
  }

  toJSON(): PutMessageResult {
    const { status, offsetMsgId, physicalOffset, queueOffset, wroteBytes, messageCount, storeTimestamp } = this;
    return { status, offsetMsgId, physicalOffset, queueOffset, wroteBytes, messageCount, storeTimestamp };
  }

  [inspect.custom](_depth: number, options: object): string {
    return inspect(this.toJSON(), options);
  }

  private batchIds(): string {
    const ids: string[] = [];
    let at = this.physicalOffset;
    for (const m of this.batch!.messages) {
      ids.push(offsetMsgId(this.storeHost, at));
      at += m.totalSizeBytes;
    }
    return ids.join(',');
  }
}

/** The STOREHOST written into records: brokerIP1 (IPv4; 127.0.0.1 when it is not one) and listenPort. */
export function storeHostOf(config: { brokerIP1: string; listenPort: number }): StoreHost {
  const parts = config.brokerIP1.split('.').map(Number);
  const ipv4 = parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255);
  return { address: ipv4 ? new Uint8Array(parts) : new Uint8Array([127, 0, 0, 1]), port: config.listenPort };
}

export { failedPut };
