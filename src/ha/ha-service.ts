// HA wiring for one store: a master (ASYNC_MASTER / SYNC_MASTER) runs an HaServer and makes it
// the store's ReplicationGate; a SLAVE runs an HaClient that appends to the store. promote()
// turns a slave into a master at run time (client stopped, role changed, server started); the
// log and queue offsets stay as they are. Every start as master, and every promotion, begins a
// new epoch at the log end (epoch-history.ts, saved in the store's haEpochs file) before the
// first slave is accepted, tagged with this store's id (store-identity.ts, created on the first
// start), which the epoch frame also carries.
//
// The store comes in through the structural HaStore interface (MessageStore satisfies it), so
// src/ha does not import src/store at run time. HaStatus is plain JSON for the CLI and admin.
// The network, clock and timers come from HaOptions (transport, clock, scheduler); this is the
// one place HA falls back to the production ones (tcpTransport, systemClock, realScheduler).
import type { BrokerRole, MessageStoreConfig } from '../config/store-config.js';
import { parseHostPort } from '../config/value-formats.js';
import { ErrorCode, StoreError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { Transport } from '../net/transport.js';
import type { ReplicationGate, ReplicationSource } from '../replication/replication-types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Scheduler } from '../util/scheduler.js';
import { HaClient, type HaDivergence, type ReplicaLog } from './ha-client.js';
import { EpochFile } from './epoch-file.js';
import { beginEpoch, type EpochEntry } from './epoch-history.js';
import { haRuntime, type HaRuntime } from './ha-runtime.js';
import type { HaSenderFactory } from './ha-sender.js';
import { chooseSenderFactory } from './ha-sender-choice.js';
import { HaServer, type HaSlaveEntry } from './ha-server.js';
import { MetadataSync, type MetadataSyncStatus } from './metadata-sync.js';
import { loadOrCreateStoreId } from './store-identity.js';

/** What HA needs from a MessageStore. */
export interface HaStore {
  readonly brokerRole: BrokerRole;
  readonly fileIO: FileIO;
  changeRole(role: BrokerRole): void;
  setReplicationGate(gate: ReplicationGate | null): void;
  replicationSource(): ReplicationSource;
  appendReplicated(offset: number, bytes: Uint8Array): { status: string; maxOffset: number; reason?: string };
  /** Resolve once bytes below `offset` are committed (page cache); see MessageStore. */
  waitCommitted(offset: number, timeoutMs: number): Promise<'ok' | 'timed-out'>;
  runtimeInfo(): { wroteOffset: number };
  /** The committed end of the CommitLog (cheap: read on every acknowledgement). */
  getMaxPhyOffset(): number;
  /** A master's consumer offsets as consumerOffset.json text (served to syncing slaves). */
  consumerOffsetsJson(): string;
  /** A slave takes its master's consumer offsets (metadata-sync.ts); throws on malformed text. */
  adoptConsumerOffsets(json: string): number;
}

export type HaConfig = Pick<
  MessageStoreConfig,
  | 'brokerRole'
  | 'brokerIP1'
  | 'haListenPort'
  | 'haMasterAddress'
  | 'haSendHeartbeatInterval'
  | 'haHousekeepingInterval'
  | 'haMetadataSyncInterval'
  | 'haTransferBatchSize'
  | 'haTransferMode'
  | 'ioBackend'
  | 'haMaxGapNotInSync'
  | 'haSlaveFallbehindMax'
  | 'slaveTimeout'
  | 'inSyncReplicas'
  | 'mappedFileSizeCommitLog'
  | 'storePathRootDir'
  | 'brokerId'
  | 'haRejoinTruncateMaxBytes'
  | 'haRejoinAllowTruncate'
>;

export interface HaOptions {
  /** Address the master binds (default: brokerIP1, which defaults to 127.0.0.1). */
  listenHost?: string;
  /** Overrides haListenPort (0 = any free port). */
  listenPort?: number;
  /** Longest idle wait of a master's sender before it looks for new bytes (default 10 ms). */
  idleWaitMs?: number;
  senderFactory?: HaSenderFactory;
  /** The network (default tcpTransport). */
  transport?: Transport;
  /** Time (default systemClock). */
  clock?: Clock;
  /** Timers (default realScheduler). */
  scheduler?: Scheduler;
  /** Uniform in [0, 1): reconnect jitter (default Math.random; tests and the simulator pass a
   * seeded one). */
  random?: () => number;
  connectTimeoutMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

/** One slave as the master reports it (the server's entry without its internal timestamp). */
export type HaSlaveJson = Omit<HaSlaveEntry, 'lastAckTimeMs'>;

export interface HaMasterStatus {
  role: 'ASYNC_MASTER' | 'SYNC_MASTER';
  listenPort: number;
  masterMaxOffset: number;
  /** The offset inSyncReplicas slaves acknowledged (SYNC_MASTER puts below it are confirmed). */
  replicatedOffset: number;
  slaves: HaSlaveJson[];
}

export interface HaReplicaStatus {
  role: 'SLAVE';
  masterAddress: string;
  connected: boolean;
  slaveMaxOffset: number;
  /** The master's offset as last seen in a frame header (-1 before any); a lower bound. */
  masterMaxOffset: number;
  lagBytes: number;
  lastError: string | null;
  receivedBytes: number;
  /** Wall-clock ms of the last read from / report to the master (0 = never). */
  lastReadTimestamp: number;
  lastWriteTimestamp: number;
  /** Set when replication stopped because this log diverged from the master's. */
  diverged: HaDivergence | null;
  /** Reconnects since replication last made progress, and the delay of the pending one (0: none). */
  consecutiveFailures: number;
  reconnectDelayMs: number;
  /** The consumer-offset sync from the master (haMetadataSyncInterval); null when it is off. */
  metadataSync: MetadataSyncStatus | null;
}

export type HaStatus = HaMasterStatus | HaReplicaStatus;

export interface HaService {
  readonly role: BrokerRole;
  /** The master's HA port (the real one when haListenPort was 0); undefined on a slave. */
  readonly port: number | undefined;
  status(): HaStatus;
  /** SLAVE -> master: stop replicating, change the store's role, start accepting slaves. */
  promote(role?: 'ASYNC_MASTER' | 'SYNC_MASTER'): Promise<void>;
  close(): Promise<void>;
}

const DEFAULT_IDLE_WAIT_MS = 10;
/** Longest one metadata sync attempt may take (connect, epoch frame, metadata frame). */
const METADATA_ATTEMPT_TIMEOUT_MS = 5000;
/** Longest wait, when promoted, for the written log to be committed before slaves connect. */
const PROMOTE_COMMIT_WAIT_MS = 5000;

export async function startHa(store: HaStore, config: Readonly<HaConfig>, logger: Logger, options: HaOptions = {}): Promise<HaService> {
  const service = new HaNode(store, config, logger, options);
  await service.start();
  return service;
}

class HaNode implements HaService {
  private server: HaServer | null = null;
  private client: HaClient | null = null;
  private metadataSync: MetadataSync | null = null;
  private closed = false;
  private readonly epochFile: EpochFile;
  private epochs: readonly EpochEntry[];
  private readonly runtime: HaRuntime;
  private readonly storeId: string;

  constructor(
    private readonly store: HaStore,
    private readonly config: Readonly<HaConfig>,
    private readonly logger: Logger,
    private readonly options: HaOptions,
  ) {
    this.runtime = haRuntime(options);
    this.epochFile = new EpochFile(store.fileIO, config.storePathRootDir);
    this.epochs = this.epochFile.load();
    this.storeId = loadOrCreateStoreId(store.fileIO, config.storePathRootDir, this.runtime.random);
  }

  get role(): BrokerRole {
    return this.store.brokerRole;
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  async start(): Promise<void> {
    if (this.store.brokerRole === 'SLAVE') {
      this.startClient();
      return;
    }
    this.beginNewEpoch();
    await this.startServer();
  }

  status(): HaStatus {
    const role = this.store.brokerRole;
    if (role !== 'SLAVE') {
      // (no server yet while a promotion is starting it, or after close)
      const slaves = (this.server?.slaves() ?? []).map(({ address, ackedOffset, lagBytes, transferredBytes, transferFromOffset, inSync }) => ({
        address,
        ackedOffset,
        lagBytes,
        transferredBytes,
        transferFromOffset,
        inSync,
      }));
      const masterMaxOffset = this.store.replicationSource().maxOffset();
      return { role, listenPort: this.server?.port ?? 0, masterMaxOffset, replicatedOffset: this.server?.replicatedOffset ?? 0, slaves };
    }
    const s = this.client?.status();
    return {
      role: 'SLAVE',
      masterAddress: s?.masterAddress ?? this.config.haMasterAddress ?? '',
      connected: s?.connected ?? false,
      slaveMaxOffset: s?.slaveMaxOffset ?? this.store.runtimeInfo().wroteOffset,
      masterMaxOffset: s?.masterMaxOffset ?? -1,
      lagBytes: s?.lagBytes ?? 0,
      lastError: s?.lastError ?? null,
      receivedBytes: s?.receivedBytes ?? 0,
      lastReadTimestamp: s?.lastReadTimestamp ?? 0,
      lastWriteTimestamp: s?.lastWriteTimestamp ?? 0,
      diverged: s?.diverged ?? null,
      consecutiveFailures: s?.consecutiveFailures ?? 0,
      reconnectDelayMs: s?.reconnectDelayMs ?? 0,
      metadataSync: this.metadataSync?.status() ?? null,
    };
  }

  async promote(role: 'ASYNC_MASTER' | 'SYNC_MASTER' = 'ASYNC_MASTER'): Promise<void> {
    if (this.closed) throw new StoreError(ErrorCode.CLOSED, 'the HA service is closed');
    if (this.store.brokerRole !== 'SLAVE') throw new StoreError(ErrorCode.INVALID_ARGUMENT, `promote: this store is ${this.store.brokerRole}, not SLAVE`);
    const client = this.client;
    this.client = null;
    this.stopMetadataSync();
    await client?.close();
    // the role change and the new epoch in one synchronous step: no put can land between them
    // (its bytes would count for the old master's epoch)
    this.store.changeRole(role);
    const at = this.beginNewEpoch();
    this.logger.info(`promoted to ${role} at offset ${at}`);
    // slaves are told the master's committed end: let it reach the epoch's start first
    await this.store.waitCommitted(at, PROMOTE_COMMIT_WAIT_MS);
    await this.startServer();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const client = this.client;
    const server = this.server;
    this.client = null;
    this.server = null;
    this.stopMetadataSync();
    if (server) this.store.setReplicationGate(null);
    await Promise.all([client?.close(), server?.close()]);
  }

  private startClient(): void {
    const target = this.config.haMasterAddress === null ? undefined : parseHostPort(this.config.haMasterAddress);
    if (target === undefined) throw new StoreError(ErrorCode.CONFIG, `a SLAVE needs haMasterAddress (host:port), got ${String(this.config.haMasterAddress)}`);
    const c = this.config;
    this.client = new HaClient(
      replicaLog(this.store, {
        epochs: () => this.epochs,
        adopt: (entries) => {
          this.epochFile.save(entries);
          this.epochs = entries;
        },
      }),
      {
        host: target.host,
        port: target.port,
        heartbeatIntervalMs: c.haSendHeartbeatInterval,
        housekeepingIntervalMs: c.haHousekeepingInterval,
        transferBatchBytes: c.haTransferBatchSize,
        segmentBytes: c.mappedFileSizeCommitLog,
        connectTimeoutMs: this.options.connectTimeoutMs,
        backoffMinMs: this.options.backoffMinMs,
        backoffMaxMs: this.options.backoffMaxMs,
        rejoinRules: { storeId: this.storeId, brokerId: c.brokerId, truncateMaxBytes: c.haRejoinTruncateMaxBytes, allowTruncate: c.haRejoinAllowTruncate },
      },
      this.logger.child('ha-client'),
      this.runtime,
    );
    this.client.start();
    if (c.haMetadataSyncInterval > 0) {
      const adopt = (json: string): number => this.store.adoptConsumerOffsets(json);
      const attemptTimeoutMs = this.options.connectTimeoutMs ?? METADATA_ATTEMPT_TIMEOUT_MS;
      this.metadataSync = new MetadataSync({ host: target.host, port: target.port, intervalMs: c.haMetadataSyncInterval, attemptTimeoutMs, adopt }, this.logger.child('metadata-sync'), this.runtime);
      this.metadataSync.start();
    }
  }

  private stopMetadataSync(): void {
    this.metadataSync?.close();
    this.metadataSync = null;
  }

  /** This node becomes master at its log end: a new epoch there, saved before any slave hears
   * of it. Returns the offset. */
  private beginNewEpoch(): number {
    const at = this.store.runtimeInfo().wroteOffset;
    const epochs = beginEpoch(this.epochs, at, this.config.brokerId, this.storeId);
    this.epochFile.save(epochs);
    this.epochs = epochs;
    this.logger.info(`epoch ${epochs[epochs.length - 1]!.epoch} begins at offset ${at}`);
    return at;
  }

  private async startServer(): Promise<void> {
    const c = this.config;
    this.server = await HaServer.listen(
      this.store.replicationSource(),
      {
        host: this.options.listenHost ?? c.brokerIP1,
        port: this.options.listenPort ?? c.haListenPort,
        inSyncReplicas: c.inSyncReplicas,
        // haMaxGapNotInSync (5.x) and haSlaveFallbehindMax (4.x) name the same rule: the stricter wins
        maxGapNotInSyncBytes: Math.min(c.haMaxGapNotInSync, c.haSlaveFallbehindMax),
        slaveTimeoutMs: c.slaveTimeout,
        transferBatchBytes: c.haTransferBatchSize,
        heartbeatIntervalMs: c.haSendHeartbeatInterval,
        housekeepingIntervalMs: c.haHousekeepingInterval,
        idleWaitMs: this.options.idleWaitMs ?? DEFAULT_IDLE_WAIT_MS,
        senderFactory: this.options.senderFactory ?? chooseSenderFactory(c, this.logger, undefined, this.runtime.transport),
        epochs: () => this.epochs,
        storeId: this.storeId,
        metadata: () => this.store.consumerOffsetsJson(),
      },
      this.logger.child('ha-server'),
      this.runtime,
    );
    this.store.setReplicationGate(this.server);
  }
}

/** The slave store as the client sees it; the end offset is cached (only appends move it). */
function replicaLog(store: HaStore, epochs: { epochs(): readonly EpochEntry[]; adopt(entries: readonly EpochEntry[]): void }): ReplicaLog {
  let end = -1;
  return {
    epochs: () => epochs.epochs(),
    adoptEpochs: (entries) => epochs.adopt(entries),
    ackableOffset: () => store.getMaxPhyOffset(),
    whenAckable: async (offset, timeoutMs) => {
      await store.waitCommitted(offset, timeoutMs);
    },
    maxOffset: () => (end >= 0 ? end : store.runtimeInfo().wroteOffset),
    append: (offset, bytes) => {
      const r = store.appendReplicated(offset, bytes);
      end = r.maxOffset;
      return r;
    },
  };
}
