// The admin/metrics HTTP(S) server of one node (opt-in: openNode's `admin` option, always on for
// `mqstore node`): the Prometheus registry of the node (metrics/node-metrics.ts) and the admin
// routes (/status, /metrics, /admin/promote, optionally /admin/put and /admin/get) over the node's store and
// HA provider. /status serves the same document as StoreNode.status().
//
// prepareNodeAdmin runs before the node opens any port and decides who may call:
//   - adminTokenFile set: its token guards every write (and reads with adminReadAuth=token);
//     a missing, loose (group-writable, world-readable), short or malformed file is a
//     ConfigError naming the key (io/secret-file.ts);
//   - no token and a loopback host (127.0.0.0/8, ::1, localhost): writes are open to local
//     processes (logged once); browsers are kept out by the Host/Origin and JSON checks;
//   - no token and any other host: ConfigError, unless adminTrustedNetwork=true (then a warning):
//     whoever reaches the port could promote the node;
//   - a wildcard host (0.0.0.0, ::) is always warned about; a token over plain HTTP on a
//     non-loopback host too (it crosses the network in clear text);
//   - adminTlsCertFile + adminTlsKeyFile: HTTPS (files read and paired here; a bad one, or a key
//     that is not the certificate's, is a ConfigError).
import type { DLedgerStatus } from '../dledger/dledger-status.js';
import { isLoopbackHost, isWildcardHost } from '../util/ip-address.js';
import { startAdminServer, type AdminServer } from '../admin/admin-server.js';
import type { HaStatusProvider } from '../admin/ha-status-provider.js';
import { nodeRoutes } from '../admin/node-routes.js';
import { readHaStatus, type NodeIdentity } from '../admin/node-status.js';
import { parseHostList } from '../config/host-list.js';
import type { MessageStoreConfig } from '../config/store-config.js';
import { ConfigError } from '../errors.js';
import { readPemFile } from '../io/pem-file.js';
import { readSecretFile } from '../io/secret-file.js';
import { checkCertificateKeyPair } from '../net/tls-transport.js';
import type { BrokerStats } from '../broker/broker.js';
import { createNodeMetrics } from '../metrics/node-metrics.js';
import type { MessageStore } from '../store/message-store.js';
import type { Logger } from '../util/logger.js';

export interface NodeAdminOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port to bind (default: the config's adminPort, which is listenPort + 2; 0 = any free port). */
  port?: number;
  /** Serve POST /admin/put and GET /admin/get (load and test hooks; off by default). */
  enablePut?: boolean;
}

export interface NodeAdminInput {
  store: MessageStore;
  ha: HaStatusProvider;
  /** The node's identity (read per request: its adminPort is the port this server got). */
  identity: () => NodeIdentity;
  nowMs: () => number;
  logger: Logger;
  /** The gRPC broker's stats for /status, when the node serves one. */
  grpc?: () => BrokerStats | null;
  /** DLedger mode: the member's status for /status. */
  dledger?: () => DLedgerStatus | null;
  /** The leader this node knows of (a DLedger member), named in a refused /admin/put. */
  leaderAddr?: () => string | null;
}

/** What prepareNodeAdmin decided: the server's access rules and TLS material. */
export interface PreparedNodeAdmin {
  readonly host: string;
  readonly port: number | undefined;
  readonly enablePut: boolean;
  readonly token: string | null;
  readonly readAuth: 'open' | 'token';
  readonly allowedHosts: ReturnType<typeof parseHostList>;
  readonly tls: { cert: string; key: string } | undefined;
}

const TOKEN_ADVICE = 'openssl rand -hex 32 > admin.token; chmod 600 admin.token';

export function prepareNodeAdmin(config: Readonly<MessageStoreConfig>, options: NodeAdminOptions, logger: Logger): PreparedNodeAdmin {
  const host = options.host ?? '127.0.0.1';
  const token = config.adminTokenFile === null ? null : readToken(config.adminTokenFile);
  const loopback = isLoopbackHost(host);
  if (isWildcardHost(host)) logger.warn(`the admin server binds to every interface (${host}): it is reachable from every network this machine is on`);
  if (token === null && !loopback) {
    if (!config.adminTrustedNetwork) {
      throw new ConfigError(
        'adminTokenFile',
        null,
        `a token file: the admin host '${host}' is not a loopback address, so anyone who reaches it could promote this node or write to it; ` +
          `set adminTokenFile (${TOKEN_ADVICE}), or adminTrustedNetwork=true if every host on that network is trusted`,
      );
    }
    logger.warn(`admin writes need no token on ${host} (adminTrustedNetwork=true): anyone who reaches the port can promote this node`);
  } else if (token === null) {
    logger.info(`admin writes need no token (loopback host ${host}: every local process can promote this node; set adminTokenFile to require one)`);
  }
  const tls = readTls(config);
  if (token !== null && !loopback && tls === undefined) {
    logger.warn(`the admin token crosses the network in clear text (plain HTTP on ${host}); set adminTlsCertFile and adminTlsKeyFile for HTTPS`);
  }
  return {
    host,
    port: options.port,
    enablePut: options.enablePut === true,
    token,
    readAuth: config.adminReadAuth,
    allowedHosts: config.adminAllowedHosts === null ? [] : parseHostList(config.adminAllowedHosts),
    tls,
  };
}

function readToken(path: string): string {
  const read = readSecretFile(path);
  if (!read.ok) throw new ConfigError('adminTokenFile', path, `a file holding one token (${TOKEN_ADVICE}): ${read.problem}`);
  return read.secret;
}

function readTls(config: Readonly<MessageStoreConfig>): { cert: string; key: string } | undefined {
  if (config.adminTlsCertFile === null || config.adminTlsKeyFile === null) return undefined; // both or neither: cross-checks.ts
  const cert = readPemFile(config.adminTlsCertFile, 'certificate');
  if (!cert.ok) throw new ConfigError('adminTlsCertFile', config.adminTlsCertFile, `a PEM certificate file: ${cert.problem}`);
  const key = readPemFile(config.adminTlsKeyFile, 'private key');
  if (!key.ok) throw new ConfigError('adminTlsKeyFile', config.adminTlsKeyFile, `a PEM private key file: ${key.problem}`);
  try {
    checkCertificateKeyPair(cert.pem, key.pem); // parses both and checks that they belong together
  } catch (err) {
    throw new ConfigError('adminTlsKeyFile', config.adminTlsKeyFile, `the private key of adminTlsCertFile (${config.adminTlsCertFile}): ${(err as Error).message}`);
  }
  return { cert: cert.pem, key: key.pem };
}

export async function startNodeAdmin(input: NodeAdminInput, prepared: PreparedNodeAdmin): Promise<AdminServer> {
  const { store, ha } = input;
  const config = store.config;
  const metrics = createNodeMetrics(
    { store: () => store.runtimeInfo(), ha: () => readHaStatus(ha).status },
    { cluster: config.brokerClusterName, broker: config.brokerName, brokerId: config.brokerId },
  );
  const routes = nodeRoutes({
    sources: { identity: input.identity, runtimeInfo: () => store.runtimeInfo(), ha, nowMs: input.nowMs, ...(input.grpc ? { grpc: input.grpc } : {}), ...(input.dledger ? { dledger: input.dledger } : {}) },
    metrics,
    ha,
    brokerRole: () => store.brokerRole,
    putMessage: prepared.enablePut ? (put) => store.putMessage(put) : undefined,
    getMessage: prepared.enablePut ? (request) => store.getMessage(request) : undefined,
    ...(input.leaderAddr ? { leaderAddr: input.leaderAddr } : {}),
    maxMessageBytes: config.maxMessageSize,
  });
  return startAdminServer({
    host: prepared.host,
    port: prepared.port ?? config.adminPort,
    routes,
    logger: input.logger,
    access: { token: prepared.token, readAuth: prepared.readAuth, allowedHosts: prepared.allowedHosts ?? [] },
    tls: prepared.tls,
  });
}
