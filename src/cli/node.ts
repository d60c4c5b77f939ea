// `mqstore node -c <file.properties> [--set key=value ...]`: runs one store node (any role) until
// SIGINT / SIGTERM. The node is assembled by openNode (src/node/open-node.ts: store, HA service,
// metrics, admin HTTP server); this file parses the arguments, installs the signal handlers
// before the store opens, prints one JSON line on stdout once the node is up:
//   {"ready":true,"pid":..,"adminPort":..,"haPort":..,"grpcPort":..,"brokerRole":..,...}
// (ports are the real ones when configured 0), and on a signal closes the node (admin server,
// gRPC broker, HA, store), which must finish within SHUTDOWN_DEADLINE_MS, else exit 1. Logs go to stderr.
//
// Exit codes: 0 clean shutdown; 1 failure (start or shutdown); 2 bad command line or bad
// configuration (the ConfigError names the key), reported by main.ts.
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isHost } from '../config/value-formats.js';
import { openNode, type StoreNode } from '../node/open-node.js';
import { consoleLogger, type Logger } from '../util/logger.js';
import { realScheduler } from '../util/scheduler.js';
import { UsageError } from './usage-error.js';
import { mqstoreVersion } from './version.js';

const SHUTDOWN_DEADLINE_MS = 30_000;
/** After a clean shutdown the process should end by itself; if a handle keeps it alive, exit anyway. */
const EXIT_GRACE_MS = 5_000;
const MAX_SET_OPTIONS = 1000;

export const NODE_USAGE = `  node -c <file.properties> [--set key=value ...] [--admin-host <ip>] [--no-ha] [--enable-admin-put]
                                  run one store node until SIGINT/SIGTERM; prints a JSON ready line`;

export const NODE_HELP = `usage: mqstore node -c <file.properties> [options]

Runs one store node (any brokerRole: ASYNC_MASTER, SYNC_MASTER or SLAVE) until SIGINT or SIGTERM.
Once up it prints one JSON line on stdout:
  {"ready":true,"pid":..,"adminPort":..,"haPort":..,"brokerRole":..,"brokerId":..,"promotion":..}
(the real ports when 0 was configured; "promotion":"applied" when a recorded promotion made a
SLAVE config run as a master: README, "Failover"). Logs go to stderr. The config keys are listed
by 'mqstore config'.

options:
  -c, --config <file>        the node's RocketMQ-style .properties file (required)
  --set key=value            override one config key, parsed as in the file (repeatable, at most 1000)
  --admin-host <ip>          address the admin/metrics HTTP server binds (default 127.0.0.1)
  --no-ha                    run without the HA service (no replication, no promote)
  --enable-admin-put         serve POST /admin/put and GET /admin/get (load and checker hooks; off by default)
  -h, --help                 this text

exit codes: 0 clean shutdown; 1 failure (start or shutdown); 2 bad command line or configuration
(the message names the key), including a store directory that cannot be created`;

interface NodeOptions {
  configFile: string;
  /** --set key=value: text values, parsed by each key's spec as the file's are. */
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
  const adminHost = values['admin-host'] ?? '127.0.0.1';
  // whether a non-loopback host may start without adminTokenFile is the node's rule (node/node-admin.ts)
  if (!isHost(adminHost)) throw new UsageError(`node: --admin-host must be an IP address or host name, got '${adminHost}'`);
  return { configFile: values.config, overrides, adminHost, ha: !values['no-ha'], adminPut: values['enable-admin-put'] };
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

export async function runNode(args: string[]): Promise<number> {
  const options = parseNodeArgs(args);
  const signals = stopSignal();
  let node: StoreNode;
  try {
    node = await openNode(
      { configFile: options.configFile, ...options.overrides },
      {
        ha: options.ha ? {} : false,
        haDisabledReason: 'disabled with --no-ha',
        admin: { host: options.adminHost, enablePut: options.adminPut },
        broker: {},
        version: mqstoreVersion(),
      },
    );
  } catch (err) {
    signals.dispose();
    throw err;
  }
  const logger = consoleLogger('node', node.config.logLevel);
  process.stdout.write(`${JSON.stringify(readyLine(node))}\n`);
  const signal = await signals.requested;
  logger.info(`${signal}: shutting down`);
  const code = await closeWithin(node, logger);
  signals.dispose();
  realScheduler.after(
    EXIT_GRACE_MS,
    () => {
      logger.warn(`process still alive ${EXIT_GRACE_MS} ms after shutdown; exiting`);
      process.exit(code);
    },
    { background: true },
  );
  return code;
}

function readyLine(node: StoreNode): Record<string, unknown> {
  const config = node.config;
  return {
    ready: true,
    pid: process.pid,
    adminPort: node.admin!.port,
    adminScheme: node.admin!.scheme,
    haPort: node.haPort(),
    grpcPort: node.broker?.port ?? null,
    brokerRole: node.store.brokerRole,
    brokerName: config.brokerName,
    brokerId: config.brokerId,
    storePathRootDir: config.storePathRootDir,
    haService: node.replication !== null ? 'running' : 'none',
    // 'applied': the config said SLAVE, a recorded promotion made this node a master (node/promotion-record.ts)
    promotion: node.promotionAtStart.kind,
  };
}

async function closeWithin(node: StoreNode, logger: Logger): Promise<number> {
  let timer: { cancel(): void } | undefined;
  const deadline = new Promise<number>((resolve) => {
    timer = realScheduler.after(SHUTDOWN_DEADLINE_MS, () => {
      logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms`);
      resolve(1);
    });
  });
  const done = node.close().then(
    () => 0,
    (err: Error) => {
      logger.error(`shutdown failed: ${err.stack ?? err.message}`);
      return 1;
    },
  );
  const code = await Promise.race([done, deadline]);
  timer?.cancel();
  if (code === 0) logger.info('shut down cleanly');
  return code;
}
