// The Raft port of one member: it listens on its dLegerPeers address and keeps one outgoing
// connection per peer, all through the node's Transport (peer-authenticated / TLS when configured:
// net/replication-security.ts). Messages are frames (raft/raft-codec.ts); Raft tolerates loss,
// so a send on a link that is down or whose write queue holds more than MAX_QUEUED_BYTES is
// dropped (counted), never queued without bound. Frames arrive on any connection (ours or the
// peer's); a frame is handed on only when its group is ours, it is addressed to us and it comes
// from a member. Garbage (a bad length, a frame that does not decode, a stranger): one clear log
// line (rate-limited), the connection is closed, nothing else changes. Outgoing links reconnect
// with a jittered back-off (ha/reconnect-backoff.ts).
import type { DLedgerPeer } from '../config/dledger-peers.js';
import { ReconnectBackoff } from '../ha/reconnect-backoff.js';
import type { Connection, Listener, Transport } from '../net/transport.js';
import { decodeRaftFrame, encodeRaftFrame, RaftFrameSplitter } from '../raft/raft-codec.js';
import type { RaftMessage } from '../raft/raft-protocol.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';

/** A link's queued, unsent bytes above which messages to that peer are dropped. */
export const MAX_QUEUED_BYTES = 16 << 20;
/** Inbound connections open at once (peers reconnecting, strangers). */
export const MAX_INBOUND_CONNECTIONS = 64;
const GARBAGE_LOG_INTERVAL_MS = 30_000;

export interface RaftPortOptions {
  readonly group: string;
  readonly selfId: string;
  /** Every member, self included. */
  readonly peers: readonly DLedgerPeer[];
  readonly transport: Transport;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly random: () => number;
  readonly logger: Logger;
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** A decoded message from a member (called synchronously from the connection's data event). */
  onMessage(from: string, message: RaftMessage): void;
}

interface PeerLink {
  readonly peer: DLedgerPeer;
  connection: Connection | null;
  connected: boolean;
  reconnect: Cancelable | null;
  readonly backoff: ReconnectBackoff;
}

export interface RaftPortStats {
  sent: number;
  dropped: number;
  received: number;
  refusedFrames: number;
}

export class RaftPort {
  private readonly links = new Map<string, PeerLink>();
  private readonly inbound = new Set<Connection>();
  private readonly garbageLog: RateLimitedLog;
  private closed = false;
  readonly stats: RaftPortStats = { sent: 0, dropped: 0, received: 0, refusedFrames: 0 };

  private constructor(
    private readonly options: RaftPortOptions,
    private readonly listener: Listener,
  ) {
    this.garbageLog = new RateLimitedLog(options.logger, options.clock, GARBAGE_LOG_INTERVAL_MS);
    for (const peer of options.peers) {
      if (peer.id === options.selfId) continue;
      this.links.set(peer.id, { peer, connection: null, connected: false, reconnect: null, backoff: new ReconnectBackoff(options.reconnectMinMs, options.reconnectMaxMs, options.random) });
    }
  }

  static async open(options: RaftPortOptions): Promise<RaftPort> {
    let port: RaftPort | null = null;
    const listener = await options.transport.listen({
      host: options.listenHost,
      port: options.listenPort,
      maxConnections: MAX_INBOUND_CONNECTIONS,
      onConnection: (c) => (port ? port.accept(c) : c.destroy()),
      onRefused: (remote) => options.logger.warn(`Raft port: refused a connection from ${remote} (${MAX_INBOUND_CONNECTIONS} open)`),
      onError: (err) => options.logger.error(`Raft port listener: ${err.message}`),
    });
    port = new RaftPort(options, listener);
    for (const link of port.links.values()) port.dial(link);
    return port;
  }

  get port(): number {
    return this.listener.port;
  }

  /** Whether the outgoing link to `peerId` is connected. */
  connected(peerId: string): boolean {
    return this.links.get(peerId)?.connected === true;
  }

  /** Send one message; false when it was dropped (link down, queue full, frame too large). */
  send(to: string, message: RaftMessage): boolean {
    const link = this.links.get(to);
    const c = link?.connection;
    if (!link || !c || !link.connected || c.destroyed || c.writableLength > MAX_QUEUED_BYTES) {
      this.stats.dropped++;
      return false;
    }
    let frame: Uint8Array;
    try {
      frame = encodeRaftFrame({ group: this.options.group, from: this.options.selfId, to, message });
    } catch (err) {
      this.stats.dropped++;
      this.garbageLog.error('encode', `Raft port: a message to ${to} could not be encoded, dropped: ${(err as Error).message}`);
      return false;
    }
    c.write(frame);
    this.stats.sent++;
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const link of this.links.values()) {
      link.reconnect?.cancel();
      link.reconnect = null;
      link.connection?.destroy();
      link.connection = null;
      link.connected = false;
    }
    for (const c of this.inbound) c.destroy();
    this.inbound.clear();
    this.garbageLog.flush();
    await this.listener.close();
  }

  private dial(link: PeerLink): void {
    if (this.closed) return;
    link.reconnect = null;
    const { host, port } = link.peer.address;
    const c = this.options.transport.connect({ host, port });
    link.connection = c;
    link.connected = false;
    c.on('connect', () => {
      if (link.connection !== c) return;
      link.connected = true;
      link.backoff.reset();
      this.options.logger.info(`Raft link to ${link.peer.id} (${link.peer.addressText}) is up`);
    });
    c.on('error', () => {});
    c.on('close', () => {
      if (link.connection !== c) return;
      if (link.connected) this.options.logger.info(`Raft link to ${link.peer.id} (${link.peer.addressText}) is down; reconnecting`);
      link.connection = null;
      link.connected = false;
      if (this.closed) return;
      link.reconnect = this.options.scheduler.after(link.backoff.next(), () => this.dial(link), { background: true });
    });
    this.readFrames(c);
  }

  private accept(c: Connection): void {
    if (this.closed) return c.destroy();
    this.inbound.add(c);
    c.on('error', () => {});
    c.on('close', () => this.inbound.delete(c));
    this.readFrames(c);
  }

  private readFrames(c: Connection): void {
    const splitter = new RaftFrameSplitter();
    c.on('data', (chunk) => {
      if (this.closed || c.destroyed) return;
      let frames: Uint8Array[];
      try {
        frames = splitter.push(chunk);
      } catch (err) {
        return this.refuse(c, (err as Error).message);
      }
      for (const frame of frames) {
        if (c.destroyed || this.closed) return;
        let envelope;
        try {
          envelope = decodeRaftFrame(frame);
        } catch (err) {
          return this.refuse(c, (err as Error).message);
        }
        const o = this.options;
        if (envelope.group !== o.group) return this.refuse(c, `frame of group ${JSON.stringify(envelope.group)}, this is ${o.group}`);
        if (envelope.to !== o.selfId) return this.refuse(c, `frame addressed to ${JSON.stringify(envelope.to)}, this is ${o.selfId}`);
        if (!this.links.has(envelope.from)) return this.refuse(c, `frame from ${JSON.stringify(envelope.from)}, not a member of ${o.group}`);
        this.stats.received++;
        o.onMessage(envelope.from, envelope.message);
      }
    });
  }

  private refuse(c: Connection, why: string): void {
    this.stats.refusedFrames++;
    this.garbageLog.warn(`garbage:${c.remoteAddress}`, `Raft port: closing the connection from ${c.remoteAddress}: ${why}`);
    c.destroy();
  }
}
