// One member of the dledger scenario across its incarnations: a real MessageStore on the host's
// SimDisk (kept across boots), opened with in-thread persistence on the incarnation's clock and
// scheduler, and the real DLedger glue (startDLedger: the Raft core, its port, the replication
// policy) over the simulated network. Store and DLedger log lines go to the trace.
//
// A crash is one of two things, chosen by the scenario per seed: a power cut of the SimDisk
// (unsynced writes lost, the last surviving one possibly torn: SYNC_FLUSH, where PUT_OK means
// fsynced on a majority) or a process kill (every write survives, the page cache outlives the
// process: ASYNC_FLUSH, where PUT_OK means written on a majority, DLedger's promise).
//
// Invariants: an incarnation acts only while its SimProcess is alive (a start that a crash cut
// short never resumes: its timers are gone); `store` and `dledger` belong to the current
// incarnation and are null until it has started them; `failed` fires at most once per
// incarnation.
import type { StoreConfigInput } from '../../../src/config/load-config.js';
import { startDLedger, type DLedgerService, type DLedgerStatus } from '../../../src/dledger/dledger-service.js';
import { MessageStore } from '../../../src/store/message-store.js';
import type { SimDisk } from '../sim-disk.js';
import type { SimNetwork } from '../sim-network.js';
import type { SimProcess } from '../sim-process.js';
import type { World } from '../world.js';
import { traceLogger } from './ha-node.js';

export const RAFT_PORT = 40911;
export const DLEDGER_STORE_ROOT = '/store';

export interface DLedgerNodeSettings {
  flushDiskType: 'SYNC_FLUSH' | 'ASYNC_FLUSH';
  segmentBytes: number;
  /** dLegerPeers of the group ("n0-n0:40911;..."). */
  peers: string;
  preferredLeaderId: string | null;
}

export interface DLedgerNodeHooks {
  /** The store of a new incarnation was opened (recovery done), before DLedger starts. */
  recovered(node: DLedgerSimNode, store: MessageStore): void;
  /** A start failed with an exception while the incarnation is alive. */
  failed(node: DLedgerSimNode, err: Error): void;
}

export class DLedgerSimNode {
  process: SimProcess | null = null;
  store: MessageStore | null = null;
  dledger: DLedgerService | null = null;

  constructor(
    readonly host: string,
    readonly disk: SimDisk,
    private readonly world: World,
    private readonly net: SimNetwork,
    private readonly settings: DLedgerNodeSettings,
    private readonly hooks: DLedgerNodeHooks,
  ) {}

  get alive(): boolean {
    return this.process?.alive ?? false;
  }

  get label(): string {
    return this.process?.label ?? this.host;
  }

  /** Started and serving: the store is open and the DLedger member runs. */
  get up(): boolean {
    return this.alive && this.store !== null && this.dledger !== null;
  }

  /** The member's status, or null while it is not up. */
  status(): DLedgerStatus | null {
    return this.up ? this.dledger!.status() : null;
  }

  /** Forget the incarnation's objects (the scenario's crash hook calls this). */
  died(): void {
    this.store = null;
    this.dledger = null;
  }

  boot(): void {
    const p = this.world.boot(this.host);
    this.process = p;
    this.died();
    this.disk.powerOn();
    this.world.log('node', `${p.label} starts`);
    this.start(p).catch((err: Error) => {
      if (p.alive) this.hooks.failed(this, err);
    });
  }

  private async start(p: SimProcess): Promise<void> {
    const logger = traceLogger(this.world, p.label);
    // election jitter from the seed (a stream per incarnation, independent of other draws)
    const jitter = this.world.rng.fork(`${p.label}/dledger-jitter`);
    const deps = { io: this.disk, clock: p.clock, scheduler: p.scheduler, logger: logger.child('store'), diskUsage: () => 0.1 };
    const store = await MessageStore.open(this.config(), deps);
    if (!p.alive) return;
    this.hooks.recovered(this, store);
    this.store = store;
    const dledger = await startDLedger(store, store.config, logger.child('dledger'), {
      transport: this.net.transport(p),
      clock: p.clock,
      scheduler: p.scheduler,
      random: () => jitter.float(),
      listenHost: '0.0.0.0',
    });
    if (!p.alive) return;
    this.dledger = dledger;
    this.world.log('node', `${p.label} is up (log [${store.getMinPhyOffset()}, ${store.getMaxPhyOffset()}))`);
  }

  private config(): StoreConfigInput {
    const s = this.settings;
    return {
      storePathRootDir: DLEDGER_STORE_ROOT,
      brokerName: 'sim-dl',
      brokerRole: 'SYNC_MASTER',
      enableDLegerCommitLog: true,
      dLegerGroup: 'sim-dl',
      dLegerPeers: s.peers,
      dLegerSelfId: this.host,
      preferredLeaderId: s.preferredLeaderId,
      flushServiceInWorker: false,
      flushDiskType: s.flushDiskType,
      mappedFileSizeCommitLog: s.segmentBytes,
      mappedFileSizeConsumeQueue: 20 * 200,
      maxMessageSize: 4096,
      flushIntervalCommitLog: 5,
      flushIntervalConsumeQueue: 20,
      flushConsumerOffsetInterval: 50,
      syncFlushTimeout: 5_000,
      logLevel: 'info',
    };
  }
}
