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
// Bounds: at most maxSlaves connections (further ones are refused with a log line).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { ReplicationGate, ReplicationSource, ReplicationWait } from '../store/replication.js';
import type { Logger } from '../util/logger.js';
import { realScheduler, type Scheduler } from '../util/scheduler.js';
import { HaConnection, type HaConnectionOptions } from './ha-connection.js';
import { GroupTransfer } from './ha-group-transfer.js';
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
  scheduler?: Scheduler;
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
  lastAckTimeMs: number;
}

const DEFAULT_MAX_SLAVES = 64;

export class HaServer implements ReplicationGate {
  private readonly connections = new Set<HaConnection>();
  private readonly transfer: GroupTransfer;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    private readonly source: ReplicationSource,
    private readonly options: HaServerOptions,
    private readonly logger: Logger,
    readonly port: number,
  ) {
    this.transfer = new GroupTransfer(options.slaveTimeoutMs, options.scheduler ?? realScheduler);
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => this.logger.error(`HA server error: ${err.message}`));
    server.on('drop', (d) => this.logger.warn(`refused slave ${d?.remoteAddress ?? '?'}:${d?.remotePort ?? '?'}: already ${server.maxConnections} slaves connected`));
  }

  static async listen(source: ReplicationSource, options: HaServerOptions, logger: Logger): Promise<HaServer> {
    const server = createServer({ noDelay: true, pauseOnConnect: false });
    server.maxConnections = options.maxSlaves ?? DEFAULT_MAX_SLAVES;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(options.port, options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    logger.info(`HA server listening on ${options.host}:${port}`);
    return new HaServer(server, source, options, logger, port);
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
    return [...this.connections].map((c) => ({
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
    this.closing ??= new Promise<void>((resolve) => {
      this.transfer.close('not-available');
      this.server.close(() => resolve());
      for (const c of [...this.connections]) c.close('HA server closing');
    });
    return this.closing;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const connection = new HaConnection(
      socket,
      this.source,
      this.options,
      { onAck: (c) => this.onAck(c), onClose: (c) => this.connections.delete(c) },
      this.logger,
      this.options.senderFactory ?? tcpSender,
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
