// The parts of one open store that its rooms share (put path, get path, replica appends,
// ConsumeQueue persistence, truncation, status): built once by MessageStore.open and handed to
// each room. It owns no behaviour; it is the wiring diagram as data. `policy` and `runner` are
// the two parts that change while the store is open (a promotion installs another policy state;
// a live truncation restarts the persistence service).
import type { Checkpoint } from '../commitlog/checkpoint.js';
import type { CommitLog } from '../commitlog/commit-log.js';
import type { RecoveryResult } from '../commitlog/recovery.js';
import type { MessageStoreConfig } from '../config/store-config.js';
import type { ConsumeQueueStore } from '../consumequeue/consume-queue-store.js';
import type { ConsumerOffsets } from '../consumequeue/consumer-offsets.js';
import type { QueueManifest } from '../consumequeue/queue-manifest.js';
import type { PersistenceRunner } from '../flush/persistence-runner.js';
import type { FileIO } from '../io/file-io.js';
import type { ReplicationPolicy } from '../replication/replication-policy.js';
import type { TransientStorePool } from '../segment/transient-store-pool.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Scheduler } from '../util/scheduler.js';
import type { StoreDispatch } from './store-dispatch.js';
import type { StoreHealth } from './store-health.js';
import type { StoreTimers } from './store-timers.js';

export interface StoreCore {
  readonly config: Readonly<MessageStoreConfig>;
  readonly io: FileIO;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly commitLog: CommitLog;
  readonly consumeQueues: ConsumeQueueStore;
  readonly offsets: ConsumerOffsets;
  /** config/consumeQueues.json: which queues exist (consume-queue-check.ts). */
  readonly queueManifest: QueueManifest;
  readonly checkpoint: Checkpoint;
  readonly pool: TransientStorePool | null;
  readonly health: StoreHealth;
  readonly dispatch: StoreDispatch;
  readonly timers: StoreTimers;
  policy: ReplicationPolicy;
  /** Set by start(); replaced by a live truncation. */
  runner: PersistenceRunner | null;
  /** A live truncation runs: appends are refused. */
  truncating: boolean;
  /** storeTimestamp of the newest record appended (a replicated record keeps its master's): what
   * the checkpoint's physicMsgTimestamp is stamped with once that record is flushed (recovery
   * compares it with the records' own timestamps, RocketMQ's rule). The checkpoint's value at open. */
  lastStoreTimestamp: number;
  /** Messages appended since open (client puts and replicated records). */
  putCount: number;
  lastRecovery: RecoveryResult | null;
}
