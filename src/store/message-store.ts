// MessageStore: the composition root and public API of one store directory. Wiring and
// lifecycle only: open (lock, load, recover, start services), close, and the public calls, each
// handed to the room that does the work:
//   put-path.ts              putMessage / putMessages (validate, admit, append, wait)
//   get-path.ts              getMessage / getMessageRaw (raw-read-path.ts) / lookMessageByOffset
//   replica-appender.ts      appendReplicated (follower side of replication)
//   log-truncation.ts        truncateLog (live, on a follower)
//   raft-log-access.ts       raftLog (DLedger: positions, written bytes, the term marker)
//   consume-queue-persistence.ts, store-recovery.ts, persistence-setup.ts, runtime-info.ts
// What a put waits for and what consumers may see is the replication policy's decision
// (src/replication/); this file never looks at a role.
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from '../commitlog/checkpoint.js';
import { CommitLog } from '../commitlog/commit-log.js';
import { loadStoreConfig, type StoreConfigInput } from '../config/load-config.js';
import type { BrokerRole, MessageStoreConfig } from '../config/store-config.js';
import { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import { ConsumerOffsets } from '../consumequeue/consumer-offsets.js';
import { QueueManifest } from '../consumequeue/queue-manifest.js';
import { ErrorCode, StoreError } from '../errors.js';
import type { PersistencePosition } from '../flush/persistence-layout.js';
import type { PersistenceRunner } from '../flush/persistence-runner.js';
import { PositionWaiters } from '../flush/position-waiters.js';
import type { FileIO } from '../io/file-io.js';
import { selectFileIO } from '../io/select-io.js';
import { awaitingRaft } from '../replication/awaiting-raft.js';
import { ClassicReplication } from '../replication/classic-replication.js';
import type { ReplicationPolicy } from '../replication/replication-policy.js';
import type { ReplicationGate, ReplicationSource } from '../replication/replication-types.js';
import { TransientStorePool } from '../segment/transient-store-pool.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { WaitOutcome } from '../util/control-block.js';
import { LocalWaits } from '../util/local-waits.js';
import { consoleLogger, type Logger } from '../util/logger.js';
import { realScheduler, type Scheduler } from '../util/scheduler.js';
import { ConsumeQueuePersistence } from './consume-queue-persistence.js';
import { checkDiskAndRetention, warnIfForcedCleanup } from './disk-guard.js';
import { statfsUsage, type DiskUsageProbe } from './disk-space.js';
import { GetPath } from './get-path.js';
import { truncateLog, type TruncationResult } from './log-truncation.js';
import { chooseWriteMode, createPersistenceRunner } from './persistence-setup.js';
import { PutPath, storeHostOf } from './put-path.js';
import { ReplicaAppender, type ReplicatedAppendResult } from './replica-appender.js';
import { commitLogReplicationSource } from './replication-source.js';
import { raftLogAccess, type RaftLogAccess } from './raft-log-access.js';
import { runtimeInfo, type StoreRuntimeInfo } from './runtime-info.js';
import type { GetMessageRequest, GetMessageResult, PutMessageInput, PutMessageResult, StoredMessage } from './statuses.js';
import type { RawReadResult } from './raw-read-path.js';
import type { StoreCore } from './store-core.js';
import { StoreDispatch } from './store-dispatch.js';
import { ensureStoreDirs } from './store-dirs.js';
import { StoreFiles } from './store-files.js';
import { StoreHealth } from './store-health.js';
import { closeStore } from './store-shutdown.js';
import { loadAndRecover } from './store-recovery.js';
import { StoreTimers } from './store-timers.js';

export type { StoreRuntimeInfo } from './runtime-info.js';
export type { TruncationResult } from './log-truncation.js';

export interface MessageStoreDependencies {
  logger?: Logger;
  clock?: Clock;
  scheduler?: Scheduler;
  /** Used fraction of the disk holding a directory (default: statfs). */
  diskUsage?: DiskUsageProbe;
  /** The file backend (default: chosen by the ioBackend key); the simulator passes its disk. */
  io?: FileIO;
}

export class MessageStore {
  private closed = false;
  private readonly core: StoreCore;
  private readonly classic: ClassicReplication;
  private readonly puts: PutPath;
  private readonly gets: GetPath;
  private readonly replica: ReplicaAppender;
  private readonly cqPersistence: ConsumeQueuePersistence;
  private readonly flushWaiters: PositionWaiters<PersistencePosition>;

  private constructor(
    readonly config: Readonly<MessageStoreConfig>,
    io: FileIO,
    logger: Logger,
    clock: Clock,
    scheduler: Scheduler,
    private readonly files: StoreFiles,
    commitLog: CommitLog,
    pool: TransientStorePool | null,
    private readonly diskUsage: DiskUsageProbe,
  ) {
    const block = commitLog.block;
    const health = new StoreHealth(block);
    this.classic = new ClassicReplication(config.brokerRole, {
      beforeLeading: () => this.replica.completeFiller(),
      onRoleChanged: (from, to) => {
        this.replica.reset();
        logger.info(`role change: ${from} -> ${to} at offset ${commitLog.wroteOffset}`);
      },
    });
    this.core = {
      config,
      io,
      logger,
      clock,
      scheduler,
      commitLog,
      consumeQueues: new ConsumeQueueStore(io, join(config.storePathRootDir, 'consumequeue'), config.mappedFileSizeConsumeQueue, logger.child('cq')),
      offsets: new ConsumerOffsets(io, join(config.storePathRootDir, 'config', 'consumerOffset.json'), logger.child('offsets')),
      queueManifest: new QueueManifest(io, join(config.storePathRootDir, 'config', 'consumeQueues.json'), logger.child('cq')),
      checkpoint: new Checkpoint(io, config.storePathRootDir),
      pool,
      health,
      dispatch: new StoreDispatch(block, config.flushDiskType === 'SYNC_FLUSH', config.readUnCommitted, () => this.core.policy),
      timers: new StoreTimers(scheduler, logger.child('timers'), () => clock.monotonicMs()),
      policy: config.enableDLegerCommitLog ? awaitingRaft : this.classic,
      runner: null,
      truncating: false,
      lastStoreTimestamp: 0,
      putCount: 0,
      lastRecovery: null,
    };
    // failed: the persistence service's flag or any other fail-stop (a ConsumeQueue fdatasync)
    this.flushWaiters = new PositionWaiters(block, 'flushed', config.syncFlushTimeout, () =>
      this.core.health.failed ? 'failed' : block.load('diskFull') !== 0 ? 'stalled' : 'ok',
    );
    this.puts = new PutPath(this.core, this.flushWaiters, storeHostOf(config));
    this.gets = new GetPath(this.core, (totalmem() * config.accessMessageInMemoryMaxRatio) / 100);
    this.replica = new ReplicaAppender(this.core, this.puts.wakesOnAppend);
    this.cqPersistence = new ConsumeQueuePersistence(this.core);
  }

  /** Open (and recover) the store described by `input`: config keys, and optionally `configFile`. */
  static async open(input: StoreConfigInput = {}, deps: MessageStoreDependencies = {}): Promise<MessageStore> {
    const config = loadStoreConfig(input, { warn: (m) => (deps.logger ?? consoleLogger('config')).warn(m) });
    const logger = deps.logger ?? consoleLogger('store', config.logLevel);
    const io = deps.io ?? selectFileIO(config.ioBackend, logger.child('io'));
    ensureStoreDirs(io, config);
    const files = new StoreFiles(io, config.storePathRootDir);
    files.lock();
    const pool = config.transientStorePoolEnable
      ? new TransientStorePool(io, config.transientStorePoolSize, config.mappedFileSizeCommitLog, logger.child('pool'))
      : null;
    const scheduler = deps.scheduler ?? realScheduler;
    const commitLog = new CommitLog({
      io,
      dir: config.storePathCommitLog,
      segmentBytes: config.mappedFileSizeCommitLog,
      writeMode: chooseWriteMode(config, io, pool !== null),
      pool,
      warmMappedFile: config.warmMapedFileEnable,
      logger: logger.child('commitlog'),
      scheduler,
    });
    const store = new MessageStore(config, io, logger, deps.clock ?? systemClock, scheduler, files, commitLog, pool, deps.diskUsage ?? statfsUsage);
    try {
      store.core.lastRecovery = loadAndRecover(store.core, files.lastExitAbnormal);
      store.core.lastStoreTimestamp = store.core.checkpoint.values.physicMsgTimestamp;
      await store.start();
      store.checkDiskAndRetention();
    } catch (err) {
      await store.abortOpen();
      throw err;
    }
    return store;
  }

  putMessage(input: PutMessageInput): Promise<PutMessageResult> {
    this.assertOpen();
    return this.puts.putMessage(input);
  }

  /** One batch, appended atomically (all to one queue, consecutive queue offsets). */
  putMessages(inputs: readonly PutMessageInput[]): Promise<PutMessageResult> {
    this.assertOpen();
    return this.puts.putMessages(inputs);
  }

  async getMessage(request: GetMessageRequest): Promise<GetMessageResult> {
    this.assertOpen();
    return this.gets.getMessage(request);
  }

  /** What getMessage would return, as record bytes: slices of the log (each with the queue
   * offsets, physical offset and size it covers), no per-message objects; the same statuses,
   * limits and checks (raw-read-path.ts). Synchronous. */
  getMessageRaw(request: GetMessageRequest): RawReadResult {
    this.assertOpen();
    return this.gets.getMessageRaw(request);
  }

  /** The message stored at `physicalOffset`, or null when none is readable there. */
  lookMessageByOffset(physicalOffset: number): StoredMessage | null {
    this.assertOpen();
    return this.gets.lookMessageByOffset(physicalOffset);
  }

  /** Call `listener(topic, queueId)` whenever that queue gets new entries that getMessage can
   * read (the dispatcher's visibility rule applies: committed / flushed / confirmed bytes only).
   * Called on the store's thread, at most once per queue per dispatch round (every 10 ms, and
   * before each read); a listener must be quick and must not throw (a throw is logged). Returns
   * the function that removes the listener. */
  onMessageArrived(listener: (topic: string, queueId: number) => void): () => void {
    this.assertOpen();
    const logger = this.core.logger;
    return this.core.dispatch.onArrival((topic, queueId) => {
      try {
        listener(topic, queueId);
      } catch (err) {
        logger.error(`a message-arrived listener threw for ${topic} queue ${queueId}: ${(err as Error).stack ?? (err as Error).message}`);
      }
    });
  }

  getMaxOffsetInQueue(topic: string, queueId: number): number {
    this.assertOpen();
    this.core.dispatch.drain();
    return this.core.consumeQueues.find(topic, queueId)?.maxOffset ?? 0;
  }

  getMinOffsetInQueue(topic: string, queueId: number): number {
    this.assertOpen();
    return this.core.consumeQueues.find(topic, queueId)?.minOffset ?? 0;
  }

  getMaxPhyOffset(): number {
    this.assertOpen();
    return this.core.commitLog.maxOffset;
  }

  getMinPhyOffset(): number {
    this.assertOpen();
    return this.core.commitLog.minOffset;
  }

  commitOffset(group: string, topic: string, queueId: number, offset: number): void {
    this.assertOpen();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new StoreError(ErrorCode.INVALID_ARGUMENT, `consumer offset must be a non-negative integer, got ${offset}`);
    }
    this.core.offsets.commit(group, topic, queueId, offset);
  }

  queryOffset(group: string, topic: string, queueId: number): number {
    this.assertOpen();
    return this.core.offsets.query(group, topic, queueId);
  }

  /** Every committed consumer offset, as RocketMQ's consumerOffset.json text. */
  consumerOffsetsJson(): string {
    this.assertOpen();
    return this.core.offsets.toJson();
  }

  /** Take another node's consumer offsets (a slave syncing from its master): each offset in
   * `json` (consumerOffset.json text) replaces this store's; malformed text throws
   * ERR_STORE_INVALID_ARGUMENT and changes nothing. Returns how many offsets changed. */
  adoptConsumerOffsets(json: string): number {
    this.assertOpen();
    try {
      return this.core.offsets.adoptJson(json);
    } catch (err) {
      throw new StoreError(ErrorCode.INVALID_ARGUMENT, `consumer offsets from another node are malformed: ${(err as Error).message}`, { cause: err });
    }
  }

  runtimeInfo(): StoreRuntimeInfo {
    return runtimeInfo(this.core);
  }

  /** The store's file backend (replication keeps its own durable files through it). */
  get fileIO(): FileIO {
    return this.core.io;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.puts.abandonStalled('the store is closing');
    await closeStore(this.core, this.files, this.cqPersistence, () => this.saveCheckpoint());
  }

  // ---- replication (src/ha/ builds master/slave on these; src/replication/ decides)

  /** The replication policy in force (what puts wait for, what consumers see). */
  get replication(): ReplicationPolicy {
    return this.core.policy;
  }

  /** Install another replication policy (a Raft member's); null restores the classic one of
   * this store's brokerRole. */
  setReplicationPolicy(policy: ReplicationPolicy | null): void {
    this.assertOpen();
    this.core.policy = policy ?? this.classic;
  }

  get brokerRole(): BrokerRole {
    return this.classic.role;
  }

  /** Classic HA: switch role at run time (promote a slave, demote a master). The log and queue
   * offsets stay. */
  changeRole(role: BrokerRole): void {
    this.assertOpen();
    this.classic.changeRole(role);
  }

  /** Classic HA: SYNC_MASTER puts also wait for this gate (the HA service's slave acks). */
  setReplicationGate(gate: ReplicationGate | null): void {
    this.classic.setGate(gate);
  }

  /** What a master streams to slaves: committed CommitLog bytes and the positions. */
  replicationSource(): ReplicationSource {
    return commitLogReplicationSource(this.core.commitLog, this.config.mappedFileSizeCommitLog, this.config.storePathCommitLog);
  }

  /** Resolve once the CommitLog's bytes below `offset` are committed (in the page cache, where a
   * process crash cannot lose them), asking the commit service to run now: what a slave
   * acknowledges to its master, and where a promoted slave's epoch starts. 'timed-out' after
   * `timeoutMs`. */
  waitCommitted(offset: number, timeoutMs: number): Promise<WaitOutcome> {
    const log = this.core.commitLog;
    log.requestCommit(offset);
    return log.block.waitAtLeastAsync('committed', offset, timeoutMs);
  }

  /** Follower side: append bytes the master sent for `offset` (must continue this log exactly)
   * and index the records in them. Refused unless the replication policy follows. */
  appendReplicated(offset: number, bytes: Uint8Array): ReplicatedAppendResult {
    this.assertOpen();
    return this.replica.append(offset, bytes);
  }

  /** Follower side: cut the log back to `offset` while open (the dropped bytes are copied to a
   * quarantine directory first); see log-truncation.ts. */
  truncateLog(offset: number): Promise<TruncationResult> {
    this.assertOpen();
    return truncateLog(this.core, offset, () => this.startPersistence());
  }

  /** DLedger mode: the log as the Raft glue reads and writes it (raft-log-access.ts). */
  raftLog(): RaftLogAccess {
    this.assertOpen();
    return raftLogAccess(this.core, this.puts);
  }

  // ---- internals

  /** Undo a failed open: stop what started, release the directory. */
  private async abortOpen(): Promise<void> {
    this.closed = true;
    this.core.timers.cancelAll();
    const runner = this.core.runner;
    if (runner) await runner.stop().catch((err: Error) => this.core.logger.error(`stopping the persistence service: ${err.message}`));
    this.core.commitLog.close();
    this.files.unlock();
  }

  private async start(): Promise<void> {
    const core = this.core;
    const config = this.config;
    // attached before the timers, which keep the process alive while a worker loads (it is unref'd)
    const ready = this.startPersistence();
    const timers = core.timers;
    timers.every(10, () => core.dispatch.drain());
    timers.every(config.flushIntervalConsumeQueue, () => this.cqPersistence.persist());
    timers.every(config.flushConsumerOffsetInterval, () => core.offsets.persist());
    timers.every(1000, () => this.saveCheckpoint(true));
    timers.every(1000, () => core.commitLog.reclaimBuffers());
    timers.every(config.cleanResourceInterval, () => this.checkDiskAndRetention());
    this.files.markRunning();
    warnIfForcedCleanup(config, core.logger);
    const log = core.commitLog;
    core.logger.info(
      `store open at ${config.storePathRootDir}: ${config.flushDiskType}, ${log.writeMode} writes, ` +
        (config.emulateDevice === 'none' ? '' : `EMULATED ${config.emulateDevice} device, `) +
        `persistence ${core.runner!.placement}, io ${core.io.backend}, log [${log.minOffset}, ${log.maxOffset})`,
    );
    await ready;
  }

  /** A persistence service attached to the CommitLog and running (at open, and after a live
   * truncation). */
  private async startPersistence(): Promise<PersistenceRunner> {
    const runner = createPersistenceRunner(this.core, (e) => this.core.health.onPersistenceEvent(e, this.core.logger));
    // every position then moves on this thread: serve waits here, on the store's scheduler
    if (runner.placement === 'in-thread') this.core.commitLog.block.serveWaitsLocally(new LocalWaits(this.core.scheduler, this.core.clock));
    this.core.runner = runner;
    this.core.commitLog.start(runner);
    await runner.ready();
    return runner;
  }

  /** `inBackground`: the periodic save, whose fdatasync runs off the writer thread. */
  private saveCheckpoint(inBackground = false): void {
    const { commitLog, checkpoint, timers, logger } = this.core;
    const flushed = commitLog.flushedOffset;
    timers.sampleCheckpoint(checkpoint, flushed, commitLog.wroteOffset, this.core.lastStoreTimestamp);
    checkpoint.values.confirmPhyOffset = flushed;
    const failed = (err: Error): void => logger.error(`saving the checkpoint failed: ${err.message}`);
    try {
      if (inBackground) checkpoint.saveInBackground(failed);
      else checkpoint.save();
    } catch (err) {
      failed(err as Error);
    }
  }

  private checkDiskAndRetention(): void {
    checkDiskAndRetention(this.core, this.diskUsage, this.cqPersistence.syncing);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(ErrorCode.CLOSED, 'the message store is closed');
  }
}
