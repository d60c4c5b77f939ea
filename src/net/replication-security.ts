// The replication security policy of a node, applied once where the node is assembled
// (openNode): from the config it builds the Transport every replication connection uses (HA's
// server and client, the rejoin check, the metadata sync; later DLedger), and refuses to start
// an exposed node without authentication.
//
//   TLS       replicationTlsEnable: the TLS transport (tls-transport.ts) replaces TCP; its PEM
//             files are read and checked here (secret-file.ts).
//   peer auth replicationSecretFile: the peer-auth wrapper (peer-auth-transport.ts) over TCP
//             or TLS, service 'ha', group brokerName, id brokerId.
//   refusal   a node whose replication address is not loopback (brokerIP1 or the HA listen
//             host it binds, the haMasterAddress host it dials) needs replicationSecretFile,
//             else ConfigError — unless replicationTrustedNetwork=true, which runs without and
//             says so in a warning. Loopback-only nodes (tests, `npm start`) need nothing.
//   warning   a wildcard bind address (0.0.0.0, ::) opens the port on every interface: one
//             warning naming the key.
// A host name other than 'localhost' counts as a network address (it may resolve to one).
import type { MessageStoreConfig } from '../config/store-config.js';
import { readPemFile, readSecretFile } from './security-files.js';
import { parseHostPort } from '../config/value-formats.js';
import { ConfigError } from '../errors.js';
import { ipVersion } from '../util/ip-address.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Scheduler } from '../util/scheduler.js';
import { peerAuthTransport } from './peer-auth-transport.js';
import { tcpTransport } from './tcp-transport.js';
import { tlsTransport } from './tls-transport.js';
import type { Transport } from './transport.js';

export type ReplicationSecurityConfig = Pick<
  MessageStoreConfig,
  | 'brokerRole'
  | 'brokerName'
  | 'brokerId'
  | 'brokerIP1'
  | 'haMasterAddress'
  | 'replicationSecretFile'
  | 'replicationTrustedNetwork'
  | 'replicationHandshakeTimeout'
  | 'replicationMaxPendingHandshakes'
  | 'replicationMaxConnectionsPerSource'
  | 'replicationTlsEnable'
  | 'replicationTlsCertFile'
  | 'replicationTlsKeyFile'
  | 'replicationTlsCaFile'
  | 'replicationTlsRequireClientCert'
>;

export interface ReplicationSecurityOptions {
  /** The transport to secure (default TCP; the simulator passes its own). */
  base?: Transport;
  /** The host the HA server binds when it is not brokerIP1 (HaOptions.listenHost). */
  listenHost?: string;
  /** Who this node is in the handshake (default HA's: service 'ha', group brokerName, id
   * brokerId). DLedger passes { service: 'dledger', group: dLegerGroup, selfId: dLegerSelfId }. */
  identity?: { readonly service: string; readonly group: string; readonly selfId: string };
  clock: Clock;
  scheduler: Scheduler;
  logger: Logger;
}

export interface ReplicationSecurity {
  readonly transport: Transport;
  /** What is on, for the start-up log line and status: e.g. "peer auth (HMAC), TLS (mutual)". */
  readonly summary: string;
  readonly authenticated: boolean;
  readonly encrypted: boolean;
}

/** Loopback: 127.0.0.0/8, ::1, ::ffff:127.x.y.z, 'localhost'. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (ipVersion(h) === 4) return h.startsWith('127.');
  if (ipVersion(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

/** 0.0.0.0, ::, or the empty host: every interface. */
export function isWildcardHost(host: string): boolean {
  const h = host.trim();
  return h === '' || h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** The replication addresses of a node, each with the key it comes from. */
function replicationHosts(config: ReplicationSecurityConfig, listenHost: string | undefined): { key: string; host: string; binds: boolean }[] {
  const hosts = [{ key: listenHost !== undefined ? 'the HA listen host' : 'brokerIP1', host: listenHost ?? config.brokerIP1, binds: true }];
  if (config.brokerRole === 'SLAVE' && config.haMasterAddress !== null) {
    const target = parseHostPort(config.haMasterAddress);
    if (target !== undefined) hosts.push({ key: 'haMasterAddress', host: target.host, binds: false });
  }
  return hosts;
}

export function replicationSecurity(config: ReplicationSecurityConfig, options: ReplicationSecurityOptions): ReplicationSecurity {
  const { logger } = options;
  const hosts = replicationHosts(config, options.listenHost);
  for (const h of hosts) {
    if (h.binds && isWildcardHost(h.host)) {
      logger.warn(`${h.key} is ${JSON.stringify(h.host)}: the HA port listens on every network interface of this host; set brokerIP1 to the one address replication peers use`);
    }
  }
  const exposed = hosts.filter((h) => !isLoopbackHost(h.host));
  if (config.replicationSecretFile === null && exposed.length > 0) {
    const where = exposed.map((h) => `${h.key}=${h.host}`).join(', ');
    if (!config.replicationTrustedNetwork) {
      throw new ConfigError(
        'replicationSecretFile',
        null,
        `the path of a file holding the group's shared secret: ${where} is not a loopback address, so the HA port is reachable from the network and anyone there could read the CommitLog or acknowledge SYNC_MASTER puts; ` +
          'or set replicationTrustedNetwork=true to run without authentication on a network where every host is trusted',
      );
    }
    logger.warn(`replication runs WITHOUT authentication on ${where} (replicationTrustedNetwork=true): any host that reaches the HA port can read the CommitLog and acknowledge SYNC_MASTER puts`);
  }

  let transport = options.base ?? tcpTransport;
  const parts: string[] = [];
  if (config.replicationTlsEnable) {
    if (options.base !== undefined && options.base !== tcpTransport) {
      throw new ConfigError('replicationTlsEnable', true, `false with an injected ${options.base.kind} transport (TLS replaces TCP)`);
    }
    transport = tlsTransport(
      {
        cert: readPemFile('replicationTlsCertFile', config.replicationTlsCertFile!, 'certificate'),
        key: readPemFile('replicationTlsKeyFile', config.replicationTlsKeyFile!, 'private key'),
        ca: readPemFile('replicationTlsCaFile', config.replicationTlsCaFile!, 'certificate'),
        requireClientCert: config.replicationTlsRequireClientCert,
        handshakeTimeoutMs: config.replicationHandshakeTimeout,
        limits: { maxPendingHandshakes: config.replicationMaxPendingHandshakes, maxConnectionsPerSource: config.replicationMaxConnectionsPerSource },
      },
      { logger: logger.child('tls'), clock: options.clock },
    );
    parts.push(`TLS (${config.replicationTlsRequireClientCert ? 'mutual: peers need a certificate from replicationTlsCaFile' : 'server certificate only'})`);
  }
  if (config.replicationSecretFile !== null) {
    const secret = readSecretFile('replicationSecretFile', config.replicationSecretFile);
    const identity = options.identity ?? { service: 'ha', group: config.brokerName, selfId: String(config.brokerId) };
    transport = peerAuthTransport(
      transport,
      {
        secret,
        ...identity,
        handshakeTimeoutMs: config.replicationHandshakeTimeout,
        maxPendingHandshakes: config.replicationMaxPendingHandshakes,
        maxConnectionsPerSource: config.replicationMaxConnectionsPerSource,
      },
      { clock: options.clock, scheduler: options.scheduler, logger: logger.child('peer-auth') },
    );
    parts.push(`peer authentication (HMAC-SHA256, ${identity.service} group ${identity.group}, id ${identity.selfId})`);
  }
  const summary = parts.length > 0 ? parts.join(', ') : 'none (loopback or replicationTrustedNetwork)';
  return { transport, summary, authenticated: config.replicationSecretFile !== null, encrypted: config.replicationTlsEnable };
}
