// Transactional messages (topics of type TRANSACTION), RocketMQ's two-phase scheme on the engine:
//   send   the message is appended to RMQ_SYS_TRANS_HALF_TOPIC (queue 0) as a half message with
//          REAL_TOPIC / REAL_QID and PGROUP = the producer's client id; consumers never see it.
//          The answer carries the transaction id (transaction-records.ts).
//   end    EndTransaction COMMIT: a copy goes to the real topic (properties intact, the client's
//          message id kept), then an op record; ROLLBACK: the op record only. Answered OK once the
//          op record is in the log. Ending an already ended transaction the same way again is OK
//          (nothing is appended); the other way, an unknown / malformed id, a message id that is
//          not the half's, or a half ended below the last rebuild's checkpoint (how it ended is
//          not kept), is INVALID_TRANSACTION_ID with the reason.
//   check  a half not ended within transactionTimeOut is checked: RecoverOrphanedTransactionCommand
//          on the Telemetry stream of the producer that sent it (else of any producer publishing
//          the topic), whose checker answers with EndTransaction(SOURCE_SERVER_CHECK); again every
//          transactionCheckInterval, and after transactionCheckMax checks it is discarded (an op
//          record DISCARD; never delivered; logged).
// Durability: half and op records are in the CommitLog (replicated with it). After a restart (or
// on becoming master) the pending halves are rebuilt from the last op record's checkpoint: op
// records from opFrom, halves from halfFrom; a half with no op record is pending again. Windows:
// a commit whose op record did not make it (crash, or a failed put between the two appends) is
// still pending after the restart, so a second commit (the client's retry or its checker) delivers
// it twice (at-least-once); check counts start again from 0 after a restart.
// Memory: at most MAX_PENDING_HALVES pending (more sends are refused with TOO_MANY_REQUESTS); the
// ended-transaction memory (for idempotent answers) keeps the latest MAX_ENDED_REMEMBERED; a
// rebuild holds the op records since the oldest pending half (bounded in time by
// transactionTimeOut + transactionCheckMax x transactionCheckInterval).
import type { MessageStoreConfig } from '../../config/store-config.js';
import type { MessageStore } from '../../store/message-store.js';
import { PutMessageStatus, type PutMessageInput, type PutMessageResult, type StoredMessage } from '../../store/statuses.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/logger.js';
import type { Scheduler } from '../../util/scheduler.js';
import { appendInternal, copyOf, lastRecord, scanQueue } from '../internal-queue.js';
import { MessageTypeNumber, toProtoMessage } from '../message-convert.js';
import { SerialLoop } from '../serial-loop.js';
import { OK, refuse, type Status } from '../status-codes.js';
import {
  deliveredProperties,
  PROPERTY_PRODUCER_GROUP,
  PROPERTY_REAL_QUEUE_ID,
  PROPERTY_REAL_TOPIC,
  PROPERTY_TRANSACTION_PREPARED,
  TRANS_HALF_TOPIC,
  TRANS_OP_TOPIC,
} from '../system-topics.js';
import { decodeOp, encodeOp, OP_TAG, parseTransactionId, transactionIdOf, type Resolution } from './transaction-records.js';

export const MAX_PENDING_HALVES = 100_000;
export const MAX_ENDED_REMEMBERED = 100_000;
/** How long an end or a check waits for a just-appended half to become readable. */
const HALF_READ_WAIT_MS = 5000;
/** Halves examined per check step. */
const MAX_CHECKS_PER_STEP = 10_000;
/** TransactionResolution and TransactionSource of definition.proto. */
export const TransactionResolutionNumber = { COMMIT: 1, ROLLBACK: 2 } as const;
const SOURCE_NAMES: Record<number, string> = { 0: 'SOURCE_UNSPECIFIED', 1: 'SOURCE_CLIENT', 2: 'SOURCE_SERVER_CHECK' };

/** Where orphan checks are written: the Telemetry streams of producers. */
export interface ProducerChannels {
  /** Write the command on the client's open Telemetry stream; false when it has none. */
  send(clientId: string, command: Record<string, unknown>): boolean;
  /** Client ids with an open stream whose producer settings list `topic`. */
  producersOf(topic: string): string[];
}

interface PendingHalf {
  readonly halfOffset: number;
  readonly physicalOffset: number;
  /** Where the half's record ends in the CommitLog (it is readable once committed to there). */
  readonly endOffset: number;
  readonly realTopic: string;
  readonly messageId: string;
  readonly clientId: string;
  readonly storeMs: number;
  /** The op queue's max offset when the half became pending: its op record comes later. */
  readonly opMark: number;
  checks: number;
  nextCheckMs: number;
  ending: Promise<void> | null;
}

interface TxState {
  readonly pending: Map<number, PendingHalf>;
  readonly ended: Map<number, Resolution>;
  /** Every half below this was ended before the last rebuild (how is not kept). */
  readonly endedBelow: number;
}

export interface TransactionStats {
  ready: boolean;
  pending: number;
  checksSent: number;
}

export interface EndTransactionRequest {
  topic?: { name?: string };
  messageId?: string;
  transactionId?: string;
  resolution?: number;
  source?: number;
}

export class TransactionService {
  private state: TxState | null = null;
  private building: Promise<TxState> | null = null;
  private readonly sendingFloors = new Map<number, number>();
  private nextSendToken = 0;
  private channels: ProducerChannels | null = null;
  private readonly loop: SerialLoop;
  private checksSent = 0;

  constructor(
    private readonly store: MessageStore,
    private readonly config: Readonly<MessageStoreConfig>,
    private readonly clock: Clock,
    scheduler: Scheduler,
    private readonly logger: Logger,
  ) {
    this.loop = new SerialLoop('the transaction check', clock, scheduler, logger, () => this.checkStep());
  }

  /** Start checking orphans, writing checks to `channels`. */
  start(channels: ProducerChannels): void {
    this.channels = channels;
    this.loop.wake(this.config.transactionCheckInterval);
  }

  async close(): Promise<void> {
    await this.loop.close();
  }

  stats(): TransactionStats {
    return { ready: this.state !== null, pending: this.state?.pending.size ?? 0, checksSent: this.checksSent };
  }

  /** Append the half of a transactional message whose real put would be `input`. */
  async sendHalf(input: PutMessageInput & { messageId: string }, clientId: string | null): Promise<{ result: PutMessageResult; transactionId: string }> {
    if (clientId === null) refuse('CLIENT_ID_REQUIRED', 'a transactional message needs the x-mq-client-id header (its producer is asked about it over Telemetry)');
    const s = await this.ready();
    if (s.pending.size + this.sendingFloors.size >= MAX_PENDING_HALVES) {
      refuse('TOO_MANY_REQUESTS', `${MAX_PENDING_HALVES} transactions are pending on this broker; end some first`);
    }
    const token = this.nextSendToken++;
    this.sendingFloors.set(token, this.store.getMaxOffsetInQueue(TRANS_HALF_TOPIC, 0));
    try {
      const half: PutMessageInput = {
        ...input,
        topic: TRANS_HALF_TOPIC,
        queueId: 0,
        properties: {
          ...input.properties,
          [PROPERTY_REAL_TOPIC]: input.topic,
          [PROPERTY_REAL_QUEUE_ID]: String(input.queueId ?? 0),
          [PROPERTY_TRANSACTION_PREPARED]: 'true',
          [PROPERTY_PRODUCER_GROUP]: clientId,
        },
      };
      const result = await this.store.putMessage(half);
      if (result.status !== PutMessageStatus.PUT_OK) return { result, transactionId: '' };
      const ref = { halfOffset: result.queueOffset, physicalOffset: result.physicalOffset };
      if (this.state === s) {
        s.pending.set(ref.halfOffset, {
          ...ref,
          endOffset: result.physicalOffset + result.wroteBytes,
          realTopic: input.topic,
          messageId: input.messageId,
          clientId,
          storeMs: this.clock.nowMs(),
          opMark: this.store.getMaxOffsetInQueue(TRANS_OP_TOPIC, 0),
          checks: 0,
          nextCheckMs: 0,
          ending: null,
        });
        this.loop.wake(this.config.transactionTimeOut);
      }
      return { result, transactionId: transactionIdOf(ref) };
    } finally {
      this.sendingFloors.delete(token);
    }
  }

  /** EndTransaction from a client (its own decision or its checker's answer). */
  async end(req: EndTransactionRequest): Promise<{ status: Status }> {
    const id = req.transactionId ?? '';
    const ref = parseTransactionId(id);
    if (ref === null) refuse('INVALID_TRANSACTION_ID', `transaction id '${id}' is not one this broker issued (is the message transactional?)`);
    const resolution: Resolution =
      req.resolution === TransactionResolutionNumber.COMMIT ? 'COMMIT' : req.resolution === TransactionResolutionNumber.ROLLBACK ? 'ROLLBACK' : refuse('BAD_REQUEST', `resolution ${req.resolution ?? 'unset'} is neither COMMIT (1) nor ROLLBACK (2)`);
    const source = SOURCE_NAMES[req.source ?? 0] ?? `source ${req.source}`;
    const s = await this.ready();
    let p = s.pending.get(ref.halfOffset);
    if (p?.ending) {
      await p.ending.catch(() => {});
      p = s.pending.get(ref.halfOffset);
    }
    if (!p || p.physicalOffset !== ref.physicalOffset) {
      const done = s.ended.get(ref.halfOffset);
      if (p === undefined && done === resolution) return { status: OK };
      if (p === undefined && done !== undefined) refuse('INVALID_TRANSACTION_ID', `transaction '${id}' already ended with ${done}; it cannot ${resolution} now`);
      if (p === undefined && ref.halfOffset < s.endedBelow) refuse('INVALID_TRANSACTION_ID', `transaction '${id}' already ended before the broker's last restart (how it ended is not kept)`);
      refuse('INVALID_TRANSACTION_ID', `transaction '${id}' is not pending on broker ${this.config.brokerName} (unknown, or ended before the ended-transaction memory was dropped)`);
    }
    if (p.messageId !== (req.messageId ?? '')) refuse('INVALID_TRANSACTION_ID', `transaction '${id}' belongs to message ${p.messageId}, not ${req.messageId ?? '(none)'}`);
    const topic = req.topic?.name ?? '';
    if (topic !== p.realTopic) refuse('BAD_REQUEST', `transaction '${id}' is of topic '${p.realTopic}', not '${topic}'`);
    await this.resolve(s, p, resolution, source);
    return { status: OK };
  }

  private async resolve(s: TxState, p: PendingHalf, resolution: Resolution, source: string): Promise<void> {
    const run = async (): Promise<void> => {
      if (resolution === 'COMMIT') {
        const m = await this.halfMessage(p);
        if (m === null) refuse('INTERNAL_SERVER_ERROR', `the half message of transaction ${transactionIdOf(p)} can no longer be read (deleted by retention?)`);
        const queueId = Number(m.properties[PROPERTY_REAL_QUEUE_ID] ?? 0);
        await appendInternal(this.store, copyOf(m, p.realTopic, queueId, deliveredProperties(m.properties)), `committing transaction ${transactionIdOf(p)} to ${p.realTopic}`);
      }
      const op = { halfOffset: p.halfOffset, resolution, source, ...this.checkpointWithout(s, p.halfOffset) };
      await appendInternal(this.store, { topic: TRANS_OP_TOPIC, queueId: 0, tags: OP_TAG, body: encodeOp(op) }, `recording ${resolution} of transaction ${transactionIdOf(p)}`);
      if (this.state === s) {
        s.pending.delete(p.halfOffset);
        this.remember(s, p.halfOffset, resolution);
      }
    };
    p.ending = run().finally(() => {
      p.ending = null;
    });
    await p.ending;
  }

  /** The rebuild checkpoint an op record carries, as if `without` were already ended. */
  private checkpointWithout(s: TxState, without: number): { halfFrom: number; opFrom: number } {
    let halfFrom = this.store.getMaxOffsetInQueue(TRANS_HALF_TOPIC, 0);
    let opFrom = this.store.getMaxOffsetInQueue(TRANS_OP_TOPIC, 0);
    for (const floor of this.sendingFloors.values()) halfFrom = Math.min(halfFrom, floor);
    for (const p of s.pending.values()) {
      if (p.halfOffset === without) continue;
      halfFrom = Math.min(halfFrom, p.halfOffset);
      opFrom = Math.min(opFrom, p.opMark);
    }
    return { halfFrom, opFrom };
  }

  private remember(s: TxState, halfOffset: number, resolution: Resolution): void {
    s.ended.set(halfOffset, resolution);
    if (s.ended.size > MAX_ENDED_REMEMBERED) s.ended.delete(s.ended.keys().next().value!);
  }

  /** The half's record (waiting up to HALF_READ_WAIT_MS for a just-appended one to be committed). */
  private async halfMessage(p: PendingHalf): Promise<StoredMessage | null> {
    const read = (): StoredMessage | null => {
      const m = this.store.lookMessageByOffset(p.physicalOffset);
      return m !== null && m.topic === TRANS_HALF_TOPIC && m.queueOffset === p.halfOffset ? m : null;
    };
    const now = read();
    if (now !== null) return now;
    await this.store.waitCommitted(p.endOffset, HALF_READ_WAIT_MS);
    return read();
  }

  /** The state, rebuilt from the log when there is none (at start, after following: a slave or a DLedger follower). */
  private async ready(): Promise<TxState> {
    if (this.store.replication.follows) {
      this.state = null;
      refuse('ILLEGAL_ACCESS_POINT', `broker ${this.config.brokerName} follows its replication group (${this.store.replication.role}); transactions are served by its master or leader`);
    }
    if (this.state) return this.state;
    this.building ??= this.rebuild().finally(() => {
      this.building = null;
    });
    return (this.state = await this.building);
  }

  private async rebuild(): Promise<TxState> {
    const last = await lastRecord(this.store, TRANS_OP_TOPIC);
    let from = { halfFrom: 0, opFrom: 0 };
    if (last) {
      const d = decodeOp(last.body);
      if ('reason' in d) this.logger.error(`the last transaction op record (op offset ${last.queueOffset}) is unusable; every half and op record is rescanned: ${d.reason}`);
      else from = { halfFrom: d.halfFrom, opFrom: d.opFrom };
    }
    const s: TxState = { pending: new Map(), ended: new Map(), endedBelow: from.halfFrom };
    await scanQueue(this.store, TRANS_OP_TOPIC, from.opFrom, this.store.getMaxOffsetInQueue(TRANS_OP_TOPIC, 0), this.logger, (m) => {
      const op = decodeOp(m.body);
      if ('reason' in op) this.logger.error(`transaction op record at op offset ${m.queueOffset} is unusable, skipped: ${op.reason}`);
      else if (op.halfOffset >= from.halfFrom) this.remember(s, op.halfOffset, op.resolution);
    });
    const opMark = from.opFrom;
    await scanQueue(this.store, TRANS_HALF_TOPIC, from.halfFrom, this.store.getMaxOffsetInQueue(TRANS_HALF_TOPIC, 0), this.logger, (m) => {
      if (s.ended.has(m.queueOffset) || s.pending.size >= MAX_PENDING_HALVES) return;
      const realTopic = m.properties[PROPERTY_REAL_TOPIC];
      if (realTopic === undefined) return;
      s.pending.set(m.queueOffset, {
        halfOffset: m.queueOffset,
        physicalOffset: m.physicalOffset,
        endOffset: m.physicalOffset + m.totalSize,
        realTopic,
        messageId: m.properties.UNIQ_KEY ?? m.msgId,
        clientId: m.properties[PROPERTY_PRODUCER_GROUP] ?? '',
        storeMs: m.storeTimestamp,
        opMark,
        checks: 0,
        nextCheckMs: 0,
        ending: null,
      });
    });
    if (s.pending.size > 0) {
      this.logger.info(`transactions: ${s.pending.size} pending halves rebuilt from half offset ${from.halfFrom} and op offset ${from.opFrom}`);
      this.loop.wake(0);
    }
    return s;
  }

  /** One orphan check round; returns the wait before the next one. */
  private async checkStep(): Promise<number> {
    if (this.store.replication.follows) {
      this.state = null;
      return this.config.transactionCheckInterval;
    }
    const s = await this.ready();
    const now = this.clock.nowMs();
    let next = this.config.transactionCheckInterval;
    let examined = 0;
    for (const p of [...s.pending.values()]) {
      if (examined++ >= MAX_CHECKS_PER_STEP) return 0;
      if (p.ending) continue;
      const dueAt = Math.max(p.storeMs + this.config.transactionTimeOut, p.nextCheckMs);
      if (dueAt > now) {
        next = Math.min(next, dueAt - now);
        continue;
      }
      if (p.checks >= this.config.transactionCheckMax) {
        this.logger.warn(`transaction ${transactionIdOf(p)} (message ${p.messageId}, topic ${p.realTopic}) was checked ${p.checks} times without an answer: discarded (transactionCheckMax)`);
        await this.resolve(s, p, 'DISCARD', 'BROKER').catch((err: unknown) => this.logger.error(`discarding transaction ${transactionIdOf(p)} failed: ${(err as Error).message}`));
        continue;
      }
      p.checks++;
      p.nextCheckMs = now + this.config.transactionCheckInterval;
      next = Math.min(next, this.config.transactionCheckInterval);
      await this.sendCheck(p);
    }
    return next;
  }

  private async sendCheck(p: PendingHalf): Promise<void> {
    const m = await this.halfMessage(p);
    if (m === null || this.channels === null) return;
    const view: StoredMessage = { ...m, topic: p.realTopic, properties: deliveredProperties(m.properties) };
    const message = toProtoMessage(view, { offset: m.queueOffset, bootId: 0, popSeq: 0, attempt: 1, invisibleUntilMs: 0 }, '', 0);
    (message.systemProperties as Record<string, unknown>).messageType = MessageTypeNumber.TRANSACTION;
    const command = { recoverOrphanedTransactionCommand: { message, transactionId: transactionIdOf(p) } };
    const candidates = [p.clientId, ...(this.channels.producersOf(p.realTopic).filter((c) => c !== p.clientId))];
    for (const clientId of candidates) {
      if (clientId !== '' && this.channels.send(clientId, command)) {
        this.checksSent++;
        this.logger.debug(`transaction ${transactionIdOf(p)}: check ${p.checks} sent to ${clientId}`);
        return;
      }
    }
    this.logger.debug(`transaction ${transactionIdOf(p)}: check ${p.checks} found no producer of ${p.realTopic} connected`);
  }
}
