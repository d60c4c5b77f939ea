// `mqstore node -c <file.properties> [--set key=value ...]`: runs one store node (any role) until
// SIGINT / SIGTERM. Start order: store (open + recover), HA service (master server or slave
// client, src/ha/ha-service.ts), metrics, admin HTTP server; then one JSON line on stdout:
//   {"ready":true,"pid":..,"adminPort":..,"haPort":..,"brokerRole":..,...}
// (ports are the real ones when configured 0). Logs go to stderr. Shutdown runs in reverse order
// (admin server, HA, store) and must finish within SHUTDOWN_DEADLINE_MS, else exit 1.
//
// Exit codes: 0 clean shutdown; 1 failure (start or shutdown); 2 bad command line or bad
// configuration (the ConfigError names the key), reported by main.ts.
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startAdminServer, type AdminServer } from '../admin/admin-server.js';
import { haServiceProvider, noHaProvider, type HaStatusProvider } from '../admin/ha-status-provider.js';
import { AdminError, AdminErrorCode } from '../admin/admin-error.js';
import { identityOf, readHaStatus } from '../admin/node-status.js';
import { nodeRoutes } from '../admin/node-routes.js';
import { withTransferRates } from '../admin/transfer-rate.js';
import { startHa } from '../ha/ha-service.js';
import { openWithRejoin } from '../ha/slave-rejoin.js';
import { createNodeMetrics } from '../metrics/node-metrics.js';
import { StoreError } from '../errors.js';
import { MessageStore } from '../store/message-store.js';
import { consoleLogger, type Logger } from '../util/logger.js';
import { UsageError } from './usage-error.js';
import { mqstoreVersion } from './version.js';

const SHUTDOWN_DEADLINE_MS = 30_000;
/** After a clean shutdown the process should end by itself; if a handle keeps it alive, exit anyway. */
const EXIT_GRACE_MS = 5_000;
const MAX_SET_OPTIONS = 1000;

export const NODE_USAGE = `  node -c <file.properties> [--set key=value ...] [--admin-host <ip>] [--no-ha] [--enable-admin-put]
                                  run one store node until SIGINT/SIGTERM; prints a JSON ready line`;

interface NodeOptions {
  configFile: string;
  overrides: Record<string, string>;
  adminHost: string;
  ha: boolean;
  adminPut: boolean;
}

function parseNodeArgs(args: string[]): NodeOptions {
  const { values, positionals } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      set: { type: 'string', multiple: true },
      'admin-host': { type: 'string' },
      'no-ha': { type: 'boolean', default: false },
      'enable-admin-put': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`node: unexpected argument '${positionals[0]}'`);
  if (values.config === undefined) throw new UsageError('node: -c <file.properties> is required');
  if (!existsSync(values.config) || !statSync(values.config).isFile()) throw new UsageError(`node: config file '${values.config}' does not exist`);
  const sets = values.set ?? [];
  if (sets.length > MAX_SET_OPTIONS) throw new UsageError(`node: more than ${MAX_SET_OPTIONS} --set options`);
  const overrides: Record<string, string> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`node: --set needs key=value, got '${s}'`);
    overrides[s.slice(0, eq).trim()] = s.slice(eq + 1);
  }
  return { configFile: values.config, overrides, adminHost: values['admin-host'] ?? '127.0.0.1', ha: !values['no-ha'], adminPut: values['enable-admin-put'] };
}

/** Resolves with the first SIGINT/SIGTERM; installed before the store opens. */
function stopSignal(): { requested: Promise<NodeJS.Signals>; dispose(): void } {
  let fire: (s: NodeJS.Signals) => void = () => {};
  const requested = new Promise<NodeJS.Signals>((resolve) => (fire = resolve));
  const handler = (signal: NodeJS.Signals): void => fire(signal);
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

async function startHaProvider(store: MessageStore, enabled: boolean, logger: Logger): Promise<HaStatusProvider> {
  if (!enabled) return noHaProvider('disabled with --no-ha');
  const service = await startHa(store, store.config, logger.child('ha'));
  return withTransferRates(haServiceProvider(service), { onError: (err) => logger.warn(`HA transfer rate sample failed: ${err.message}`) });
}

interface NodeParts {
  ha: HaStatusProvider | null;
  admin: AdminServer | null;
}

/** HA, metrics and the admin server around an open store. On failure `parts` holds what started
 * (for the caller to close) and the error is thrown. */
async function wireNode(store: MessageStore, options: NodeOptions, logger: Logger, bootTimestamp: number, parts: NodeParts): Promise<void> {
  const config = store.config;
  const ha = (parts.ha = await startHaProvider(store, options.ha, logger));
  const identity = () =>
    identityOf(config, { pid: process.pid, version: mqstoreVersion(), bootTimestamp, adminPort: parts.admin?.port ?? config.adminPort, haPort: ha.haPort() });
  const metrics = createNodeMetrics(
    { store: () => store.runtimeInfo(), ha: () => readHaStatus(ha).status },
    { cluster: config.brokerClusterName, broker: config.brokerName, brokerId: config.brokerId },
  );
  const routes = nodeRoutes({
    sources: { identity, runtimeInfo: () => store.runtimeInfo(), ha, nowMs: () => Date.now() },
    metrics,
    ha,
    brokerRole: () => store.brokerRole,
    putMessage: options.adminPut ? (input) => store.putMessage(input) : undefined,
    maxMessageBytes: config.maxMessageSize,
  });
  parts.admin = await startAdminServer({ host: options.adminHost, port: config.adminPort, routes, logger: logger.child('admin') });
}

export async function runNode(args: string[]): Promise<number> {
  const options = parseNodeArgs(args);
  const signals = stopSignal();
  const bootTimestamp = Date.now();
  let store: MessageStore;
  try {
    const open = (): Promise<MessageStore> => MessageStore.open({ configFile: options.configFile, ...options.overrides });
    store = options.ha ? (await openWithRejoin(open, consoleLogger('rejoin'))).store : await open();
  } catch (err) {
    signals.dispose();
    throw err;
  }
  const config = store.config;
  const logger = consoleLogger('node', config.logLevel);
  const parts: NodeParts = { ha: null, admin: null };
  try {
    await wireNode(store, options, logger, bootTimestamp, parts);
  } catch (err) {
    logger.error(`node failed to start: ${(err as Error).message}`);
    await shutdown(store, parts.ha, parts.admin, logger).catch((e: Error) => logger.error(`cleanup after the failed start failed: ${e.message}`));
    signals.dispose();
    if (err instanceof StoreError || err instanceof AdminError) throw err;
    const e = err as Error & { code?: unknown };
    throw new AdminError(AdminErrorCode.NODE_START, `node failed to start (the store was closed): ${typeof e.code === 'string' ? `${e.code}: ` : ''}${e.message}`, { cause: err });
  }
  const ha = parts.ha!;
  const admin = parts.admin!;
  const ready = {
    ready: true,
    pid: process.pid,
    adminPort: admin.port,
    haPort: ha.haPort(),
    brokerRole: store.brokerRole,
    brokerName: config.brokerName,
    brokerId: config.brokerId,
    storePathRootDir: config.storePathRootDir,
    haService: ha.kind === 'ha-service' ? 'running' : 'none',
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const signal = await signals.requested;
  logger.info(`${signal}: shutting down`);
  const code = await shutdownWithin(store, ha, admin, logger);
  signals.dispose();
  setTimeout(() => {
    logger.warn(`process still alive ${EXIT_GRACE_MS} ms after shutdown; exiting`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
  return code;
}

async function shutdownWithin(store: MessageStore, ha: HaStatusProvider, admin: AdminServer, logger: Logger): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<number>((resolve) => {
    timer = setTimeout(() => {
      logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms`);
      resolve(1);
    }, SHUTDOWN_DEADLINE_MS);
  });
  const done = shutdown(store, ha, admin, logger).then(
    () => 0,
    (err: Error) => {
      logger.error(`shutdown failed: ${err.stack ?? err.message}`);
      return 1;
    },
  );
  const code = await Promise.race([done, deadline]);
  clearTimeout(timer);
  if (code === 0) logger.info('shut down cleanly');
  return code;
}

/** Admin server first (no new requests), then HA (no new replication), then the store. Every
 * step runs even when an earlier one failed; the first failure is rethrown at the end. */
async function shutdown(store: MessageStore, ha: HaStatusProvider | null, admin: AdminServer | null, logger: Logger): Promise<void> {
  let first: unknown = null;
  const step = async (what: string, fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      logger.error(`shutdown: closing the ${what} failed: ${(err as Error).message}`);
      first ??= err;
    }
  };
  if (admin) await step('admin server', () => admin.close());
  if (ha) await step('HA service', () => ha.close());
  await step('store', () => store.close());
  if (first !== null) throw first;
}
