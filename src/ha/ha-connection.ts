// Master side of one slave connection (RocketMQ HAConnection): sends the master's epoch history
// (the slave checks it for divergence), reads the slave's offset reports, starts streaming at
// its first report, and tracks what it acknowledged.
//
// Start offset: the slave's first report R. R = 0 (an empty slave) streams the WHOLE log the
// master still holds, from source.minOffset() — unlike RocketMQ's classic HA, which starts an
// empty slave at the beginning of the master's last segment. We want a new slave to be a full
// copy (the issue asks for it); the cost is a long catch-up for a large log, bounded by socket
// backpressure. R > 0 must be within [minOffset, maxOffset] of the master.
//
// Invariants:
//   - a report never goes backwards, and after the first never exceeds what this connection has
//     handed to the socket (so an ack can only release puts whose bytes were really sent);
//   - any protocol error, socket error or housekeeping timeout closes the connection once, with
//     one log line saying why (warnings for a misbehaving peer go through the server's
//     RateLimitedLog when it gives one, keyed by the peer's host and the kind of reason, so a
//     slave that reconnects and misbehaves in a loop costs one line per interval with a count);
//     the store and other connections are untouched;
//   - buffering is bounded: reports are decoded as they arrive (at most 7 bytes kept), frames
//     are written only while the socket does not need to drain (see the sender).
// The connection comes from the server's Transport; time and the housekeeping timer from the
// HaRuntime's clock and scheduler.
import type { Connection } from '../net/transport.js';
import type { ReplicationSource } from '../replication/replication-types.js';
import type { Logger } from '../util/logger.js';
import type { RateLimitedLog } from '../util/rate-limited-log.js';
import type { Cancelable } from '../util/scheduler.js';
import type { EpochEntry } from './epoch-history.js';
import { encodeMetadataFrame } from './ha-metadata-protocol.js';
import { encodeEpochFrame, HaProtocolError, METADATA_REQUEST, ReportDecoder } from './ha-protocol.js';

const EMPTY_METADATA = '{"offsetTable":{}}';
import type { HaRuntime } from './ha-runtime.js';
import type { HaSender, HaSenderFactory, HaSenderOptions } from './ha-sender.js';

export interface HaConnectionOptions extends HaSenderOptions {
  /** Close when no complete report arrived for this long. */
  housekeepingIntervalMs: number;
  /** The master's metadata as consumerOffset.json text, for a slave's metadata request
   * (ha-metadata-protocol.ts); absent: an empty offset table. */
  metadata?(): string;
  /** The master's epoch history, sent first on every connection (ha-protocol.ts epoch frame). */
  epochs(): readonly EpochEntry[];
  /** This master's store id, sent in the epoch frame (absent: unknown). */
  storeId?: string;
  /** Where the warnings of closes go, rate-limited (absent: straight to the logger). */
  warnLog?: RateLimitedLog;
}

export interface HaConnectionEvents {
  /** A report arrived (ackedOffset changed or not). */
  onAck(connection: HaConnection): void;
  onClose(connection: HaConnection, reason: string): void;
}

export class HaConnection {
  readonly address: string;
  /** The slave's latest report; -1 before the first. */
  ackedOffset = -1;
  /** The highest report above the offset this connection started at: only bytes this master sent
   * on this connection count for SYNC_MASTER puts. A slave's first report says what it had
   * before, which may not be this master's data (a diverged old master rejoining). -1 before. */
  creditedOffset = -1;
  /** The slave's first report (where it started), -1 before it. */
  startOffset = -1;
  /** Wall-clock ms of the latest report (0 before the first). */
  lastAckTimeMs = 0;
  /** 'metadata' once the slave asked for metadata on this connection (it never streams). */
  purpose: 'replica' | 'metadata' = 'replica';
  private readonly connectedAtMs: number;
  private lastReadMs: number;
  private readonly decoder: ReportDecoder;
  private readonly sender: HaSender;
  private housekeeping: Cancelable | null = null;
  private closeReason: string | null = null;

  constructor(
    private readonly socket: Connection,
    private readonly source: ReplicationSource,
    private readonly options: HaConnectionOptions,
    private readonly events: HaConnectionEvents,
    private readonly logger: Logger,
    senderFactory: HaSenderFactory,
    private readonly runtime: Pick<HaRuntime, 'clock' | 'scheduler'>,
  ) {
    const { clock, scheduler } = runtime;
    this.connectedAtMs = clock.monotonicMs();
    this.lastReadMs = this.connectedAtMs;
    this.address = socket.remoteAddress;
    this.decoder = new ReportDecoder((first) => (first ? source.maxOffset() : this.sender.nextOffset));
    this.sender = senderFactory({ socket, source, options, logger, clock, scheduler, onError: (err) => this.close(`sending failed: ${describe(err)}`) });
    // before any data frame (the sender starts at the first report, which follows this); the
    // max offset is never below the newest epoch's start (a decoder refuses that), even while a
    // just-promoted master still commits its last replicated bytes
    const epochs = options.epochs();
    const newestStart = epochs[epochs.length - 1]?.startOffset ?? 0;
    socket.write(encodeEpochFrame({ masterMaxOffset: Math.max(source.maxOffset(), newestStart), entries: [...epochs], masterStoreId: options.storeId }));
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('end', () => this.close(this.decoder.pendingBytes > 0 ? `slave ended the connection in the middle of a report (${this.decoder.pendingBytes} of 8 bytes)` : 'slave ended the connection'));
    socket.on('close', () => this.close('socket closed'));
    this.armHousekeeping(options.housekeepingIntervalMs);
  }

  get closed(): boolean {
    return this.closeReason !== null;
  }

  get transferredBytes(): number {
    return this.sender.transferredBytes;
  }

  /** The next byte the master will send. */
  get sentOffset(): number {
    return this.sender.nextOffset;
  }

  get ageMs(): number {
    return this.runtime.clock.monotonicMs() - this.connectedAtMs;
  }

  /** New data may be committed: wake the sender. */
  kick(): void {
    this.sender.kick();
  }

  /** Close once, logging why (warn for a misbehaving peer, info for an ordinary end, debug for a
   * served metadata request). */
  close(reason: string, level: 'debug' | 'info' | 'warn' = 'info'): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    this.housekeeping?.cancel();
    this.housekeeping = null;
    this.sender.close();
    this.socket.destroy();
    const line = `slave ${this.address} disconnected: ${reason} (acked ${this.ackedOffset}, sent up to ${this.sender.nextOffset}, ${this.sender.transferredBytes} bytes sent)`;
    if (level === 'warn' && this.options.warnLog) this.options.warnLog.warn(`${hostOf(this.address)} ${reason.replace(/\d+/g, '#').slice(0, 60)}`, line);
    else this.logger[level](line);
    this.events.onClose(this, reason);
  }

  private onData(chunk: Uint8Array): void {
    if (this.closeReason !== null) return;
    let report: number;
    try {
      report = this.decoder.push(chunk);
    } catch (err) {
      if (!(err instanceof HaProtocolError)) throw err;
      this.close(`${err.code} ${err.violation}: ${err.message}`, 'warn');
      return;
    }
    if (report === METADATA_REQUEST) {
      this.serveMetadata();
      return;
    }
    if (report < 0) return;
    this.lastReadMs = this.runtime.clock.monotonicMs();
    if (this.startOffset < 0 && !this.begin(report)) return;
    this.ackedOffset = report;
    if (report > this.startOffset) this.creditedOffset = report;
    this.lastAckTimeMs = this.runtime.clock.nowMs();
    this.events.onAck(this);
  }

  /** The slave asked for the master's metadata instead of a stream: one metadata frame, then
   * close (this connection never streams). */
  private serveMetadata(): void {
    this.purpose = 'metadata';
    let frame: Buffer;
    try {
      frame = encodeMetadataFrame(this.options.metadata?.() ?? EMPTY_METADATA);
    } catch (err) {
      this.close(`cannot serve metadata: ${(err as Error).message}`, 'warn');
      return;
    }
    this.socket.write(frame, () => this.close('metadata served', 'debug'));
  }

  /** First report: choose where to stream from. */
  private begin(report: number): boolean {
    const min = this.source.minOffset();
    const from = report === 0 ? min : report;
    if (from < min) {
      this.close(`slave reports offset ${report}, below the master's min offset ${min}: the bytes it needs were deleted; rebuild that slave`, 'warn');
      return false;
    }
    this.startOffset = report;
    this.logger.info(`slave ${this.address} connected at offset ${report}; streaming from ${from}${report === 0 && min > 0 ? ' (empty slave: whole log the master holds)' : ''}`);
    this.sender.start(from);
    return true;
  }

  private armHousekeeping(delayMs: number): void {
    this.housekeeping = this.runtime.scheduler.after(
      Math.max(1, delayMs),
      () => {
        const idleMs = this.runtime.clock.monotonicMs() - this.lastReadMs;
        if (idleMs >= this.options.housekeepingIntervalMs) {
          this.close(`no offset report for ${Math.round(idleMs)} ms (haHousekeepingInterval=${this.options.housekeepingIntervalMs})`, 'warn');
        } else {
          this.armHousekeeping(this.options.housekeepingIntervalMs - idleMs);
        }
      },
      { background: true },
    );
  }
}

/** "10.0.0.1:5432" -> "10.0.0.1", "[::1]:5432" -> "[::1]" (the port changes on every reconnect). */
function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon > 0 && !address.endsWith(']') ? address.slice(0, colon) : address;
}

function describe(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
}
