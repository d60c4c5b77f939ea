// Master side of HA (RocketMQ AcceptSocketService + GroupTransferService): accepts slaves on
// the HA port, one HaConnection each, reports per-slave status, and is the store's
// ReplicationGate for SYNC_MASTER puts.
//
// Gate rule (`wait(end)`):
//   - 'not-available' at once unless at least `inSyncReplicas` connected slaves have reported
//     and are within `maxGapNotInSyncBytes` of `end` (RocketMQ 4.x isSlaveOK / 5.x in-sync gap);
//   - otherwise wait in the GroupTransfer queue: 'ok' when the replicated offset (the
//     inSyncReplicas-th highest acked offset among connected slaves) reaches `end`,
//     'timed-out' after slaveTimeoutMs.
// A wait also kicks every connection's sender, so committed bytes go out at once (RocketMQ's
// wakeupAll on a SYNC_MASTER put; mmap appends also notify `committed` once a replication
// source is in use). Only reports above where a connection's stream began count as acks.
// Bounds: at most maxSlaves connections (further ones are refused by the transport, with a log
// line). close() resolves once the listener and every connection it accepted are closed.
// Warnings that a peer can repeat by reconnecting (a refused connection, a connection closed
// for a protocol error or silence) are rate-limited per peer host and reason (WARN_LOG_INTERVAL_MS,
// with the count of the suppressed ones).
import type { Connection, Listener } from '../net/transport.js';
import type { ReplicationGate, ReplicationSource, ReplicationWait } from '../replication/replication-types.js';
import type { Logger } from '../util/logger.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import { HaConnection, type HaConnectionOptions } from './ha-connection.js';
import { GroupTransfer } from './ha-group-transfer.js';
import type { HaRuntime } from './ha-runtime.js';
import type { HaSenderFactory } from './ha-sender.js';
import { tcpSender } from './ha-tcp-sender.js';

export interface HaServerOptions extends HaConnectionOptions {
  host: string;
  /** 0 = any free port (read `port` after listen). */
  port: number;
  inSyncReplicas: number;
  maxGapNotInSyncBytes: number;
  slaveTimeoutMs: number;
  maxSlaves?: number;
  senderFactory?: HaSenderFactory;
}

export interface HaSlaveEntry {
  address: string;
  /** The slave's latest report; -1 before its first. */
  ackedOffset: number;
  lagBytes: number;
  transferredBytes: number;
  /** Next offset the master will send (RocketMQ's transferFromWhere); -1 before streaming. */
  transferFromOffset: number;
  inSync: boolean;
  /** Wall-clock ms of the slave's latest report (0 before the first). */
  lastAckTimeMs: number;
}

const DEFAULT_MAX_SLAVES = 64;
/** One warning per peer host and reason per this long. */
export const WARN_LOG_INTERVAL_MS = 30_000;

export class HaServer implements ReplicationGate {
  private readonly connections = new Set<HaConnection>();
  /** Every accepted connection until it emitted 'close' (close() waits for them). */
  private readonly open = new Set<Connection>();
  private readonly transfer: GroupTransfer;
  private listener: Listener | null = null;
  private releaseWarmUp: (() => void) | null = null;
  private closing: Promise<void> | null = null;
  private readonly warnLog: RateLimitedLog;

  private constructor(
    private readonly source: ReplicationSource,
    private readonly options: HaServerOptions,
    private readonly logger: Logger,
    private readonly runtime: HaRuntime,
  ) {
    this.transfer = new GroupTransfer(options.slaveTimeoutMs, runtime.scheduler, () => runtime.clock.monotonicMs());
    this.warnLog = new RateLimitedLog(logger, runtime.clock, WARN_LOG_INTERVAL_MS);
  }

  static async listen(source: ReplicationSource, options: HaServerOptions, logger: Logger, runtime: HaRuntime): Promise<HaServer> {
    const server = new HaServer(source, options, logger, runtime);
    const maxConnections = options.maxSlaves ?? DEFAULT_MAX_SLAVES;
    const factory: HaSenderFactory = options.senderFactory ?? tcpSender;
    server.releaseWarmUp = factory.warmUp?.() ?? null;
    try {
      server.listener = await runtime.transport.listen({
        host: options.host,
        port: options.port,
        maxConnections,
        onConnection: (connection) => server.accept(connection),
        onRefused: (address) => server.warnLog.warn(`refused ${address.replace(/:\d+$/, '')}`, `refused slave ${address}: already ${maxConnections} slaves connected`),
        onError: (err) => logger.error(`HA server error: ${err.message}`),
      });
    } catch (err) {
      server.releaseWarmUp?.();
      throw err;
    }
    logger.info(`HA server listening on ${options.host}:${server.listener.port}`);
    return server;
  }

  /** The bound port (the real one when 0 was asked for). */
  get port(): number {
    return this.listener?.port ?? 0;
  }

  /** ReplicationGate: see the header. */
  wait(end: number): Promise<ReplicationWait> {
    if (this.closing) return Promise.resolve('not-available');
    for (const c of this.connections) c.kick();
    if (end <= this.transfer.replicatedOffset) return Promise.resolve('ok');
    if (this.inSyncCount(end) < this.options.inSyncReplicas) return Promise.resolve('not-available');
    return this.transfer.wait(end);
  }

  /** The offset inSyncReplicas slaves have acknowledged. */
  get replicatedOffset(): number {
    return this.transfer.replicatedOffset;
  }

  get pendingWaits(): number {
    return this.transfer.pending;
  }

  slaves(): HaSlaveEntry[] {
    const max = this.source.maxOffset();
    return [...this.connections].filter((c) => c.purpose !== 'metadata').map((c) => ({
      address: c.address,
      ackedOffset: c.ackedOffset,
      lagBytes: c.ackedOffset < 0 ? max : Math.max(0, max - c.ackedOffset),
      transferredBytes: c.transferredBytes,
      transferFromOffset: c.sentOffset,
      inSync: c.ackedOffset >= 0 && max - c.ackedOffset <= this.options.maxGapNotInSyncBytes,
      lastAckTimeMs: c.lastAckTimeMs,
    }));
  }

  /** Stop accepting, close every connection, settle waiting puts as 'not-available'. */
  close(): Promise<void> {
    this.closing ??= (() => {
      this.transfer.close('not-available');
      this.releaseWarmUp?.();
      this.warnLog.flush();
      const listenerClosed = this.listener?.close() ?? Promise.resolve();
      const connectionsClosed = [...this.open].map((c) => new Promise<void>((resolve) => c.once('close', resolve)));
      for (const c of [...this.connections]) c.close('HA server closing');
      return Promise.all([listenerClosed, ...connectionsClosed]).then(() => undefined);
    })();
    return this.closing;
  }

  private accept(socket: Connection): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    const connection = new HaConnection(
      socket,
      this.source,
      { ...this.options, warnLog: this.warnLog },
      { onAck: (c) => this.onAck(c), onClose: (c) => this.connections.delete(c) },
      this.logger,
      this.options.senderFactory ?? tcpSender,
      this.runtime,
    );
    if (!connection.closed) this.connections.add(connection);
  }

  private inSyncCount(end: number): number {
    let n = 0;
    for (const c of this.connections) {
      if (c.ackedOffset >= 0 && end - c.ackedOffset <= this.options.maxGapNotInSyncBytes) n++;
    }
    return n;
  }

  private onAck(connection: HaConnection): void {
    const k = this.options.inSyncReplicas;
    if (k === 1) {
      if (connection.creditedOffset >= 0) this.transfer.advance(connection.creditedOffset);
      return;
    }
    const acked: number[] = [];
    for (const c of this.connections) if (c.creditedOffset >= 0) acked.push(c.creditedOffset);
    if (acked.length < k) return;
    acked.sort((a, b) => b - a);
    this.transfer.advance(acked[k - 1]!);
  }
}
