// One host of the ha scenario across its incarnations: a real MessageStore on the host's SimDisk
// (kept across boots; a crash is a power cut of it), opened with in-thread persistence on the
// incarnation's clock and scheduler, and the real classic HA (startHa; a SLAVE through
// openWithRejoin) over the simulated network. Store, rejoin and HA log lines go to the trace.
//
// Invariants: an incarnation acts only while its SimProcess is alive (a start that a crash cut
// short never resumes: its timers are gone); `store` and `ha` belong to the current incarnation
// and are null until it has started them; every hook the scenario gets (recovered, rejoined,
// failed) fires at most once per incarnation.
import type { StoreConfigInput } from '../../../src/config/load-config.js';
import { EpochFile } from '../../../src/ha/epoch-file.js';
import type { EpochEntry } from '../../../src/ha/epoch-history.js';
import { startHa, type HaService, type HaStore } from '../../../src/ha/ha-service.js';
import { openWithRejoin, type RejoinOutcome } from '../../../src/ha/slave-rejoin.js';
import type { ReplicationGate } from '../../../src/replication/replication-types.js';
import { MessageStore } from '../../../src/store/message-store.js';
import type { Logger } from '../../../src/util/logger.js';
import type { SimDisk } from '../sim-disk.js';
import type { SimNetwork } from '../sim-network.js';
import type { SimProcess } from '../sim-process.js';
import type { World } from '../world.js';

export const HA_PORT = 10912;
export const STORE_ROOT = '/store';

export type MasterRole = 'SYNC_MASTER' | 'ASYNC_MASTER';

export interface NodeSettings {
  flushDiskType: 'SYNC_FLUSH' | 'ASYNC_FLUSH';
  masterRole: MasterRole;
  segmentBytes: number;
  /** Test-only fault: a master's replication gate answers 'ok' at once (the checker must bite). */
  bugGateOkEarly?: boolean;
  /** Test-only fault: a SLAVE skips the start-up rejoin and lies about its history: it saves its
   * master's epoch list as its own before HA starts (so HA's divergence check passes). */
  bugRejoinLies?: boolean;
}

/** Store, HA and rejoin log lines go to the trace (debug dropped). */
export function traceLogger(world: World, component: string): Logger {
  return {
    debug: () => undefined,
    info: (m) => world.log('log', `${component} ${m}`),
    warn: (m) => world.log('log', `${component} WARN ${m}`),
    error: (m) => world.log('log', `${component} ERROR ${m}`),
    child: (name) => traceLogger(world, `${component}.${name}`),
  };
}

export interface NodeHooks {
  /** The store of a new incarnation was opened (recovery done), before any rejoin truncation. */
  recovered(node: HaSimNode, store: MessageStore): void;
  /** openWithRejoin returned (a SLAVE). */
  rejoined(node: HaSimNode, store: MessageStore, outcome: RejoinOutcome): void;
  /** A start failed with an exception while the incarnation is alive. */
  failed(node: HaSimNode, err: Error): void;
  /** The epoch history of `host` as on its disk (for bugRejoinLies). */
  epochsOf(host: string): readonly EpochEntry[];
}

export class HaSimNode {
  process: SimProcess | null = null;
  store: MessageStore | null = null;
  ha: HaService | null = null;
  /** The role this incarnation was started with, and the master it follows (a SLAVE). */
  startedRole: MasterRole | 'SLAVE' = 'SLAVE';
  masterHost: string | null = null;
  private epochCache: { key: string; epochs: readonly EpochEntry[] } | null = null;

  constructor(
    readonly host: string,
    readonly index: number,
    readonly disk: SimDisk,
    private readonly world: World,
    private readonly net: SimNetwork,
    private readonly settings: NodeSettings,
    private readonly hooks: NodeHooks,
  ) {}

  get alive(): boolean {
    return this.process?.alive ?? false;
  }

  get label(): string {
    return this.process?.label ?? this.host;
  }

  /** Started and serving: the store is open and HA runs. */
  get up(): boolean {
    return this.alive && this.store !== null && this.ha !== null;
  }

  /** This node's epoch history as on its disk (cached until the disk syncs or crashes again). */
  epochs(): readonly EpochEntry[] {
    const c = this.disk.counters;
    const key = `${c.fsync}/${c.fsyncDir}/${c.crashes}`;
    if (this.epochCache?.key !== key) this.epochCache = { key, epochs: new EpochFile(this.disk, STORE_ROOT).load() };
    return this.epochCache.epochs;
  }

  /** haRejoinAllowTruncate of the current incarnation (the operator's choice at its boot). */
  private allowTruncate = false;

  /** Boot a new incarnation as `role` (following `masterHost` when SLAVE; `allowTruncate`: the
   * rejoin may drop what it would otherwise refuse to, rejoin-guard.ts). */
  boot(role: MasterRole | 'SLAVE', masterHost: string | null, allowTruncate = false): void {
    this.allowTruncate = allowTruncate;
    const p = this.world.boot(this.host);
    this.process = p;
    this.store = null;
    this.ha = null;
    this.startedRole = role;
    this.masterHost = role === 'SLAVE' ? masterHost : null;
    this.disk.powerOn();
    this.world.log('node', `${p.label} starts as ${role}${role === 'SLAVE' ? ` of ${masterHost}` : ''}`);
    this.start(p, role).catch((err: Error) => {
      if (p.alive) this.hooks.failed(this, err);
    });
  }

  private async start(p: SimProcess, role: MasterRole | 'SLAVE'): Promise<void> {
    const logger = traceLogger(this.world, p.label);
    // reconnect jitter from the seed (a stream per incarnation, independent of other draws)
    const jitter = this.world.rng.fork(`${p.label}/ha-jitter`);
    const runtime = { transport: this.net.transport(p), clock: p.clock, scheduler: p.scheduler, random: () => jitter.float() };
    const config = this.config(role);
    const deps = { io: this.disk, clock: p.clock, scheduler: p.scheduler, logger: logger.child('store'), diskUsage: () => 0.1 };
    const open = async (): Promise<MessageStore> => {
      const store = await MessageStore.open(config, deps);
      if (p.alive) this.hooks.recovered(this, store);
      return store;
    };
    let store: MessageStore;
    if (role === 'SLAVE' && this.settings.bugRejoinLies) {
      store = await open();
      if (!p.alive) return;
      new EpochFile(this.disk, STORE_ROOT).save(this.hooks.epochsOf(this.masterHost!));
      this.world.log('node', `${p.label} BUG: skipped the rejoin and took ${this.masterHost}'s epoch history as its own`);
    } else if (role === 'SLAVE') {
      const opened = await openWithRejoin(open, logger.child('rejoin'), { ...runtime, timeoutMs: 3_000 });
      if (!p.alive) return;
      store = opened.store;
      this.hooks.rejoined(this, store, opened.rejoin);
    } else {
      store = await open();
    }
    if (!p.alive) return;
    this.store = store;
    const haStore = this.settings.bugGateOkEarly && role !== 'SLAVE' ? gateOkEarly(store) : store;
    const ha = await startHa(haStore, store.config, logger.child('ha'), { ...runtime, listenHost: '0.0.0.0', connectTimeoutMs: 3_000, backoffMinMs: 100, backoffMaxMs: 2_000 });
    if (!p.alive) return;
    this.ha = ha;
    this.world.log('node', `${p.label} is up as ${store.brokerRole} (log [${store.getMinPhyOffset()}, ${store.getMaxPhyOffset()}))`);
  }

  private config(role: MasterRole | 'SLAVE'): StoreConfigInput {
    const s = this.settings;
    return {
      storePathRootDir: STORE_ROOT,
      brokerRole: role,
      brokerId: role === 'SLAVE' ? this.index + 1 : 0,
      haListenPort: HA_PORT,
      haMasterAddress: role === 'SLAVE' ? `${this.masterHost}:${HA_PORT}` : null,
      haRejoinAllowTruncate: this.allowTruncate,
      haSendHeartbeatInterval: 1_000,
      haHousekeepingInterval: 6_000,
      slaveTimeout: 2_000,
      inSyncReplicas: 1,
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

/** The bite of the checker test: the store HA sees, with every gate the master installs wrapped
 * to answer 'ok' at once (SYNC_MASTER puts are acknowledged before any slave has the bytes). */
function gateOkEarly(store: MessageStore): HaStore {
  const early = (gate: ReplicationGate | null): ReplicationGate | null => (gate === null ? null : { wait: () => Promise.resolve('ok') });
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'setReplicationGate') return (gate: ReplicationGate | null) => target.setReplicationGate(early(gate));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as HaStore;
}
