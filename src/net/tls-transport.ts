// The TLS Transport (transport.ts) over node:tls: the only module in src/ that imports node:tls.
// Replication bytes are encrypted and both ends proven by certificate (TLS 1.2 or newer):
//   - the listener presents `cert`/`key`; with requireClientCert it asks every peer for a
//     certificate and refuses one that does not chain to `ca` (mutual TLS);
//   - the connector presents the same `cert`/`key` (a node is client of its master and, once
//     promoted, server to its slaves), trusts only `ca` (never the system CAs) and checks that
//     the listener's certificate names the address it dialled (SAN IP or DNS, Node's rule).
// A Connection is the TCP adapter (SocketConnection) over the TLSSocket with 'connect' meaning
// the TLS handshake finished ('secureConnect') and no file descriptor: the bytes must be
// encrypted in user space, so providesFileDescriptors is false and HA streams from the main
// thread (ha-sender-choice.ts picks the socket sender).
// listen(): onConnection receives a connection only after its TLS handshake ('secureConnection');
// a handshake that fails or takes longer than handshakeTimeoutMs is one rate-limited log line
// ('tlsClientError') and a closed socket. maxConnections counts connections in TLS handshake
// too (node's server.maxConnections). `limits` (the peer-auth limits, applied from TCP accept,
// before any TLS work): TLS handshakes in progress <= maxPendingHandshakes and open
// connections per source address <= maxConnectionsPerSource; beyond them a TCP connection is
// closed at once (a line of the same rate-limited log). A handshake in progress is keyed by the
// peer's address and port (unique per TCP connection on one listener).
import type { Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, createServer, type TLSSocket } from 'node:tls';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { PeerAuthErrorCode } from './peer-auth-protocol.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import { ServerListener, SocketConnection, type SocketConnectionOptions } from './tcp-transport.js';
import type { ConnectOptions, Connection, Listener, ListenOptions, Transport } from './transport.js';

export interface TlsMaterial {
  /** PEM certificate chain of this node. */
  readonly cert: Uint8Array;
  /** PEM private key of `cert`. */
  readonly key: Uint8Array;
  /** PEM CA certificate(s) a peer must chain to. */
  readonly ca: Uint8Array;
  /** Listener: refuse peers without a certificate from `ca` (mutual TLS). */
  readonly requireClientCert: boolean;
  /** Listener: drop a connection whose TLS handshake has not finished by then. */
  readonly handshakeTimeoutMs: number;
  /** Listener: caps applied at TCP accept (see the header); none when absent. */
  readonly limits?: { readonly maxPendingHandshakes: number; readonly maxConnectionsPerSource: number };
}

export interface TlsRuntime {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly logIntervalMs?: number;
}

/** Stable code of a failed TLS handshake line. */
export const TLS_HANDSHAKE_ERROR_CODE = 'ERR_TLS_HANDSHAKE';

const TLS_CONNECTION: SocketConnectionOptions = { connectEvent: 'secureConnect', descriptors: false };
const MIN_VERSION = 'TLSv1.2';

export interface TlsStats {
  /** Failed or refused TLS handshakes (all listeners). */
  failures: number;
  /** TLS handshakes in progress now (listeners with `limits`). */
  pending: number;
}

export function tlsTransport(material: TlsMaterial, runtime: TlsRuntime): Transport & { readonly tlsStats: () => TlsStats } {
  const log = new RateLimitedLog(runtime.logger, runtime.clock, runtime.logIntervalMs ?? 10_000);
  let failures = 0;
  let pendingTotal = 0;
  const cert = Buffer.from(material.cert);
  const key = Buffer.from(material.key);
  const ca = Buffer.from(material.ca);

  function listen(options: ListenOptions): Promise<Listener> {
    const server = createServer({
      cert,
      key,
      ca,
      requestCert: material.requireClientCert,
      rejectUnauthorized: material.requireClientCert,
      handshakeTimeout: material.handshakeTimeoutMs,
      minVersion: MIN_VERSION,
    });
    server.maxConnections = options.maxConnections;
    const limits = material.limits;
    const pending = new Set<string>();
    const perSource = new Map<string, number>();
    if (limits !== undefined) {
      server.on('connection', (raw: Socket) => {
        const source = raw.remoteAddress ?? '?';
        const key = `${source}:${raw.remotePort ?? '?'}`;
        const fromSource = perSource.get(source) ?? 0;
        if (pending.size >= limits.maxPendingHandshakes || fromSource >= limits.maxConnectionsPerSource) {
          failures++;
          const why = pending.size >= limits.maxPendingHandshakes ? `${pending.size} TLS handshakes in progress` : `${fromSource} connections from ${source}`;
          log.warn('refusal', `${PeerAuthErrorCode.LIMIT} refused ${key} on ${options.host}: already ${why}; connection closed`);
          raw.destroy();
          return;
        }
        pending.add(key);
        pendingTotal++;
        perSource.set(source, fromSource + 1);
        raw.once('close', () => {
          if (pending.delete(key)) pendingTotal--;
          const n = (perSource.get(source) ?? 1) - 1;
          if (n <= 0) perSource.delete(source);
          else perSource.set(source, n);
        });
      });
    }
    server.on('secureConnection', (socket: TLSSocket) => {
      if (pending.delete(`${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`)) pendingTotal--;
      socket.setNoDelay(true);
      options.onConnection(new SocketConnection(socket, TLS_CONNECTION));
    });
    server.on('tlsClientError', (err, socket) => {
      failures++;
      log.warn('refusal', `${TLS_HANDSHAKE_ERROR_CODE} peer ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'} on ${options.host}: ${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}; connection closed`);
      socket.destroy();
    });
    server.on('drop', (d) => options.onRefused?.(`${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'}`));
    return new Promise<Listener>((resolve, reject) => {
      const onListenError = (err: Error): void => reject(err);
      server.once('error', onListenError);
      server.listen(options.port, options.host, () => {
        server.off('error', onListenError);
        server.on('error', (err) => options.onError?.(err));
        const address = server.address();
        resolve(new ServerListener(server, options.host, typeof address === 'object' && address !== null ? address.port : options.port));
      });
    });
  }

  function connect(options: ConnectOptions): Connection {
    const socket = tlsConnect({ host: options.host, port: options.port, cert, key, ca, minVersion: MIN_VERSION });
    socket.setNoDelay(true);
    return new SocketConnection(socket, TLS_CONNECTION);
  }

  return { kind: 'tls', providesFileDescriptors: false, connect, listen, tlsStats: () => ({ failures, pending: pendingTotal }) };
}

/** Throws (node:tls's message) unless `key` is the private key of `cert` (both PEM): for config
 * checks of TLS files outside this transport (the admin server's HTTPS). */
export function checkCertificateKeyPair(cert: string | Buffer, key: string | Buffer): void {
  createSecureContext({ cert, key });
}
