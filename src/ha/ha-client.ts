// Slave side of HA (RocketMQ HAClient): connects to the master's HA port, checks the master's
// epoch frame against its own history, reports its max offset (after that check), appends the
// frames it receives to its own CommitLog, and acknowledges what is committed there (after the
// frames read in each event-loop turn, once the commit service has them, and as a keep-alive
// every heartbeatIntervalMs). The first report says where to resume and is not an ack.
//
// Invariants:
//   - a log that diverged from the master's (epoch-history.ts) is never extended: the client
//     stops (state 'failed', `diverged` in its status) and names the bytes to drop; they are
//     dropped when the node next starts as a slave (slave-rejoin.ts), not under a running store,
//     unless that drop would be refused (rejoin-guard.ts: a master whose history is not newer,
//     e.g. a wiped one, acknowledged bytes, too many bytes): then the status and the log line say
//     so and why (`diverged.refusal`), and what the operator can do;
//   - only bytes that continue the local log exactly are appended: the frame decoder checks
//     each header against the local max offset (and size, segment boundary) before any body
//     byte reaches the log, and the store refuses a gap or overlap (OFFSET_MISMATCH);
//   - any protocol error, refused append, socket error or silence for housekeepingIntervalMs
//     closes the connection and reconnects after a jittered exponential back-off
//     (reconnect-backoff.ts: backoffMinMs doubling to the backoffMaxMs cap, jitter from the
//     runtime's random source), reset only on real progress: an acknowledgement above where the
//     connection started, or a connection that stayed up a whole housekeepingIntervalMs after
//     its handshake (valid headers alone are not progress); the next connection resumes from
//     the local max offset. The drop lines are rate-limited per reason (RateLimitedLog, one per
//     DROP_LOG_INTERVAL_MS with the count of the suppressed ones);
//   - the store refusing the master's data (a record whose body CRC does not match, bytes that
//     are no record) MAX_DATA_REFUSALS times in a row at the same local offset, with no progress
//     between, stops the client (state 'failed') with the reason: the master keeps sending bytes
//     this log cannot take, and retrying forever would only re-send them;
//   - an exception thrown by the store (not a status) is a bug or a closed store: the client
//     stops (fail-stop) and says why instead of retrying forever;
//   - buffering is bounded: at most one incomplete frame header is kept; a report is skipped
//     (the next one carries a newer offset) while more than maxReportBacklogBytes wait to be
//     written.
// The connection, the clock and every timer come from the HaRuntime (ha-runtime.ts): status
// timestamps are clock.nowMs(), timeouts and keep-alives run on clock.monotonicMs().
import type { Connection } from '../net/transport.js';
import type { Logger } from '../util/logger.js';
import type { Cancelable } from '../util/scheduler.js';
import { HaErrorCode } from './ha-errors.js';
import { checkDivergence, formatEpochs, sameEpochs, type EpochEntry } from './epoch-history.js';
import { encodeReport, EpochFrameDecoder, FrameDecoder, HaProtocolError, type EpochFrame, type FrameSink } from './ha-protocol.js';
import type { HaRuntime } from './ha-runtime.js';
import { judgeTruncation, refusalAdvice, type RejoinRules } from './rejoin-guard.js';
import { DEFAULT_BACKOFF_MAX_MS, DEFAULT_BACKOFF_MIN_MS, ReconnectBackoff } from './reconnect-backoff.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';

/** One drop line per reason per this long (the rest are counted). */
export const DROP_LOG_INTERVAL_MS = 30_000;
/** Refusals of the master's data in a row at one offset before the client stops. */
export const MAX_DATA_REFUSALS = 5;

/** What the client needs from the slave store. */
export interface ReplicaLog {
  /** The next offset to append (bytes appended so far). */
  maxOffset(): number;
  append(offset: number, bytes: Uint8Array): { status: string; maxOffset: number; reason?: string };
  /** Where acknowledgements may go: bytes below it survive a crash of this process (committed
   * to the page cache); at most maxOffset(). */
  ackableOffset(): number;
  /** Resolve once ackableOffset() reaches `offset`, or after `timeoutMs`. */
  whenAckable(offset: number, timeoutMs: number): Promise<void>;
  /** This node's epoch history (origin first). */
  epochs(): readonly EpochEntry[];
  /** Take the master's history as this node's own (persisted before the first report). */
  adoptEpochs(entries: readonly EpochEntry[]): void;
}

/** Where this slave's log left the master's (the client stopped; see the header). */
export interface HaDivergence {
  truncateTo: number;
  droppedBytes: number;
  commonEpoch: number;
  /** Why a restart as SLAVE would refuse to drop them too (rejoin-guard.ts), or null. */
  refusal: string | null;
}

export interface HaClientOptions {
  host: string;
  port: number;
  heartbeatIntervalMs: number;
  housekeepingIntervalMs: number;
  /** Largest frame body accepted (haTransferBatchSize; must be >= the master's). */
  transferBatchBytes: number;
  segmentBytes: number;
  connectTimeoutMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  maxReportBacklogBytes?: number;
  /** How a restart's rejoin would judge a divergence (the status says whether it would refuse);
   * absent: every drop counts as allowed. */
  rejoinRules?: RejoinRules;
}

export type HaClientState = 'connecting' | 'connected' | 'backoff' | 'stopped' | 'failed';

export interface HaClientStatus {
  state: HaClientState;
  masterAddress: string;
  connected: boolean;
  slaveMaxOffset: number;
  /** End of the last frame header seen from the master (-1 before any). */
  masterMaxOffset: number;
  lagBytes: number;
  connects: number;
  lastError: string | null;
  /** Bytes read from masters since start (headers included). */
  receivedBytes: number;
  /** Wall-clock ms of the last read from / report to the master (0 before any). */
  lastReadTimestamp: number;
  lastWriteTimestamp: number;
  /** Set when the local log diverged from the master's; null otherwise. */
  diverged: HaDivergence | null;
  /** Reconnects since the last progress (0 while replication makes progress). */
  consecutiveFailures: number;
  /** The delay of the pending reconnect (0 when none is pending). */
  reconnectDelayMs: number;
}

/** An append the store refused: the connection is dropped and resumed from the local end. */
class AppendRefused extends Error {
  readonly code = HaErrorCode.APPEND_REFUSED;
}

export class HaClient {
  private readonly address: string;
  private readonly connectTimeoutMs: number;
  private readonly backoff: ReconnectBackoff;
  private readonly dropLog: RateLimitedLog;
  private readonly maxReportBacklogBytes: number;
  private state: HaClientState = 'stopped';
  private socket: Connection | null = null;
  /** The current socket emitted 'close' (or there is none). */
  private socketClosed = true;
  private generation = 0;
  private decoder: FrameDecoder | null = null;
  /** Set from connect until the master's epoch frame has been read and checked. */
  private handshake: EpochFrameDecoder | null = null;
  private diverged: HaDivergence | null = null;
  private retryTimer: Cancelable | null = null;
  private retryDelayMs = 0;
  /** Monotonic ms of the current connection's handshake (-1 before it). */
  private handshakeAtMs = -1;
  /** The local end when the current connection's handshake passed. */
  private connectionStartOffset = -1;
  /** Consecutive refusals of the master's data, and the local end they happened at. */
  private dataRefusals = 0;
  private dataRefusalOffset = -1;
  private tickTimer: Cancelable | null = null;
  /** Monotonic ms of the last read from / report to the master (timeouts, keep-alives). */
  private lastReadMs = 0;
  private lastReportMs = 0;
  /** The same two moments in wall-clock ms, for the status (0 = never). */
  private lastReadAtMs = 0;
  private lastReportAtMs = 0;
  private reportedOffset = -1;
  private reportScheduled = false;
  private ackWaitPending = false;
  private masterOffsetSeen = -1;
  private connects = 0;
  private receivedBytes = 0;
  private lastError: string | null = null;
  private closing: Promise<void> | null = null;
  private readonly sink: FrameSink = {
    onHeader: (offset, bodyBytes) => {
      this.masterOffsetSeen = Math.max(this.masterOffsetSeen, offset + bodyBytes);
    },
    onBody: (offset, bytes) => {
      const r = this.log.append(offset, bytes);
      if (r.status !== 'PUT_OK') throw new AppendRefused(`the store refused ${bytes.byteLength} bytes at ${offset}: ${r.status}${r.reason ? ` (${r.reason})` : ''} (local end ${r.maxOffset})`);
    },
  };

  constructor(
    private readonly log: ReplicaLog,
    private readonly options: HaClientOptions,
    private readonly logger: Logger,
    private readonly runtime: HaRuntime,
  ) {
    this.address = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const minMs = options.backoffMinMs ?? DEFAULT_BACKOFF_MIN_MS;
    this.backoff = new ReconnectBackoff(minMs, Math.max(minMs, options.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS), runtime.random);
    this.dropLog = new RateLimitedLog(logger, runtime.clock, DROP_LOG_INTERVAL_MS);
    this.maxReportBacklogBytes = options.maxReportBacklogBytes ?? 4096;
  }

  start(): void {
    if (this.state !== 'stopped' || this.closing) return;
    this.connect();
  }

  status(): HaClientStatus {
    const own = this.log.maxOffset();
    return {
      state: this.state,
      masterAddress: this.address,
      connected: this.state === 'connected',
      slaveMaxOffset: own,
      masterMaxOffset: this.masterOffsetSeen,
      lagBytes: Math.max(0, this.masterOffsetSeen - own),
      connects: this.connects,
      lastError: this.lastError,
      receivedBytes: this.receivedBytes,
      lastReadTimestamp: this.lastReadAtMs,
      lastWriteTimestamp: this.lastReportAtMs,
      diverged: this.diverged,
      consecutiveFailures: this.backoff.attempts,
      reconnectDelayMs: this.retryTimer === null ? 0 : this.retryDelayMs,
    };
  }

  /** Stop for good: no reconnect; resolves when the socket is closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.generation++; // events of the current socket are ignored from now on
      this.retryTimer?.cancel();
      this.retryTimer = null;
      this.dropLog.flush();
      const socket = this.socket;
      if (socket === null || this.socketClosed) resolve();
      else socket.once('close', () => resolve());
      this.teardown();
      if (this.state !== 'failed') this.state = 'stopped';
    });
    return this.closing;
  }

  private connect(): void {
    const gen = ++this.generation;
    this.state = 'connecting';
    const socket = this.runtime.transport.connect({ host: this.options.host, port: this.options.port });
    this.socket = socket;
    this.socketClosed = false;
    const connectTimer = this.runtime.scheduler.after(this.connectTimeoutMs, () => this.drop(gen, `connect timed out after ${this.connectTimeoutMs} ms`));
    socket.once('connect', () => {
      connectTimer.cancel();
      if (gen === this.generation) this.onConnect();
    });
    socket.on('data', (chunk) => this.onData(gen, chunk));
    socket.on('error', (err) => this.drop(gen, `socket error: ${err.message}`));
    socket.on('end', () => this.drop(gen, this.decoder?.midFrame ? 'master ended the connection in the middle of a frame' : 'master ended the connection'));
    socket.on('close', () => {
      if (this.socket === socket) this.socketClosed = true;
      connectTimer.cancel();
      this.drop(gen, 'connection closed');
    });
  }

  private onConnect(): void {
    this.state = 'connected';
    this.connects++;
    this.handshake = new EpochFrameDecoder();
    this.lastReadMs = this.runtime.clock.monotonicMs();
    this.lastReportMs = this.lastReadMs; // no keep-alive before the handshake
    this.lastReadAtMs = this.runtime.clock.nowMs();
    this.lastReportAtMs = this.lastReadAtMs;
    this.reportedOffset = -1;
    this.armTick();
  }

  /** The master's epoch frame arrived: stop if this log diverged, else adopt the master's
   * history and start the classic exchange with the first report. */
  private onHandshake(gen: number, frame: EpochFrame): boolean {
    const own = this.log.maxOffset();
    const check = checkDivergence(this.log.epochs(), own, frame.entries, frame.masterMaxOffset);
    if (check.kind === 'diverged') {
      const { truncateTo, droppedBytes, commonEpoch } = check;
      const rules = this.options.rejoinRules;
      const verdict = rules ? judgeTruncation({ local: this.log.epochs(), localEnd: own, master: frame.entries, masterEnd: frame.masterMaxOffset, truncateTo }, rules) : null;
      const refusal = verdict !== null && !verdict.allowed ? verdict.reason : null;
      this.diverged = { truncateTo, droppedBytes, commonEpoch, refusal };
      const what =
        `this log diverged from master ${this.address}: its ${droppedBytes} bytes [${truncateTo}, ${own}) are not the master's (last common epoch ${commonEpoch}; ` +
        `master epochs ${formatEpochs(frame.entries)} ending at ${frame.masterMaxOffset}, local ${formatEpochs(this.log.epochs())})`;
      this.fail(refusal === null ? `${what}; restart this node as SLAVE to drop them (a copy is kept in quarantine/)` : `refusing to follow: ${what}, and dropping them is refused because ${refusal}; ${refusalAdvice()}`);
      return false;
    }
    if (!sameEpochs(this.log.epochs(), frame.entries)) {
      this.log.adoptEpochs(frame.entries);
      this.logger.info(`adopted the master's epochs ${formatEpochs(frame.entries)}`);
    }
    if (gen !== this.generation) return false;
    this.handshake = null;
    this.handshakeAtMs = this.runtime.clock.monotonicMs();
    this.connectionStartOffset = own;
    this.decoder = new FrameDecoder({
      expectedOffset: own,
      acceptFirstOffset: own === 0,
      maxBodyBytes: this.options.transferBatchBytes,
      segmentBytes: this.options.segmentBytes,
    });
    this.logger.info(`connected to master ${this.address} (epoch ${frame.entries[frame.entries.length - 1]!.epoch}, master at ${frame.masterMaxOffset}); reporting offset ${own}`);
    this.report(own, true);
    return true;
  }

  private onData(gen: number, chunk: Uint8Array): void {
    if (gen !== this.generation) return;
    this.lastReadMs = this.runtime.clock.monotonicMs();
    this.lastReadAtMs = this.runtime.clock.nowMs();
    this.receivedBytes += chunk.byteLength;
    let data: Uint8Array = chunk;
    try {
      if (this.handshake !== null) {
        const done = this.handshake.push(chunk);
        if (done === null || !this.onHandshake(gen, done.frame)) return;
        data = done.rest;
      }
      if (this.decoder === null) return;
      this.decoder.push(data, this.sink);
    } catch (err) {
      this.onReceiveError(gen, err);
      return;
    }
    // One report for every chunk read in this turn of the event loop (it runs right after the
    // poll phase, so an ack is not delayed; during a catch-up it saves a write per chunk).
    if (!this.reportScheduled) {
      this.reportScheduled = true;
      this.runtime.scheduler.soon(() => {
        this.reportScheduled = false;
        if (gen === this.generation) this.acknowledge();
      });
    }
  }

  /** Report what is committed; if appended bytes are not yet, report again once they are (one
   * wait at a time, each bounded by the heartbeat interval). */
  private acknowledge(): void {
    const own = this.log.maxOffset();
    const ackable = this.log.ackableOffset();
    if (ackable > this.reportedOffset) this.report(ackable, false);
    if (this.connectionStartOffset >= 0 && ackable > this.connectionStartOffset && this.reportedOffset >= ackable) this.progressed();
    if (ackable >= own || this.ackWaitPending) return;
    this.ackWaitPending = true;
    this.log.whenAckable(own, this.options.heartbeatIntervalMs).then(
      () => {
        this.ackWaitPending = false;
        // the connection may have changed meanwhile: acknowledge on the current one, if it is past its handshake
        if (this.decoder !== null) this.acknowledge();
      },
      (err: unknown) => {
        this.ackWaitPending = false;
        this.logger.warn(`waiting for appended bytes to be committed failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
  }

  private onReceiveError(gen: number, err: unknown): void {
    if (err instanceof HaProtocolError) {
      this.drop(gen, `${err.code} ${err.violation}: ${err.message}`, 'warn');
    } else if (err instanceof AppendRefused) {
      const at = this.log.maxOffset();
      this.dataRefusals = at === this.dataRefusalOffset ? this.dataRefusals + 1 : 1;
      this.dataRefusalOffset = at;
      if (this.dataRefusals >= MAX_DATA_REFUSALS) {
        this.fail(`${err.code}: ${err.message}; refused ${this.dataRefusals} times in a row at offset ${at}: the master keeps sending bytes this log cannot take (check the master's log at ${at}, e.g. mqstore verify), restart this node to try again`);
        return;
      }
      this.drop(gen, `${err.code}: ${err.message}`, 'warn');
    } else {
      this.fail(`appending replicated bytes threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private report(offset: number, force: boolean): void {
    const socket = this.socket;
    if (socket === null || socket.destroyed) return;
    if (!force && socket.writableLength > this.maxReportBacklogBytes) return;
    socket.write(encodeReport(offset));
    this.reportedOffset = offset;
    this.lastReportMs = this.runtime.clock.monotonicMs();
    this.lastReportAtMs = this.runtime.clock.nowMs();
  }

  /** One timer for the keep-alive report and the housekeeping check. */
  private armTick(): void {
    const o = this.options;
    const now = this.runtime.clock.monotonicMs();
    const untilReport = this.lastReportMs + o.heartbeatIntervalMs - now;
    const untilSilence = this.lastReadMs + o.housekeepingIntervalMs - now;
    this.tickTimer = this.runtime.scheduler.after(Math.max(1, Math.min(untilReport, untilSilence)), () => this.tick(), { background: true });
  }

  private tick(): void {
    this.tickTimer = null;
    if (this.state !== 'connected') return;
    const now = this.runtime.clock.monotonicMs();
    const waitingForHandshake = this.handshake !== null;
    const silentMs = now - this.lastReadMs;
    if (silentMs >= this.options.housekeepingIntervalMs) {
      this.drop(this.generation, `nothing from the master for ${Math.round(silentMs)} ms (haHousekeepingInterval=${this.options.housekeepingIntervalMs})`, 'warn');
      return;
    }
    if (!waitingForHandshake && now - this.lastReportMs >= this.options.heartbeatIntervalMs) {
      this.report(Math.max(this.reportedOffset, this.log.ackableOffset()), true);
    }
    this.armTick();
  }

  /** Real progress on this connection: the back-off and the refusal count start over. */
  private progressed(): void {
    this.backoff.reset();
    this.dataRefusals = 0;
    this.dataRefusalOffset = -1;
  }

  /** Close the current connection (once per generation) and schedule a reconnect. */
  private drop(gen: number, reason: string, level: 'info' | 'warn' = 'info'): void {
    if (gen !== this.generation || this.closing || this.state === 'failed') return;
    this.generation++;
    const wasConnected = this.state === 'connected';
    const stayedUpMs = this.handshakeAtMs < 0 ? 0 : this.runtime.clock.monotonicMs() - this.handshakeAtMs;
    if (wasConnected && stayedUpMs >= this.options.housekeepingIntervalMs) this.progressed();
    this.teardown();
    this.lastError = reason;
    this.state = 'backoff';
    const delayMs = this.backoff.next();
    this.retryDelayMs = delayMs;
    const logLevel = wasConnected ? level : 'info';
    const verb = wasConnected ? 'disconnected from' : 'could not connect to';
    const failures = this.backoff.attempts;
    this.dropLog[logLevel](
      `${verb}:${reasonKind(reason)}`,
      `${verb} master ${this.address}: ${reason}; retrying in ${delayMs} ms from offset ${this.log.maxOffset()}${failures > 1 ? ` (${failures} attempts without progress)` : ''}`,
    );
    this.retryTimer = this.runtime.scheduler.after(delayMs, () => {
      this.retryTimer = null;
      if (!this.closing) this.connect();
    });
  }

  private fail(reason: string): void {
    this.generation++;
    this.retryTimer?.cancel(); // failed for good: no reconnect
    this.retryTimer = null;
    this.teardown();
    this.state = 'failed';
    this.lastError = reason;
    this.dropLog.flush();
    this.logger.error(`replication stopped: ${reason}`);
  }

  private teardown(): void {
    this.tickTimer?.cancel();
    this.tickTimer = null;
    this.decoder = null;
    this.handshake = null;
    this.handshakeAtMs = -1;
    this.connectionStartOffset = -1;
    this.socket?.destroy();
  }
}

/** The rate-limit key of a drop reason: its leading code and words, without the numbers
 * (offsets, sizes and times differ between otherwise equal drops). */
function reasonKind(reason: string): string {
  return reason.replace(/\d+/g, '#').slice(0, 60);
}
