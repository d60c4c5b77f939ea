// openNode: the one assembly of a store node, used by `mqstore node`, the tests and embedders.
// From a config (typed keys and/or a .properties file) it opens, in this order:
//   0. the replication security policy (net/replication-security.ts): the Transport every
//      replication connection of this node uses (peer authentication, TLS), or a ConfigError
//      before anything opened when the node is exposed without a secret; then, with `admin`,
//      the admin server's access rules (node-admin.ts prepareNodeAdmin), or a ConfigError
//      before anything opened (a non-loopback admin host without adminTokenFile);
//   1. the store (MessageStore.open); a SLAVE with data first checks its log against the
//      master's and drops diverged bytes (openWithRejoin, ha/slave-rejoin.ts);
//   2. its replication: the classic HA service (a master's server, a slave's client), unless
//      `ha: false`; or, with enableDLegerCommitLog=true, the DLedger member (src/dledger/: the
//      Raft group elects the leader; no HA service, no rejoin check, no promote);
//   3. optionally (`broker`) the gRPC MessagingService for RocketMQ 5 clients (src/broker/);
//   4. optionally (`admin`) the admin/metrics HTTP server (/status, /metrics, /admin/promote).
// Before 1, a promotion recorded in the store directory is applied (promotion-record.ts: a
// promoted node restarted with its old SLAVE config stays a master); every promotion, by
// promote() or POST /admin/promote, is recorded before it happens (persist-promotion.ts).
// The handle is a plain object: the store, its replication, the admin address, status() (plain
// JSON, the same document as GET /status), promote() and one close(), which closes the parts in
// reverse order (admin, broker, HA or DLedger, store) attempting every step (close-steps.ts). If a part fails to
// start, what started is closed and the error is thrown: StoreError / ConfigError keep their
// codes, anything else becomes AdminError ERR_ADMIN_NODE_START.
import { AdminError, AdminErrorCode } from '../admin/admin-error.js';
import { startBroker, type Broker, type BrokerOptions } from '../broker/broker.js';
import { haServiceProvider, noHaProvider, type HaStatusProvider } from '../admin/ha-status-provider.js';
import { identityOf, nodeStatus, type NodeIdentity, type NodeStatus } from '../admin/node-status.js';
import { withTransferRates } from '../admin/transfer-rate.js';
import { loadStoreConfig, type StoreConfigInput } from '../config/load-config.js';
import type { MessageStoreConfig } from '../config/store-config.js';
import { ErrorCode, StoreError } from '../errors.js';
import { startDLedger, type DLedgerOptions, type DLedgerService } from '../dledger/dledger-service.js';
import { startHa, type HaOptions, type HaService } from '../ha/ha-service.js';
import { openWithRejoin, type RejoinOptions, type RejoinOutcome } from '../ha/slave-rejoin.js';
import { parseDLedgerPeers } from '../config/dledger-peers.js';
import { replicationSecurity } from '../net/replication-security.js';
import { MessageStore, type MessageStoreDependencies } from '../store/message-store.js';
import { systemClock } from '../util/clock.js';
import { consoleLogger, type Logger } from '../util/logger.js';
import { selectFileIO } from '../io/select-io.js';
import type { FileIO } from '../io/file-io.js';
import { realScheduler } from '../util/scheduler.js';
import { closeInOrder, type CloseStep } from './close-steps.js';
import { prepareNodeAdmin, startNodeAdmin, type NodeAdminOptions, type PreparedNodeAdmin } from './node-admin.js';
import { persistingPromotion, type DurablePromote } from './persist-promotion.js';
import { promotionAtStart, promotionRecordPath, type PromotionAtStart } from './promotion-record.js';

export interface OpenNodeOptions {
  /** Where every part logs (the store, rejoin, HA, admin get children of it). Default: one line
   * per event on stderr at the config's logLevel (consoleLogger). */
  logger?: Logger;
  /** Options of the HA service (ports, timings, and the injected pieces it takes), or `false`
   * for a node without replication (a master then answers SYNC_MASTER puts SLAVE_NOT_AVAILABLE). */
  ha?: HaOptions | false;
  /** DLedger mode (enableDLegerCommitLog=true): the member's injected pieces; its transport is
   * secured by the replication* keys with the 'dledger' identity (default TCP). */
  dledger?: DLedgerOptions;
  /** Why the node runs no HA service, shown as status().haNote when `ha` is false. */
  haDisabledReason?: string;
  /** Open the admin/metrics HTTP server (off unless given). */
  admin?: NodeAdminOptions;
  /** Serve the gRPC MessagingService on grpcServerPort (off unless given; `mqstore node`
   * always serves it). */
  broker?: BrokerOptions;
  /** The store's injected pieces (clock, scheduler, file backend, disk usage probe). */
  store?: Omit<MessageStoreDependencies, 'logger'>;
  /** The start-up divergence check of a SLAVE (how long to wait for the master; by default it
   * uses the transport, clock and scheduler given in `ha`). */
  rejoin?: RejoinOptions;
  /** Shown as status().version (`mqstore node` passes the package's version; default 'unknown':
   * node/ reads no files of its own). */
  version?: string;
}

export interface NodePromotion {
  previousRole: string;
  brokerRole: string;
  /** The HA port the promoted node now listens on. */
  haPort: number | null;
  /** Where the promotion is recorded (a restart keeps the role; promotion-record.ts). */
  promotionRecord: string;
}

export interface StoreNode {
  readonly store: MessageStore;
  readonly config: Readonly<MessageStoreConfig>;
  /** The node's replication: the classic HA service, or null without one (`ha: false`, DLedger mode). */
  readonly replication: HaService | null;
  /** DLedger mode: this node's Raft member (status, transferLeadership), else null. */
  readonly dledger: DLedgerService | null;
  /** The admin/metrics server's address, or null when it was not asked for. */
  readonly admin: { readonly host: string; readonly port: number; readonly scheme: 'http' | 'https' } | null;
  /** The gRPC MessagingService's address (the real port when 0 was configured), or null when
   * it was not asked for. */
  readonly broker: { readonly host: string; readonly port: number } | null;
  /** What the start-up check of a SLAVE's log against its master did. */
  readonly rejoin: RejoinOutcome;
  /** Whether a recorded promotion decided this node's role at start ('applied': the config said SLAVE). */
  readonly promotionAtStart: PromotionAtStart;
  /** The HA port this node listens on (a master; the real one when 0 was configured), else null. */
  haPort(): number | null;
  /** Identity, positions, runtime info and HA status as plain JSON (what GET /status serves). */
  status(): NodeStatus;
  /** SLAVE -> master (default ASYNC_MASTER): stop replicating, start accepting slaves. */
  promote(role?: 'ASYNC_MASTER' | 'SYNC_MASTER'): Promise<NodePromotion>;
  /** Admin server, then HA, then the store; every step is attempted, the first failure thrown. */
  close(): Promise<void>;
}

export async function openNode(input: StoreConfigInput = {}, givenOptions: OpenNodeOptions = {}): Promise<StoreNode> {
  const dledgerMode = loadStoreConfig(input, { warn: () => {} }).enableDLegerCommitLog;
  const options = dledgerMode ? { ...givenOptions, ha: false as const, haDisabledReason: 'DLedger mode: the Raft group replicates the CommitLog (see dledger)' } : securedReplication(input, givenOptions);
  const clock = options.store?.clock ?? systemClock;
  const bootTimestamp = clock.nowMs();
  const admin = options.admin === undefined ? undefined : preparedAdmin(input, options.admin, options.logger);
  const storeDeps: MessageStoreDependencies = { ...options.store, ...(options.logger ? { logger: options.logger.child('store') } : {}) };
  const recordIo: FileIO = options.store?.io ?? selectFileIO('node');
  const start = promotionAtStart(input, recordIo, options.logger?.child('promotion') ?? consoleLogger('promotion'));
  const open = (): Promise<MessageStore> => MessageStore.open(start.input, storeDeps);
  const rejoinLogger = options.logger?.child('rejoin') ?? consoleLogger('rejoin');
  const { store, rejoin } = options.ha === false ? { store: await open(), rejoin: NO_REJOIN } : await openWithRejoin(open, rejoinLogger, rejoinOptions(options));
  const ctx: NodeContext = {
    logger: options.logger ?? consoleLogger('node', store.config.logLevel),
    version: options.version ?? 'unknown',
    bootTimestamp,
    nowMs: () => clock.nowMs(),
  };
  const durable = persistingPromotion({ io: recordIo, config: store.config, brokerRole: () => store.brokerRole, nowMs: ctx.nowMs, logger: ctx.logger });
  const parts: Parts = { service: null, provider: null, dledger: null, broker: null, admin: null };
  try {
    await startParts(store, options, admin, ctx, parts, durable);
  } catch (err) {
    ctx.logger.error(`node failed to start: ${(err as Error).message}`);
    await closeInOrder(closeSteps(store, parts), ctx.logger).catch((e: Error) => ctx.logger.error(`cleanup after the failed start failed: ${e.message}`));
    throw startError(err);
  }
  return assemble(store, rejoin, start.decision, parts, ctx, durable);
}

/** `options` with the replication Transport the security policy chose put into `ha` (which the
 * rejoin check takes too). The config is loaded here once without its warnings, only to read the
 * policy's keys before the store opens; MessageStore.open loads it again and reports them. */
function securedReplication(input: StoreConfigInput, options: OpenNodeOptions): OpenNodeOptions {
  if (options.ha === false) return options;
  const config = loadStoreConfig(input, { warn: () => {} });
  const ha = options.ha ?? {};
  const security = replicationSecurity(config, {
    ...(ha.transport !== undefined ? { base: ha.transport } : {}),
    ...(ha.listenHost !== undefined ? { listenHost: ha.listenHost } : {}),
    clock: ha.clock ?? systemClock,
    scheduler: ha.scheduler ?? realScheduler,
    logger: options.logger?.child('net') ?? consoleLogger('net', config.logLevel),
  });
  if (security.authenticated || security.encrypted) (options.logger ?? consoleLogger('node', config.logLevel)).info(`replication security: ${security.summary}`);
  return { ...options, ha: { ...ha, transport: security.transport } };
}

const NO_REJOIN: RejoinOutcome = Object.freeze({ kind: 'not-a-slave' });

/** The admin server's access rules (token file, TLS files, the refusal of a non-loopback host
 * without a token), decided before the store opens: a refused node recovers nothing, dials no
 * master for the rejoin check and opens no port. The config is loaded here once without its
 * warnings; MessageStore.open loads it again and reports them. */
function preparedAdmin(input: StoreConfigInput, admin: NodeAdminOptions, given: Logger | undefined): PreparedNodeAdmin {
  const config = loadStoreConfig(input, { warn: () => {} });
  const logger = given ?? consoleLogger('node', config.logLevel);
  return prepareNodeAdmin(config, admin, logger.child('admin'));
}

/** The rejoin check talks to the same master as HA, so it runs on HA's injected pieces (the
 * transport, clock and scheduler of HaOptions, which RejoinOptions takes too; other HaOptions
 * keys are not read by it), unless `rejoin` brings its own. */
function rejoinOptions(options: OpenNodeOptions): RejoinOptions {
  return { ...(options.ha || {}), ...options.rejoin };
}

interface Parts {
  service: HaService | null;
  dledger: DLedgerService | null;
  provider: HaStatusProvider | null;
  broker: Broker | null;
  admin: { host: string; port: number; scheme: 'http' | 'https'; close(): Promise<void> } | null;
}

interface NodeContext {
  logger: Logger;
  version: string;
  bootTimestamp: number;
  nowMs: () => number;
}

/** HA, then the broker, then the admin server (as prepareNodeAdmin decided), into `parts` as
 * they start (so a failure can close what started). */
async function startParts(store: MessageStore, options: OpenNodeOptions, admin: PreparedNodeAdmin | undefined, ctx: NodeContext, parts: Parts, durable: DurablePromote): Promise<void> {
  const logger = ctx.logger;
  if (options.ha !== false) {
    parts.service = await startHa(store, store.config, logger.child('ha'), options.ha ?? {});
    const rates = withTransferRates(haServiceProvider(parts.service), { onError: (err) => logger.warn(`HA transfer rate sample failed: ${err.message}`) });
    parts.provider = withDurablePromote(rates, durable, promotionRecordPath(store.config.storePathRootDir));
  } else {
    parts.provider = noHaProvider(options.haDisabledReason ?? 'disabled by the embedder (openNode with ha: false)');
  }
  if (store.config.enableDLegerCommitLog) parts.dledger = await startDLedger(store, store.config, logger.child('dledger'), dledgerOptions(store.config, options, logger));
  if (options.broker !== undefined) {
    parts.broker = await startBroker(store, { logger: logger.child('broker'), ...(options.store?.clock ? { clock: options.store.clock } : {}), ...options.broker });
  }
  if (admin === undefined) return;
  const provider = parts.provider;
  parts.admin = await startNodeAdmin(
    { store, ha: provider, identity: () => identity(store, provider, parts, ctx), nowMs: ctx.nowMs, logger: logger.child('admin'), grpc: () => parts.broker?.stats() ?? null, dledger: () => parts.dledger?.status() ?? null, leaderAddr: () => parts.dledger?.status().leaderAddr ?? null },
    admin,
  );
}

/** DLedger's injected pieces, with its transport secured by the replication* keys under the
 * 'dledger' identity (peer authentication names the group and member). */
function dledgerOptions(config: Readonly<MessageStoreConfig>, options: OpenNodeOptions, logger: Logger): DLedgerOptions {
  const given = options.dledger ?? {};
  const self = parseDLedgerPeers(config.dLegerPeers ?? '');
  const host = typeof self === 'string' ? undefined : self.find((p) => p.id === config.dLegerSelfId)?.address.host;
  const listenHost = given.listenHost ?? host;
  const security = replicationSecurity(config, {
    ...(given.transport !== undefined ? { base: given.transport } : {}),
    ...(listenHost !== undefined ? { listenHost } : {}),
    identity: { service: 'dledger', group: config.dLegerGroup ?? config.brokerName, selfId: config.dLegerSelfId ?? '' },
    clock: given.clock ?? systemClock,
    scheduler: given.scheduler ?? realScheduler,
    logger: logger.child('net'),
  });
  if (security.authenticated || security.encrypted) logger.info(`DLedger replication security: ${security.summary}`);
  return { ...given, transport: security.transport };
}

/** The provider, with its promote (POST /admin/promote) recorded first (persist-promotion.ts). */
function withDurablePromote(p: HaStatusProvider, durable: DurablePromote, recordPath: string): HaStatusProvider {
  const promote = p.promote;
  if (!promote) return p;
  return {
    kind: p.kind,
    note: p.note,
    status: () => p.status(),
    haPort: () => p.haPort(),
    close: () => p.close(),
    promote: async (role) => {
      const outcome = await durable(role ?? 'ASYNC_MASTER', () => promote(role));
      return { result: { ...(typeof outcome.result === 'object' && outcome.result !== null ? outcome.result : {}), promotionRecord: recordPath } };
    },
  };
}

function identity(store: MessageStore, ha: HaStatusProvider, parts: Parts, ctx: NodeContext): NodeIdentity {
  // adminPort 0: this node has no admin server
  return identityOf(store.config, { pid: process.pid, version: ctx.version, bootTimestamp: ctx.bootTimestamp, adminPort: parts.admin?.port ?? 0, haPort: ha.haPort(), grpcPort: parts.broker?.port ?? null });
}

function closeSteps(store: MessageStore, parts: Parts): CloseStep[] {
  const steps: CloseStep[] = [];
  const { admin, broker, provider, dledger } = parts;
  if (admin) steps.push({ what: 'admin server', close: () => admin.close() });
  if (broker) steps.push({ what: 'gRPC broker', close: () => broker.close() });
  if (provider) steps.push({ what: 'HA service', close: () => provider.close() });
  if (dledger) steps.push({ what: 'DLedger member', close: () => dledger.close() });
  steps.push({ what: 'store', close: () => store.close() });
  return steps;
}

function startError(err: unknown): unknown {
  if (err instanceof StoreError || err instanceof AdminError) return err;
  const e = err as Error & { code?: unknown };
  return new AdminError(AdminErrorCode.NODE_START, `node failed to start (the store was closed): ${typeof e.code === 'string' ? `${e.code}: ` : ''}${e.message}`, { cause: err });
}

function assemble(store: MessageStore, rejoin: RejoinOutcome, promotion: PromotionAtStart, parts: Parts, ctx: NodeContext, durable: DurablePromote): StoreNode {
  const provider = parts.provider!;
  const service = parts.service;
  let closing: Promise<void> | null = null;
  const assertOpen = (what: string): void => {
    if (closing !== null) throw new StoreError(ErrorCode.CLOSED, `${what}: the node is closed`);
  };
  return {
    store,
    config: store.config,
    replication: service,
    dledger: parts.dledger,
    admin: parts.admin ? { host: parts.admin.host, port: parts.admin.port, scheme: parts.admin.scheme } : null,
    broker: parts.broker ? { host: parts.broker.host, port: parts.broker.port } : null,
    rejoin,
    promotionAtStart: promotion,
    haPort: () => provider.haPort(),
    status: () => {
      assertOpen('status');
      return nodeStatus({ identity: () => identity(store, provider, parts, ctx), runtimeInfo: () => store.runtimeInfo(), ha: provider, nowMs: ctx.nowMs, grpc: () => parts.broker?.stats() ?? null, dledger: () => parts.dledger?.status() ?? null });
    },
    promote: async (role = 'ASYNC_MASTER') => {
      assertOpen('promote');
      if (service === null) throw new StoreError(ErrorCode.UNSUPPORTED, `promote: this node runs no HA service (${provider.note ?? 'ha: false'})`);
      const previousRole = store.brokerRole;
      await durable(role, () => service.promote(role));
      return { previousRole, brokerRole: store.brokerRole, haPort: provider.haPort(), promotionRecord: promotionRecordPath(store.config.storePathRootDir) };
    },
    close: () => (closing ??= closeInOrder(closeSteps(store, parts), ctx.logger)),
  };
}
