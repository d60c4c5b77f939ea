// A Transport that authenticates every replication connection before the application sees it
// (peer-auth-protocol.ts has the handshake and its frame layout). It wraps any Transport (TCP,
// TLS, the simulator's), so HA today and DLedger/gRPC later get the same check by wrapping theirs.
//
// listen(): the application's onConnection receives only connections whose peer completed the
// handshake; until then no byte of the application is written to the peer and no byte the peer
// sends reaches the application (so no HaConnection, no sendfile worker, no ack exists for it).
// The accepted Connection is the wrapped transport's own, untouched (the handshake's listeners
// are removed), so sendfile(2) and every other property work as without authentication.
// connect(): the returned Connection emits 'connect' only once the listener proved itself, and
// 'data' only after that (bytes that arrived with the listener's ACCEPT follow 'connect' in
// the same turn); a failed handshake is 'error' (a PeerAuthError with its code) then 'close'.
//
// Bounds, per listener:
//   - handshakes in progress <= maxPendingHandshakes; connections (in handshake or
//     authenticated) from one source address <= maxConnectionsPerSource; authenticated ones
//     <= the caller's maxConnections (onRefused, as the plain transport reports it); beyond any
//     of these a connection is closed at once;
//   - a handshake that has not finished handshakeTimeoutMs after accept is dropped (Scheduler);
//   - before authentication a connection holds at most one handshake frame (8 + MAX_BODY_BYTES)
//     of buffered input; a larger frame, any other protocol's bytes, or bytes after the HELLO
//     fail the handshake at once.
// A failed or refused handshake is one line of a rate-limited log (RateLimitedLog) and a closed
// socket; the listener answers REJECT with a reason only to a peer that spoke this protocol.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { assert } from '../util/assert.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';
import {
  NONCE_BYTES,
  PeerAuthError,
  PeerAuthErrorCode,
  REJECT_REASONS,
  decodeAnswer,
  decodeGreeting,
  decodeHello,
  encodeAccept,
  encodeGreeting,
  encodeHello,
  encodeReject,
  takeFrame,
  type PeerAuthErrorCodeValue,
  type RawFrame,
} from './peer-auth-protocol.js';
import { RateLimitedLog } from './rate-limited-log.js';
import type { ConnectOptions, Connection, Listener, ListenOptions, Transport } from './transport.js';

export interface PeerAuthSettings {
  /** The shared secret (secret-file.ts reads and checks it). */
  readonly secret: Uint8Array;
  /** The kind of port: 'ha' (later 'dledger'); a peer for another service is refused. */
  readonly service: string;
  /** brokerName (later dLegerGroup); a peer of another group is refused. */
  readonly group: string;
  /** This node's id in the group (brokerId, later dLegerSelfId), sent to and proven to peers. */
  readonly selfId: string;
  readonly handshakeTimeoutMs: number;
  readonly maxPendingHandshakes: number;
  readonly maxConnectionsPerSource: number;
  /** Longest gap between two written failure lines (default 10 s). */
  readonly logIntervalMs?: number;
}

export interface PeerAuthRuntime {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
}

export interface PeerAuthStats {
  /** Handshakes that succeeded, on either side. */
  authenticated: number;
  /** Handshakes that failed (any code), on either side. */
  failed: number;
  /** Connections closed at once by a limit (per source, in progress, authenticated). */
  refused: number;
  /** Listener handshakes in progress now. */
  pending: number;
  /** Failures by code. */
  byCode: Partial<Record<PeerAuthErrorCodeValue, number>>;
}

export interface PeerAuthTransport extends Transport {
  readonly peerAuth: PeerAuthSettings;
  stats(): PeerAuthStats;
}

const DEFAULT_LOG_INTERVAL_MS = 10_000;

/** "host" of a "host:port" address (IPv6 hosts contain colons: the port is after the last). */
export function sourceOf(remoteAddress: string): string {
  const i = remoteAddress.lastIndexOf(':');
  return i > 0 ? remoteAddress.slice(0, i) : remoteAddress;
}

export function peerAuthTransport(inner: Transport, settings: PeerAuthSettings, runtime: PeerAuthRuntime): PeerAuthTransport {
  assert(settings.secret.byteLength > 0, 'peer auth needs a non-empty secret');
  const log = new RateLimitedLog(runtime.logger, runtime.clock, settings.logIntervalMs ?? DEFAULT_LOG_INTERVAL_MS);
  const stats: PeerAuthStats = { authenticated: 0, failed: 0, refused: 0, pending: 0, byCode: {} };
  const failed = (code: PeerAuthErrorCodeValue): void => {
    stats.failed++;
    stats.byCode[code] = (stats.byCode[code] ?? 0) + 1;
  };
  const shared: Shared = { inner, settings, runtime, log, stats, failed };
  return {
    kind: `auth+${inner.kind}`,
    ...(inner.providesFileDescriptors !== undefined ? { providesFileDescriptors: inner.providesFileDescriptors } : {}),
    peerAuth: settings,
    stats: () => ({ ...stats, byCode: { ...stats.byCode } }),
    connect: (options) => new AuthenticatingConnection(inner.connect(options), options, shared),
    listen: (options) => listenAuthenticated(options, shared),
  };
}

interface Shared {
  inner: Transport;
  settings: PeerAuthSettings;
  runtime: PeerAuthRuntime;
  log: RateLimitedLog;
  stats: PeerAuthStats;
  failed(code: PeerAuthErrorCodeValue): void;
}

// ---------------------------------------------------------------- listener side

async function listenAuthenticated(options: ListenOptions, shared: Shared): Promise<Listener> {
  const { settings, log, stats } = shared;
  const perSource = new Map<string, number>();
  let pending = 0;
  let authenticated = 0;
  let boundPort = options.port; // the real one once listening
  const refuse = (socket: Connection, why: string): void => {
    stats.refused++;
    log.warn(`${PeerAuthErrorCode.LIMIT} refused ${socket.remoteAddress} on ${options.host}:${boundPort}: ${why}; connection closed`);
    socket.destroy();
  };
  const accept = (socket: Connection): void => {
    const source = sourceOf(socket.remoteAddress);
    const fromSource = perSource.get(source) ?? 0;
    if (pending >= settings.maxPendingHandshakes) return refuse(socket, `already ${pending} handshakes in progress (replicationMaxPendingHandshakes=${settings.maxPendingHandshakes})`);
    if (fromSource >= settings.maxConnectionsPerSource) return refuse(socket, `already ${fromSource} connections from ${source} (replicationMaxConnectionsPerSource=${settings.maxConnectionsPerSource})`);
    perSource.set(source, fromSource + 1);
    pending++;
    stats.pending++;
    let inHandshake = true;
    let counted = false;
    const endHandshake = (): void => {
      if (!inHandshake) return;
      inHandshake = false;
      pending--;
      stats.pending--;
    };
    socket.once('close', () => {
      endHandshake();
      const n = (perSource.get(source) ?? 1) - 1;
      if (n <= 0) perSource.delete(source);
      else perSource.set(source, n);
      if (counted) authenticated--;
    });
    new ListenerHandshake(socket, shared, options, (peerId) => {
      endHandshake();
      if (authenticated >= options.maxConnections) {
        stats.refused++;
        options.onRefused?.(socket.remoteAddress);
        socket.destroy();
        return false;
      }
      authenticated++;
      counted = true;
      stats.authenticated++;
      shared.runtime.logger.debug(`peer ${peerId} at ${socket.remoteAddress} authenticated (${settings.service}, group ${settings.group})`);
      return true;
    }, endHandshake);
  };
  const listener = await shared.inner.listen({
    host: options.host,
    port: options.port,
    // authenticated connections are capped below; the transport's own cap leaves room for the
    // handshakes in progress on top of them, so unauthenticated peers never take a real slot
    maxConnections: options.maxConnections + settings.maxPendingHandshakes,
    onConnection: accept,
    onRefused: (address) => {
      stats.refused++;
      log.warn(`${PeerAuthErrorCode.LIMIT} refused ${address} on ${options.host}: the port's connection limit is reached; connection closed`);
    },
    ...(options.onError ? { onError: options.onError } : {}),
  });
  boundPort = listener.port;
  return listener;
}

/** One accepted connection until it authenticated (then handed to the application) or failed. */
class ListenerHandshake {
  private buffered: Uint8Array = new Uint8Array(0);
  private readonly greeting: Buffer;
  private readonly timer: Cancelable;
  private done = false;
  private readonly onData = (chunk: Uint8Array): void => this.data(chunk);
  private readonly onEnd = (): void => this.fail(PeerAuthErrorCode.CLOSED, 'the peer ended the connection during the handshake', false);
  private readonly onError = (err: Error): void => this.fail(PeerAuthErrorCode.CLOSED, `socket error during the handshake: ${err.message}`, false);
  private readonly onClose = (): void => this.fail(PeerAuthErrorCode.CLOSED, 'the connection closed during the handshake', false);

  constructor(
    private readonly socket: Connection,
    private readonly shared: Shared,
    private readonly options: ListenOptions,
    /** The peer proved itself: true when the application may have it. */
    private readonly admit: (peerId: string) => boolean,
    private readonly abandon: () => void,
  ) {
    const { scheduler } = shared.runtime;
    this.greeting = encodeGreeting(randomBytes(NONCE_BYTES));
    this.timer = scheduler.after(
      shared.settings.handshakeTimeoutMs,
      () => this.fail(PeerAuthErrorCode.TIMEOUT, `no complete handshake within ${shared.settings.handshakeTimeoutMs} ms (replicationHandshakeTimeout)`, false),
      { background: true },
    );
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.write(this.greeting);
  }

  private data(chunk: Uint8Array): void {
    if (this.done) return;
    const all = this.buffered.byteLength === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let cut: { frame: RawFrame; rest: Uint8Array } | null;
    try {
      cut = takeFrame(all);
    } catch (err) {
      if (!(err instanceof PeerAuthError)) throw err;
      // a peer that does not speak this protocol gets no answer at all
      this.fail(err.code, err.message.slice(err.code.length + 2), this.spokeProtocol(all));
      return;
    }
    if (cut === null) {
      this.buffered = Uint8Array.from(all); // at most one frame header + MAX_BODY_BYTES (takeFrame checked)
      return;
    }
    this.buffered = new Uint8Array(0);
    if (cut.rest.byteLength > 0) {
      this.fail(PeerAuthErrorCode.MALFORMED, `${cut.rest.byteLength} bytes after the HELLO, before ACCEPT`, true);
      return;
    }
    this.hello(cut.frame);
  }

  /** Whether the bytes began with this protocol's magic (a REJECT is worth sending). */
  private spokeProtocol(bytes: Uint8Array): boolean {
    return bytes.byteLength >= 4 && bytes[0] === 0x4d && bytes[1] === 0x51 && bytes[2] === 0x41 && bytes[3] === 0x55;
  }

  private hello(frame: RawFrame): void {
    const { settings } = this.shared;
    let hello;
    try {
      hello = decodeHello(settings.secret, this.greeting, frame);
    } catch (err) {
      if (!(err instanceof PeerAuthError)) throw err;
      this.fail(err.code, err.message.slice(err.code.length + 2), true);
      return;
    }
    if (hello.service !== settings.service) return this.fail(PeerAuthErrorCode.WRONG_SERVICE, `peer ${hello.id} is for service '${hello.service}', this port is '${settings.service}'`, true);
    if (hello.group !== settings.group) return this.fail(PeerAuthErrorCode.WRONG_GROUP, `peer ${hello.id} is in group '${hello.group}', this node in '${settings.group}'`, true);
    if (!hello.proofOk) return this.fail(PeerAuthErrorCode.BAD_PROOF, `peer claiming id ${hello.id} has another secret (or replayed a recorded handshake)`, true);
    this.finish();
    if (!this.admit(hello.id)) return;
    this.socket.write(encodeAccept(settings.secret, this.greeting, frame.bytes, settings.selfId));
    this.options.onConnection(this.socket);
  }

  private finish(): void {
    this.done = true;
    this.timer.cancel();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.off('close', this.onClose);
  }

  private fail(code: PeerAuthErrorCodeValue, message: string, answer: boolean): void {
    if (this.done) return;
    this.finish();
    this.abandon();
    this.shared.failed(code);
    this.shared.log.warn(`${code} peer ${this.socket.remoteAddress} on ${this.options.host} failed the ${this.shared.settings.service} handshake: ${message}; connection closed`);
    if (answer && !this.socket.destroyed && REJECT_REASONS.some((r) => r.code === code)) {
      // the REJECT is tiny: handed to the kernel at once; the socket closes right after
      this.socket.write(encodeReject(code), () => this.socket.destroy());
      // a peer that never lets the REJECT out is still closed, in bounded time
      const fallback = this.shared.runtime.scheduler.after(this.shared.settings.handshakeTimeoutMs, () => this.socket.destroy(), { background: true });
      this.socket.once('close', () => fallback.cancel());
      return;
    }
    this.socket.destroy();
  }
}

// ---------------------------------------------------------------- connector side

type ConnectorState = 'greeting' | 'answer' | 'open' | 'failed';

/** The connector's end: a Connection that opens ('connect') once the listener proved itself. */
class AuthenticatingConnection extends EventEmitter implements Connection {
  private state: ConnectorState = 'greeting';
  private buffered: Uint8Array = new Uint8Array(0);
  private greeting: Uint8Array | null = null;
  private hello: Buffer | null = null;
  private readonly timer: Cancelable;
  private closedEmitted = false;

  constructor(
    private readonly inner: Connection,
    private readonly target: ConnectOptions,
    private readonly shared: Shared,
  ) {
    super();
    const { settings, runtime } = shared;
    this.timer = runtime.scheduler.after(
      settings.handshakeTimeoutMs,
      () => this.fail(new PeerAuthError(PeerAuthErrorCode.TIMEOUT, `no complete handshake with ${this.describeTarget()} within ${settings.handshakeTimeoutMs} ms`)),
      { background: true },
    );
    inner.on('data', (chunk) => this.data(chunk));
    inner.on('drain', () => this.state === 'open' && this.emit('drain'));
    inner.on('end', () => {
      if (this.state === 'open') this.emit('end');
      else this.fail(new PeerAuthError(PeerAuthErrorCode.CLOSED, `${this.describeTarget()} ended the connection during the handshake (does it use the same replicationSecretFile, and is it a replication port?)`));
    });
    inner.on('error', (err) => {
      if (this.state === 'open' || this.state === 'greeting') this.emitError(err);
      else this.fail(err);
    });
    inner.on('close', () => {
      this.timer.cancel();
      if (this.state !== 'open' && this.state !== 'failed') this.state = 'failed';
      if (!this.closedEmitted) {
        this.closedEmitted = true;
        this.emit('close');
      }
    });
  }

  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }

  get writableLength(): number {
    return this.inner.writableLength;
  }

  get writableNeedDrain(): boolean {
    return this.inner.writableNeedDrain;
  }

  get destroyed(): boolean {
    return this.inner.destroyed;
  }

  write(bytes: Uint8Array, done?: (err?: Error | null) => void): boolean {
    if (this.state !== 'open') {
      assert(this.state === 'failed' || this.inner.destroyed, "write() before 'connect' on an authenticating connection");
      return false;
    }
    return this.inner.write(bytes, done);
  }

  cork(): void {
    this.inner.cork();
  }

  uncork(): void {
    this.inner.uncork();
  }

  destroy(): void {
    this.timer.cancel();
    this.inner.destroy();
  }

  fileDescriptor(): number | null {
    return this.state === 'open' ? this.inner.fileDescriptor() : null;
  }

  private describeTarget(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  private data(chunk: Uint8Array): void {
    if (this.state === 'open') {
      this.emit('data', chunk);
      return;
    }
    if (this.state === 'failed') return;
    let all = this.buffered.byteLength === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    try {
      for (;;) {
        const cut = takeFrame(all);
        if (cut === null) {
          this.buffered = Uint8Array.from(all);
          return;
        }
        all = cut.rest;
        if (this.frame(cut.frame) === 'open') {
          this.buffered = new Uint8Array(0);
          this.emit('connect');
          // the application's first bytes may have come with the ACCEPT
          if (all.byteLength > 0 && !this.inner.destroyed) this.emit('data', all);
          return;
        }
      }
    } catch (err) {
      if (!(err instanceof PeerAuthError)) throw err;
      const hint = this.state === 'greeting' && err.code === PeerAuthErrorCode.MALFORMED ? ` from ${this.describeTarget()} (is replicationSecretFile set there too?)` : '';
      this.fail(hint === '' ? err : new PeerAuthError(err.code, `${err.message.slice(err.code.length + 2)}${hint}`));
    }
  }

  /** Handles one handshake frame; returns the state after it. */
  private frame(frame: RawFrame): ConnectorState {
    const { settings } = this.shared;
    if (this.state === 'greeting') {
      this.greeting = Uint8Array.from(frame.bytes);
      decodeGreeting(frame);
      this.hello = encodeHello(settings.secret, this.greeting, { nonce: randomBytes(NONCE_BYTES), service: settings.service, group: settings.group, id: settings.selfId });
      this.state = 'answer';
      this.inner.write(this.hello);
      return this.state;
    }
    const peerId = decodeAnswer(settings.secret, this.greeting!, this.hello!, frame);
    this.timer.cancel();
    this.state = 'open';
    this.shared.stats.authenticated++;
    this.shared.runtime.logger.debug(`authenticated to peer ${peerId} at ${this.describeTarget()} (${settings.service}, group ${settings.group})`);
    return this.state;
  }

  private fail(err: Error): void {
    if (this.state === 'open' || this.state === 'failed') return;
    this.state = 'failed';
    this.timer.cancel();
    if (err instanceof PeerAuthError) this.shared.failed(err.code);
    this.emitError(err);
    this.inner.destroy();
  }

  private emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}
