// MessageStore: the composition root and public API of one store directory. Wiring and
// lifecycle only: open (lock, load, recover, start services), put, get, offsets, status, close.
// The work is done by the CommitLog (append/read), the persistence service (commit + flush,
// in a worker thread by default), the dispatch queue and the ConsumeQueues.
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { isRecordError, prepareMessage, type MessageInput, type PreparedMessage } from '../codec/prepare-message.js';
import { prepareBatch, writeBatch, type PreparedBatch } from '../codec/batch.js';
import { offsetMsgId } from '../codec/offset-msg-id.js';
import { readRecord, type RecordHeader } from '../codec/read-record.js';
import { SYSFLAG_TRANSACTION_MASK, SYSFLAG_TRANSACTION_PREPARED, SYSFLAG_TRANSACTION_ROLLBACK } from '../codec/record-layout.js';
import { writeRecord } from '../codec/write-record.js';
import { Checkpoint } from '../commitlog/checkpoint.js';
import { CommitLog } from '../commitlog/commit-log.js';
import { recoverCommitLog, type RecoveryResult } from '../commitlog/recovery.js';
import { loadStoreConfig, type StoreConfigInput } from '../config/load-config.js';
import type { BrokerRole, MessageStoreConfig } from '../config/store-config.js';
import { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import { ConsumerOffsets } from '../consumequeue/consumer-offsets.js';
import { DispatchQueue } from '../consumequeue/dispatch-queue.js';
import { ErrorCode, StoreError } from '../errors.js';
import { DEVICE_PROFILES } from '../flush/device-emulation.js';
import type { PersistenceEvent, PersistencePosition, PersistenceSettings } from '../flush/persistence-layout.js';
import { InThreadPersistenceRunner, WorkerPersistenceRunner, type PersistenceRunner } from '../flush/persistence-runner.js';
import { PositionWaiters, type WaitResult } from '../flush/position-waiters.js';
import type { FileIO } from '../io/file-io.js';
import { selectFileIO } from '../io/select-io.js';
import { TransientStorePool } from '../segment/transient-store-pool.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { WaitOutcome } from '../util/control-block.js';
import { consoleLogger, type Logger } from '../util/logger.js';
import { realScheduler, type Scheduler } from '../util/scheduler.js';
import { diskPressure, statfsUsage, type DiskUsageProbe } from './disk-space.js';
import { redispatch } from './redispatch.js';
import { ReplicaDispatcher } from './replica-dispatcher.js';
import type { ReplicationGate, ReplicationSource, ReplicationWait } from './replication.js';
import { runRetention } from './retention.js';
import { GetMessageStatus, PutMessageStatus, type GetMessageRequest, type GetMessageResult, type PutMessageInput, type PutMessageResult, type StoredMessage } from './statuses.js';
import { StoreFiles } from './store-files.js';
import { StoreTimers } from './store-timers.js';

/** Records that may wait for dispatch before puts are refused with OS_PAGE_CACHE_BUSY. */
const MAX_PENDING_DISPATCH = 4_000_000;
const LOCAL_HOST = { address: new Uint8Array([127, 0, 0, 1]), port: 0 };

/** brokerId of a master, and the slave a slow consumer is sent to (RocketMQ's
 * whichBrokerWhenConsumeSlowly default). */
const MASTER_ID = 0;
const SLAVE_READ_BROKER_ID = 1;

export interface MessageStoreDependencies {
  logger?: Logger;
  clock?: Clock;
  scheduler?: Scheduler;
  /** Used fraction of the disk holding a directory (default: statfs). */
  diskUsage?: DiskUsageProbe;
  /** The file backend (default: chosen by the ioBackend key); the simulator passes its disk. */
  io?: FileIO;
}

export interface StoreRuntimeInfo {
  brokerRole: string;
  ioBackend: string;
  writeMode: string;
  persistencePlacement: string;
  /** Benchmarks: the emulated device class, or 'none'. */
  emulatedDevice: string;
  flushDiskType: string;
  transientStorePoolEnable: boolean;
  transientStorePoolAvailable: number | null;
  minPhyOffset: number;
  maxPhyOffset: number;
  wroteOffset: number;
  committedOffset: number;
  flushedOffset: number;
  commitBehindBytes: number;
  flushBehindBytes: number;
  dispatchBehindMessages: number;
  putMessageTimesTotal: number;
  putTps: number;
  diskFull: boolean;
  serviceFailure: string | null;
  lastRecovery: RecoveryResult | null;
}

export class MessageStore {
  private closed = false;
  private failure: string | null = null;
  private cqFailure: string | null = null;
  /** The ConsumeQueue fdatasyncs of the last timer round, while they run. */
  private cqSyncInFlight: Promise<void> | null = null;
  private diskFullReason: string | null = null;
  private readonly waiters: PositionWaiters<PersistencePosition>;
  private readonly dispatch = new DispatchQueue(MAX_PENDING_DISPATCH);
  private readonly storeHost;
  private readonly timers: StoreTimers;
  private runner!: PersistenceRunner;
  private putCount = 0;
  private recovery: RecoveryResult | null = null;
  private readonly sync: boolean;
  private readonly wakeOnPut: boolean;
  private readonly inMemoryBytes: number;
  private readonly limits: { maxMessageSizeBytes: number; maxTopicBytes: number };
  private role: BrokerRole;
  private replicationGate: ReplicationGate | null = null;
  private replica: ReplicaDispatcher | null = null;

  private constructor(
    readonly config: Readonly<MessageStoreConfig>,
    private readonly io: FileIO,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    private readonly files: StoreFiles,
    private readonly commitLog: CommitLog,
    private readonly consumeQueues: ConsumeQueueStore,
    private readonly offsets: ConsumerOffsets,
    private readonly checkpoint: Checkpoint,
    private readonly pool: TransientStorePool | null,
    private readonly diskUsage: DiskUsageProbe,
  ) {
    this.sync = config.flushDiskType === 'SYNC_FLUSH';
    this.wakeOnPut = this.sync || config.wakeFlushWhenPutMessage || (pool !== null && config.wakeCommitWhenPutMessage);
    this.waiters = new PositionWaiters(commitLog.block, 'flushed', config.syncFlushTimeout, () =>
      commitLog.block.load('failed') !== 0 ? 'failed' : commitLog.block.load('diskFull') !== 0 ? 'stalled' : 'ok',
    );
    this.storeHost = { address: ipv4Bytes(config.brokerIP1), port: config.listenPort };
    this.inMemoryBytes = (totalmem() * config.accessMessageInMemoryMaxRatio) / 100;
    this.limits = { maxMessageSizeBytes: config.maxMessageSize, maxTopicBytes: config.maxTopicLength };
    this.role = config.brokerRole;
    this.timers = new StoreTimers(scheduler, logger.child('timers'), () => clock.nowMs());
  }

  /** Open (and recover) the store described by `input`: config keys, and optionally `configFile`. */
  static async open(input: StoreConfigInput = {}, deps: MessageStoreDependencies = {}): Promise<MessageStore> {
    const config = loadStoreConfig(input, { warn: (m) => (deps.logger ?? consoleLogger('config')).warn(m) });
    const logger = deps.logger ?? consoleLogger('store', config.logLevel);
    const io = deps.io ?? selectFileIO(config.ioBackend, logger.child('io'));
    const files = new StoreFiles(config.storePathRootDir);
    files.lock();
    const pool = config.transientStorePoolEnable
      ? new TransientStorePool(io, config.transientStorePoolSize, config.mappedFileSizeCommitLog, logger.child('pool'))
      : null;
    const commitLog = new CommitLog({
      io,
      dir: config.storePathCommitLog,
      segmentBytes: config.mappedFileSizeCommitLog,
      writeMode: chooseWriteMode(config, io, pool !== null),
      pool,
      warmMappedFile: config.warmMapedFileEnable,
      logger: logger.child('commitlog'),
    });
    const store = new MessageStore(
      config,
      io,
      logger,
      deps.clock ?? systemClock,
      deps.scheduler ?? realScheduler,
      files,
      commitLog,
      new ConsumeQueueStore(io, join(config.storePathRootDir, 'consumequeue'), config.mappedFileSizeConsumeQueue, logger.child('cq')),
      new ConsumerOffsets(join(config.storePathRootDir, 'config', 'consumerOffset.json'), logger.child('offsets')),
      new Checkpoint(io, config.storePathRootDir),
      pool,
      deps.diskUsage ?? statfsUsage,
    );
    try {
      store.loadAndRecover();
      store.start();
      await store.runner.ready();
      store.checkDiskAndRetention();
    } catch (err) {
      await store.abortOpen();
      throw err;
    }
    return store;
  }

  putMessage(input: PutMessageInput): Promise<PutMessageResult> {
    const refused = this.refusal();
    if (refused) return Promise.resolve(refused);
    const now = this.clock.nowMs();
    const prepared = prepareMessage(this.toMessageInput(input, now), this.limits);
    if (isRecordError(prepared)) return Promise.resolve(failed(prepared.status, prepared.reason));
    const queueRefusal = this.checkQueueId(prepared.queueId) ?? this.dispatchBusy(1);
    if (queueRefusal) return Promise.resolve(queueRefusal);
    return this.appendAndWait(prepared, null, input.properties?.WAIT !== 'false', now);
  }

  /** One batch, appended atomically (all to one queue, consecutive queue offsets). */
  putMessages(inputs: readonly PutMessageInput[]): Promise<PutMessageResult> {
    const refused = this.refusal();
    if (refused) return Promise.resolve(refused);
    const now = this.clock.nowMs();
    const batch = prepareBatch(inputs.map((i) => this.toMessageInput(i, now)), this.limits);
    if (isRecordError(batch)) return Promise.resolve(failed(batch.status, batch.reason));
    const queueRefusal = this.checkQueueId(batch.messages[0]!.queueId) ?? this.dispatchBusy(batch.messages.length);
    if (queueRefusal) return Promise.resolve(queueRefusal);
    return this.appendAndWait(null, batch, inputs[0]?.properties?.WAIT !== 'false', now);
  }

  async getMessage(request: GetMessageRequest): Promise<GetMessageResult> {
    this.assertOpen();
    this.drainDispatch();
    const maxPhy = this.commitLog.maxOffset;
    const q = this.consumeQueues.find(request.topic, request.queueId);
    const base = { messages: [] as StoredMessage[], suggestPullingFromSlave: false, suggestWhichBrokerId: MASTER_ID };
    if (!q) return { ...base, status: GetMessageStatus.NO_MATCHED_LOGIC_QUEUE, nextBeginOffset: 0, minOffset: 0, maxOffset: 0 };
    const minOffset = q.minOffset;
    const maxOffset = q.maxOffset;
    const range = { minOffset, maxOffset };
    const offset = request.offset;
    if (maxOffset === 0) return { ...base, ...range, status: GetMessageStatus.NO_MESSAGE_IN_QUEUE, nextBeginOffset: 0 };
    if (offset < minOffset) return { ...base, ...range, status: GetMessageStatus.OFFSET_TOO_SMALL, nextBeginOffset: minOffset };
    if (offset === maxOffset) return { ...base, ...range, status: GetMessageStatus.OFFSET_OVERFLOW_ONE, nextBeginOffset: offset };
    if (offset > maxOffset) {
      return { ...base, ...range, status: GetMessageStatus.OFFSET_OVERFLOW_BADLY, nextBeginOffset: minOffset === 0 ? 0 : maxOffset };
    }
    const wanted = Math.max(1, Math.min(request.maxMsgNums, this.config.maxTransferCountOnMessageInMemory));
    const entries = q.read(offset, wanted);
    const messages: StoredMessage[] = [];
    let bytes = 0;
    let scanned = 0;
    let lastPhysical = maxPhy;
    for (const e of entries) {
      const inDisk = maxPhy - e.commitLogOffset > this.inMemoryBytes;
      const maxCount = inDisk ? this.config.maxTransferCountOnMessageInDisk : this.config.maxTransferCountOnMessageInMemory;
      const maxBytes = inDisk ? this.config.maxTransferBytesOnMessageInDisk : this.config.maxTransferBytesOnMessageInMemory;
      if (messages.length > 0 && (messages.length >= maxCount || bytes + e.size > maxBytes)) break;
      scanned++;
      const m = this.readMessage(e.commitLogOffset, e.size);
      if (!m) continue;
      messages.push(m);
      bytes += e.size;
      lastPhysical = e.commitLogOffset;
    }
    const tooSlow = maxPhy - lastPhysical > this.inMemoryBytes;
    return {
      status: messages.length > 0 ? GetMessageStatus.FOUND : GetMessageStatus.OFFSET_FOUND_NULL,
      messages,
      nextBeginOffset: offset + scanned,
      minOffset,
      maxOffset,
      suggestPullingFromSlave: tooSlow,
      suggestWhichBrokerId: tooSlow && this.config.slaveReadEnable ? SLAVE_READ_BROKER_ID : MASTER_ID,
    };
  }

  /** The message stored at `physicalOffset`, or null when none is readable there. */
  lookMessageByOffset(physicalOffset: number): StoredMessage | null {
    this.assertOpen();
    const head = this.commitLog.read(physicalOffset, 4);
    if (head.byteLength < 4) return null;
    const size = new DataView(head.buffer, head.byteOffset, 4).getInt32(0);
    if (size <= 0 || size > this.config.maxMessageSize + 65536) return null;
    return this.readMessage(physicalOffset, size);
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    this.assertOpen();
    this.drainDispatch();
    return this.consumeQueues.find(topic, queueId)?.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    this.assertOpen();
    return this.consumeQueues.find(topic, queueId)?.minOffset ?? 0;
  }

  getMaxPhyOffset(): number {
    this.assertOpen();
    return this.commitLog.maxOffset;
  }

  getMinPhyOffset(): number {
    this.assertOpen();
    return this.commitLog.minOffset;
  }

  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    this.assertOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new StoreError(ErrorCode.INVALID_ARGUMENT, `consumer offset must be a non-negative integer, got ${offset}`);
    }
    this.offsets.commit(group, topic, queueId, offset);
  }

  queryOffset(group: string, topic: string, queueId: number): number {
    this.assertOpen();
    return this.offsets.query(group, topic, queueId);
  }

  runtimeInfo(): StoreRuntimeInfo {
    const block = this.commitLog.block;
    // Read in the order the positions move (flushed <= committed <= wrote) so a snapshot taken
    // while they move never shows flushed ahead of committed.
    const flushed = block.load('flushed');
    const committed = block.load('committed');
    const p = { flushed, committed, wrote: block.load('wrote'), diskFull: block.load('diskFull') };
    return {
      brokerRole: this.role,
      ioBackend: this.io.backend,
      writeMode: this.commitLog.writeMode,
      persistencePlacement: this.runner?.placement ?? 'not started',
      emulatedDevice: this.config.emulateDevice,
      flushDiskType: this.config.flushDiskType,
      transientStorePoolEnable: this.pool !== null,
      transientStorePoolAvailable: this.pool?.available ?? null,
      minPhyOffset: this.commitLog.minOffset,
      maxPhyOffset: p.committed,
      wroteOffset: p.wrote,
      committedOffset: p.committed,
      flushedOffset: p.flushed,
      commitBehindBytes: p.wrote - p.committed,
      flushBehindBytes: p.committed - p.flushed,
      dispatchBehindMessages: this.dispatch.pending,
      putMessageTimesTotal: this.putCount,
      putTps: this.timers.putTps(this.putCount),
      diskFull: this.diskFullReason !== null || p.diskFull !== 0,
      serviceFailure: this.failure ?? this.cqFailure,
      lastRecovery: this.recovery,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.cancelAll();
    let clean = this.failure === null;
    const step = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (err) {
        clean = false;
        this.logger.error(`close: ${what} failed: ${(err as Error).message}`);
      }
    };
    try {
      await this.runner.stop();
    } catch (err) {
      clean = false;
      this.logger.error(`close: stopping the persistence service failed: ${(err as Error).message}`);
    }
    await this.cqSyncInFlight;
    step('writing ConsumeQueues', () => {
      this.persistConsumeQueues(true);
      if (this.cqFailure !== null) throw new Error(this.cqFailure);
    });
    step('saving consumer offsets', () => this.offsets.persist());
    step('saving the checkpoint', () => this.saveCheckpoint());
    clean &&= this.dispatch.pending === 0 && this.commitLog.flushedOffset === this.commitLog.wroteOffset && this.commitLog.block.load('failed') === 0;
    step('closing ConsumeQueues', () => this.consumeQueues.close());
    step('closing the CommitLog', () => this.commitLog.close());
    step('closing the checkpoint', () => this.checkpoint.close());
    if (clean) this.files.markCleanShutdown();
    else this.logger.warn('closed with unflushed or undispatched data or after a failure: the next open recovers abnormally');
    this.files.unlock();
  }

  // ---- replication hooks (src/ha/ builds master/slave on these)

  get brokerRole(): BrokerRole {
    return this.role;
  }

  /** Switch role at run time (promote a slave, demote a master). The log and queue offsets stay. */
  changeRole(role: BrokerRole): void {
    this.assertOpen();
    if (role === this.role) return;
    if (this.role === 'SLAVE') this.completeReplicatedFiller();
    this.logger.info(`role change: ${this.role} -> ${role} at offset ${this.commitLog.wroteOffset}`);
    this.role = role;
    this.replica = null;
  }

  /** A slave whose log ends inside an end-of-file blank (its header arrived, part of the filler
   * not yet) fills the segment up before it leaves the SLAVE role: the blank says the segment
   * ends there, so the next record, and a new master's epoch, start at the next segment, as
   * on the old master. The filler's bytes carry no data (zeros, as on the master). */
  private completeReplicatedFiller(): void {
    const end = this.replica?.fillerEnd ?? 0;
    const at = this.commitLog.wroteOffset;
    if (end <= at) return;
    const status = this.commitLog.appendRaw(at, [new Uint8Array(end - at)]);
    if (status !== 'PUT_OK') throw new StoreError(ErrorCode.IO, `completing the end-of-file blank [${at}, ${end}) before the role change failed: ${status}`);
    this.logger.info(`completed the end-of-file blank up to ${end} (the master's filler had not all arrived)`);
  }

  /** SYNC_MASTER: puts also wait for this gate (the HA service's slave acknowledgements). */
  setReplicationGate(gate: ReplicationGate | null): void {
    this.replicationGate = gate;
  }

  /** What a master streams to slaves: committed CommitLog bytes and the positions. */
  replicationSource(): ReplicationSource {
    const log = this.commitLog;
    log.notifyCommitted = true;
    return {
      segmentBytes: this.config.mappedFileSizeCommitLog,
      maxOffset: () => log.maxOffset,
      minOffset: () => log.minOffset,
      read: (offset, maxBytes) => log.read(offset, maxBytes),
      waitForData: (offset, timeoutMs) => log.block.waitAtLeastAsync('committed', offset + 1, timeoutMs),
      segmentPath: (offset) => log.segments.find(offset)?.path ?? null,
      shared: () => ({ buffer: log.block.buffer, committedIndex: log.block.slotOf('committed'), segmentDir: this.config.storePathCommitLog }),
    };
  }

  /** Resolve once the CommitLog's bytes below `offset` are committed (in the page cache, where a
   * process crash cannot lose them), asking the commit service to run now: what a slave
   * acknowledges to its master, and where a promoted slave's epoch starts. 'timed-out' after
   * `timeoutMs`. */
  waitCommitted(offset: number, timeoutMs: number): Promise<WaitOutcome> {
    this.commitLog.requestCommit(offset);
    return this.commitLog.block.waitAtLeastAsync('committed', offset, timeoutMs);
  }

  /** Slave side: append bytes the master sent for `offset` (must continue this log exactly) and
   * index the records in them. Refused unless this store is a SLAVE. */
  appendReplicated(
    offset: number,
    bytes: Uint8Array,
  ): { status: 'PUT_OK' | 'NOT_SLAVE' | 'OFFSET_MISMATCH' | 'CROSSES_SEGMENT' | 'CREATE_MAPPED_FILE_FAILED' | 'SERVICE_NOT_AVAILABLE' | 'INVALID_DATA'; maxOffset: number; reason?: string } {
    this.assertOpen();
    const logEnd = this.commitLog.wroteOffset;
    if (this.role !== 'SLAVE') return { status: 'NOT_SLAVE', maxOffset: logEnd };
    if (this.failure !== null || this.commitLog.block.loadFlag('failed') !== 0) return { status: 'SERVICE_NOT_AVAILABLE', maxOffset: logEnd };
    // A stream that (re)starts at the log end drops any partial record kept from before; an empty
    // log may start at the master's first segment.
    const emptyStart = logEnd === 0 && this.commitLog.segments.count === 0 && offset % this.config.mappedFileSizeCommitLog === 0;
    if (!this.replica || this.replica.appendedOffset !== logEnd || ((offset === logEnd || emptyStart) && this.replica.nextOffset !== offset)) {
      this.replica = new ReplicaDispatcher(emptyStart ? offset : logEnd, this.config.mappedFileSizeCommitLog);
    }
    const replica = this.replica;
    if (offset !== replica.nextOffset) return { status: 'OFFSET_MISMATCH', maxOffset: logEnd };
    const scan = replica.scan(offset, bytes);
    if ('error' in scan) {
      this.logger.error(`refusing replicated bytes: ${scan.error}`);
      return { status: 'INVALID_DATA', maxOffset: logEnd, reason: scan.error };
    }
    if (scan.appendPieces.length > 0) {
      const status = this.commitLog.appendRaw(scan.appendFrom, scan.appendPieces);
      if (status !== 'PUT_OK') return { status, maxOffset: this.commitLog.wroteOffset };
    }
    replica.apply(scan);
    for (const r of scan.records) this.dispatchReplicated(r.header, r.offset);
    this.putCount += scan.records.length;
    if (this.wakeOnPut && scan.records.length > 0) this.runner.wake();
    return { status: 'PUT_OK', maxOffset: this.commitLog.wroteOffset };
  }

  private dispatchReplicated(r: RecordHeader, at: number): void {
    const tx = r.sysFlag & SYSFLAG_TRANSACTION_MASK;
    if (tx === SYSFLAG_TRANSACTION_PREPARED || tx === SYSFLAG_TRANSACTION_ROLLBACK) return;
    const q = this.consumeQueues.findOrCreate(r.topic, r.queueId);
    this.dispatch.push(q, r.queueOffset, at, r.size, r.tagsCode);
    q.nextQueueOffset = Math.max(q.nextQueueOffset, r.queueOffset + 1);
  }

  // ---- internals

  /** Undo a failed open: stop what started, release the directory. */
  private async abortOpen(): Promise<void> {
    this.closed = true;
    this.timers.cancelAll();
    if (this.runner) await this.runner.stop().catch((err: Error) => this.logger.error(`stopping the persistence service: ${err.message}`));
    this.commitLog.close();
    this.files.unlock();
  }

  private loadAndRecover(): void {
    const abnormal = this.files.lastExitAbnormal;
    this.commitLog.segments.load(this.logger);
    this.consumeQueues.load();
    this.offsets.load();
    this.recovery = recoverCommitLog({
      io: this.io,
      segments: this.commitLog.segments,
      abnormal,
      checkpointMinTimestamp: this.checkpoint.minTimestamp,
      scan: { checkCrc: this.config.checkCRCOnRecover, maxMessageBytes: this.config.maxMessageSize },
      logger: this.logger.child('recovery'),
    });
    const end = this.recovery.endOffset;
    const clMin = this.commitLog.minOffsetOnDisk();
    // Queues gone while the store was closed (e.g. the directory removed) are rebuilt from the start.
    const saved = this.consumeQueues.count === 0 ? clMin : this.checkpoint.values.consumeQueueDurableOffset;
    const durable = Math.min(Math.max(saved, clMin), end);
    this.consumeQueues.recover(durable);
    redispatch(this.io, this.commitLog, this.consumeQueues, durable, end, this.config.maxMessageSize, this.logger.child('recovery'));
    this.consumeQueues.deleteBelow(clMin); // queue min offsets follow the CommitLog's (RocketMQ recoverTopicQueueTable)
    // After an unclean exit the recovered bytes may be only in the page cache: make them durable
    // before they count as flushed (and before consumers see them).
    if (abnormal) for (const f of this.commitLog.segments.all()) if (f.endOffset > this.recovery.scannedFrom && f.fromOffset < end) this.io.fdatasync(f.fd);
    this.checkpoint.values.consumeQueueDurableOffset = durable;
    this.checkpoint.values.confirmPhyOffset = end;
    this.commitLog.resetPositions(end);
  }

  private start(): void {
    const settings: PersistenceSettings = {
      flushDiskType: this.config.flushDiskType,
      flushIntervalMs: this.config.flushIntervalCommitLog,
      flushLeastPages: this.config.flushCommitLogLeastPages,
      flushThoroughIntervalMs: this.config.flushCommitLogThoroughInterval,
      flushTimed: this.config.flushCommitLogTimed,
      commitIntervalMs: this.config.commitIntervalCommitLog,
      commitLeastPages: this.config.commitCommitLogLeastPages,
      commitThoroughIntervalMs: this.config.commitCommitLogThoroughInterval,
      commitMode: this.config.commitMode === 'direct' && this.io.capabilities.directIo ? 'direct' : 'pwrite',
      ioBackend: this.io.backend,
      emulatedDevice: this.config.emulateDevice === 'none' ? null : DEVICE_PROFILES[this.config.emulateDevice],
    };
    const listener = (e: PersistenceEvent): void => this.onPersistenceEvent(e);
    this.runner = this.config.flushServiceInWorker
      ? new WorkerPersistenceRunner(new URL('../workers/persistence-worker' + moduleExtension(), import.meta.url), this.commitLog.block, settings, listener)
      : new InThreadPersistenceRunner(this.io, this.commitLog.block, settings, listener, this.scheduler, () => this.clock.nowMs());
    this.commitLog.start(this.runner);
    this.timers.every(10, () => this.drainDispatch());
    this.timers.every(this.config.flushIntervalConsumeQueue, () => this.persistConsumeQueues());
    this.timers.every(this.config.flushConsumerOffsetInterval, () => this.offsets.persist());
    this.timers.every(1000, () => this.saveCheckpoint());
    this.timers.every(1000, () => this.commitLog.reclaimBuffers());
    this.timers.every(this.config.cleanResourceInterval, () => this.checkDiskAndRetention());
    this.files.markRunning();
    this.logger.info(
      `store open at ${this.config.storePathRootDir}: ${this.config.flushDiskType}, ${this.commitLog.writeMode} writes, ` +
        (this.config.emulateDevice === 'none' ? '' : `EMULATED ${this.config.emulateDevice} device, `) +
        `persistence ${this.runner.placement}, io ${this.io.backend}, log [${this.commitLog.minOffset}, ${this.commitLog.maxOffset})`,
    );
  }

  private appendAndWait(single: PreparedMessage | null, batch: PreparedBatch | null, waitStoreMsgOk: boolean, storeTimestamp: number): Promise<PutMessageResult> {
    const first = (single ?? batch!.messages[0])!;
    const count = single ? 1 : batch!.messages.length;
    const length = single ? single.totalSizeBytes : batch!.totalSizeBytes;
    const q = this.consumeQueues.findOrCreate(first.topic, first.queueId);
    const txType = first.sysFlag & SYSFLAG_TRANSACTION_MASK;
    const indexed = txType !== SYSFLAG_TRANSACTION_PREPARED && txType !== SYSFLAG_TRANSACTION_ROLLBACK;
    const queueOffset = indexed ? q.nextQueueOffset : 0;
    const appended = this.commitLog.append(length, (target, position, physicalOffset) => {
      if (single) writeRecord(target, position, single, queueOffset, physicalOffset, storeTimestamp);
      else writeBatch(target, position, batch!, queueOffset, physicalOffset, storeTimestamp);
    });
    if (appended.status !== 'PUT_OK') {
      return Promise.resolve(failed(PutMessageStatus.CREATE_MAPPED_FILE_FAILED, this.commitLog.lastCreateError ?? 'segment creation failed'));
    }
    this.putCount += count;
    if (indexed) {
      q.nextQueueOffset += count;
      const messages = single ? [single] : batch!.messages;
      let at = appended.physicalOffset;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        this.dispatch.push(q, queueOffset + i, at, m.totalSizeBytes, m.tagsCode);
        at += m.totalSizeBytes;
      }
    }
    const end = appended.physicalOffset + appended.wroteBytes;
    const replicate = this.role === 'SYNC_MASTER' && waitStoreMsgOk;
    const woke = replicate && this.commitLog.requestCommit(end); // slaves only receive committed bytes
    if (this.wakeOnPut) {
      if (!woke) this.runner.wake();
    } else if (this.dispatch.pending > 0 && this.commitLog.maxOffset >= end) {
      this.drainDispatch();
    }
    // Chores only once the record waits for dispatch: the ConsumeQueue durable offset must never
    // pass a record whose entry is not queued yet (the worker may flush it at any moment).
    if ((this.putCount & 255) < count) this.timers.runDue();
    const result = new PutOk(this.storeHost, single, batch, appended.physicalOffset, queueOffset, appended.wroteBytes, count, storeTimestamp);
    if ((!this.sync || !waitStoreMsgOk) && !replicate) return Promise.resolve(result);
    const flushed = this.sync && waitStoreMsgOk ? this.waiters.wait(end) : Promise.resolve<WaitResult>('ok');
    const replicated = replicate ? (this.replicationGate?.wait(end) ?? Promise.resolve<ReplicationWait>('not-available')) : Promise.resolve<ReplicationWait>('ok');
    return Promise.all([flushed, replicated]).then(([flush, replica]) => this.combine(result, flush, replica));
  }

  /** RocketMQ's rule: a replication failure status wins over a flush timeout. */
  private combine(result: PutOk, flush: WaitResult, replica: ReplicationWait): PutMessageResult {
    if (replica === 'timed-out') return { ...result.toJSON(), status: PutMessageStatus.FLUSH_SLAVE_TIMEOUT, reason: `no slave acknowledged within slaveTimeout=${this.config.slaveTimeout} ms` };
    if (replica === 'not-available') return { ...result.toJSON(), status: PutMessageStatus.SLAVE_NOT_AVAILABLE, reason: 'no slave connected, or every slave is too far behind' };
    if (flush === 'ok') return result;
    if (flush === 'timed-out') return { ...result.toJSON(), status: PutMessageStatus.FLUSH_DISK_TIMEOUT, reason: `not flushed within syncFlushTimeout=${this.config.syncFlushTimeout} ms` };
    if (flush === 'stalled') {
      const reason = 'disk full: the commit to the CommitLog file failed with ENOSPC; the message is kept in memory and written when space frees';
      return { ...result.toJSON(), status: PutMessageStatus.FLUSH_DISK_TIMEOUT, reason };
    }
    return { ...result.toJSON(), status: PutMessageStatus.SERVICE_NOT_AVAILABLE, reason: this.failure ?? 'store failed' };
  }

  private refusal(): PutMessageResult | null {
    this.assertOpen();
    const block = this.commitLog.block;
    if (this.failure !== null || block.loadFlag('failed') !== 0) {
      return failed(PutMessageStatus.SERVICE_NOT_AVAILABLE, this.failure ?? 'the persistence service failed (an fdatasync or write error)');
    }
    if (this.cqFailure !== null) return failed(PutMessageStatus.SERVICE_NOT_AVAILABLE, this.cqFailure);
    if (this.role === 'SLAVE') return failed(PutMessageStatus.SERVICE_NOT_AVAILABLE, 'this store is a SLAVE');
    if (this.diskFullReason !== null) return failed(PutMessageStatus.SERVICE_NOT_AVAILABLE, this.diskFullReason);
    if (block.loadFlag('diskFull') !== 0) return failed(PutMessageStatus.SERVICE_NOT_AVAILABLE, 'disk full: commits fail with ENOSPC');
    return null;
  }

  /** Room in the dispatch queue for `count` more records (checked before anything is appended). */
  private dispatchBusy(count: number): PutMessageResult | null {
    if (this.dispatch.pending + count <= MAX_PENDING_DISPATCH) return null;
    return failed(PutMessageStatus.OS_PAGE_CACHE_BUSY, `too many records wait for dispatch (${this.dispatch.pending})`);
  }

  private checkQueueId(queueId: number): PutMessageResult | null {
    if (queueId > this.config.maxQueueId) {
      return failed(PutMessageStatus.MESSAGE_ILLEGAL, `queueId ${queueId} is above maxQueueId=${this.config.maxQueueId}`);
    }
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
      bornHost: LOCAL_HOST,
      storeHost: this.storeHost,
    } as MessageInput;
  }

  private readMessage(physicalOffset: number, size: number): StoredMessage | null {
    const bytes = this.commitLog.read(physicalOffset, size);
    if (bytes.byteLength < size) return null;
    const r = readRecord(bytes, 0, { checkCrc: false, readBody: true });
    if (r.kind !== 'message') return null;
    return { ...r.msg, msgId: offsetMsgId(r.msg.storeHost, physicalOffset) };
  }

  /** Move records whose bytes are visible into their ConsumeQueues; returns the visible offset
   * (every record that ends at or below it is dispatched: every appended record is queued before
   * any chore runs, see appendAndWait). */
  private drainDispatch(): number {
    const p = this.commitLog.block;
    const visible = this.sync ? p.load('flushed') : p.load('committed');
    this.dispatch.drain(visible);
    return visible;
  }

  /** Write and fsync the ConsumeQueue tails, then record the offset they cover in the checkpoint.
   * A write error (e.g. ENOSPC) refuses puts until a later round succeeds (the tail is still in
   * memory); an fdatasync error is final (fail-stop), since the failed pages may be gone. */
  /** Write the ConsumeQueue tails (on this thread: pwrites of memory) and fdatasync them — off
   * this thread (libuv's pool) on the timer, where an fdatasync racing the CommitLog's flush
   * took 3-14 ms; in this thread at close. The checkpoint's durable offset moves only once the
   * fdatasyncs returned. One round at a time. */
  private persistConsumeQueues(inThread = false): void {
    if (this.cqSyncInFlight) return;
    const covered = this.drainDispatch();
    let fds: number[];
    try {
      fds = this.consumeQueues.writeTails();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (this.cqFailure === null) this.logger.error(`writing ConsumeQueues failed, puts are refused until it succeeds: ${e.message}`);
      this.cqFailure = `ConsumeQueue write failed: ${e.message}`;
      return;
    }
    if (this.cqFailure !== null) this.logger.info('ConsumeQueues written again, puts resume');
    this.cqFailure = null;
    const synced = (): void => {
      if (this.failure === null) this.checkpoint.values.consumeQueueDurableOffset = covered;
    };
    if (inThread) {
      try {
        for (const fd of fds) this.io.fdatasync(fd);
      } catch (err) {
        this.onConsumeQueueSyncFailed(err as NodeJS.ErrnoException);
        return;
      }
      synced();
      return;
    }
    this.cqSyncInFlight = Promise.all(fds.map((fd) => this.io.fdatasyncAsync(fd)))
      .then(synced, (err: NodeJS.ErrnoException) => this.onConsumeQueueSyncFailed(err))
      .finally(() => {
        this.cqSyncInFlight = null;
      });
  }

  /** The failed pages may be gone from the page cache while the tail is no longer in memory: a
   * later successful fdatasync would claim entries that never reached the disk. Fail-stop. */
  private onConsumeQueueSyncFailed(e: NodeJS.ErrnoException): void {
    this.failure ??= `ConsumeQueue fdatasync failed (${e.code ?? 'error'}): ${e.message}; restart the store to rebuild the queues from the CommitLog`;
    this.logger.error(this.failure);
  }

  private saveCheckpoint(): void {
    const flushed = this.commitLog.flushedOffset;
    this.timers.sampleCheckpoint(this.checkpoint, flushed, this.commitLog.wroteOffset, this.clock.nowMs());
    this.checkpoint.values.confirmPhyOffset = flushed;
    try {
      this.checkpoint.save();
    } catch (err) {
      this.logger.error(`saving the checkpoint failed: ${(err as Error).message}`);
    }
  }

  /** Refuse puts while the disk is above the warning level; delete what retention allows. */
  private checkDiskAndRetention(): void {
    const pressure = diskPressure(this.diskUsage(this.config.storePathCommitLog), this.config);
    const percent = (pressure.usedRatio * 100).toFixed(1);
    if (pressure.full && this.diskFullReason === null) {
      this.diskFullReason = `disk ${percent}% used, at or above diskSpaceWarningLevelRatio=${this.config.diskSpaceWarningLevelRatio}`;
      this.logger.error(`${this.diskFullReason}: puts are refused until space frees`);
    } else if (!pressure.full && this.diskFullReason !== null) {
      this.diskFullReason = null;
      this.logger.info(`disk ${percent}% used: puts resume`);
    }
    // Retention closes ConsumeQueue files: never while an fdatasync of the last round may be
    // running on one of them (the next check, cleanResourceInterval later, does it)
    if (this.cqSyncInFlight) return;
    runRetention(this.commitLog, this.consumeQueues, this.config, pressure, new Date(this.clock.nowMs()), this.logger.child('retention'));
  }

  private onPersistenceEvent(e: PersistenceEvent): void {
    if (e.type === 'failed') {
      this.failure = `${e.code}: ${e.message}`;
      this.logger.error(`persistence service failed, the store no longer accepts writes: ${this.failure}`);
    } else if (e.type === 'disk-full') {
      this.logger.error(`disk full, puts are refused until space frees: ${e.message}`);
    } else if (e.type === 'disk-space-ok') {
      this.logger.info('disk space available again, puts resume');
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(ErrorCode.CLOSED, 'the message store is closed');
  }
}

/** A PUT_OK result; the message id string is built only when read. */
class PutOk implements PutMessageResult {
  readonly status = PutMessageStatus.PUT_OK;
  private ids: string | null = null;

  constructor(
    private readonly storeHost: { address: Uint8Array; port: number },
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

function failed(status: PutMessageResult['status'], reason: string): PutMessageResult {
  return { status, offsetMsgId: null, physicalOffset: -1, queueOffset: -1, wroteBytes: 0, messageCount: 0, storeTimestamp: 0, reason };
}

/** mmap only for ASYNC_FLUSH without the pool or writeWithoutMmap: under SYNC_FLUSH a write to a
 * mapped page that the last fdatasync is writing back waits for it, which halves throughput
 * here (docs/BENCH_STORE.md); the staging buffer + worker pwrite path does not. */
function chooseWriteMode(config: Readonly<MessageStoreConfig>, io: FileIO, pooled: boolean): 'mmap' | 'buffer' {
  if (!io.capabilities.mmap || pooled || config.writeWithoutMmap) return 'buffer';
  return config.flushDiskType === 'SYNC_FLUSH' ? 'buffer' : 'mmap';
}

function ipv4Bytes(ip: string): Uint8Array {
  const parts = ip.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? new Uint8Array(parts) : new Uint8Array([127, 0, 0, 1]);
}

/** '.ts' when running from source (tests), '.js' from dist/. */
function moduleExtension(): string {
  return import.meta.url.endsWith('.ts') ? '.ts' : '.js';
}
