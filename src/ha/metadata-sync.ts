// Slave side of the metadata sync (RocketMQ's SlaveSynchronize for consumer offsets): every
// intervalMs the slave opens a short connection to its master's HA port, sends the metadata
// request (ha-protocol.ts), reads the epoch frame every connection opens with and then the
// metadata frame (ha-metadata-protocol.ts), hands the JSON to the store (which takes the
// master's offsets over its own), and closes. After a promotion the new master then answers
// queryOffset with what the groups committed on the old one, up to one interval behind.
//
// Bounds and failures: one attempt at a time, each ended within attemptTimeoutMs; a failed
// attempt is logged once (then only when the reason changes, and when syncing works again) and
// retried at the next interval; malformed metadata changes nothing.
import type { Cancelable } from '../util/scheduler.js';
import type { Logger } from '../util/logger.js';
import { MetadataFrameDecoder } from './ha-metadata-protocol.js';
import { encodeMetadataRequest, EpochFrameDecoder } from './ha-protocol.js';
import type { HaRuntime } from './ha-runtime.js';

export interface MetadataSyncOptions {
  host: string;
  port: number;
  intervalMs: number;
  attemptTimeoutMs: number;
  /** Take the master's consumerOffset.json text; returns how many offsets changed (throws on
   * malformed text, changing nothing). */
  adopt(json: string): number;
}

export interface MetadataSyncStatus {
  /** Wall-clock ms of the last successful sync (0 = never). */
  lastSyncTimestamp: number;
  syncs: number;
  lastError: string | null;
}

export class MetadataSync {
  private timer: Cancelable | null = null;
  private running = false;
  private closed = false;
  private abortAttempt: (() => void) | null = null;
  private readonly state: MetadataSyncStatus = { lastSyncTimestamp: 0, syncs: 0, lastError: null };

  constructor(
    private readonly options: MetadataSyncOptions,
    private readonly logger: Logger,
    private readonly runtime: HaRuntime,
  ) {}

  start(): void {
    this.arm(this.options.intervalMs);
  }

  status(): MetadataSyncStatus {
    return { ...this.state };
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.abortAttempt?.();
  }

  /** One attempt now (tests; the timer does the same). */
  async syncOnce(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      const changed = this.options.adopt(await this.fetch());
      if (this.state.lastError !== null) this.logger.info(`metadata sync with ${this.address()} works again`);
      this.state.lastError = null;
      this.state.syncs++;
      this.state.lastSyncTimestamp = this.runtime.clock.nowMs();
      if (changed > 0) this.logger.debug(`took ${changed} consumer offset(s) from master ${this.address()}`);
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== this.state.lastError && !this.closed) this.logger.warn(`metadata sync with master ${this.address()} failed: ${reason}; retrying every ${this.options.intervalMs} ms`);
      this.state.lastError = reason;
    } finally {
      this.running = false;
    }
  }

  private arm(delayMs: number): void {
    if (this.closed) return;
    this.timer = this.runtime.scheduler.after(
      delayMs,
      () => {
        void this.syncOnce().then(() => this.arm(this.options.intervalMs));
      },
      { background: true },
    );
  }

  private address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  private fetch(): Promise<string> {
    const { transport, scheduler } = this.runtime;
    return new Promise<string>((resolve, reject) => {
      const socket = transport.connect({ host: this.options.host, port: this.options.port });
      const epoch = new EpochFrameDecoder();
      const metadata = new MetadataFrameDecoder();
      let epochSeen = false;
      let settled = false;
      const finish = (err: Error | null, json?: string): void => {
        if (settled) return;
        settled = true;
        timer.cancel();
        this.abortAttempt = null;
        socket.destroy();
        if (err) reject(err);
        else resolve(json!);
      };
      const timer = scheduler.after(this.options.attemptTimeoutMs, () => finish(new Error(`no metadata within ${this.options.attemptTimeoutMs} ms`)));
      this.abortAttempt = () => finish(new Error('closed'));
      socket.once('connect', () => socket.write(encodeMetadataRequest()));
      socket.on('data', (chunk) => {
        try {
          let rest: Uint8Array = chunk;
          if (!epochSeen) {
            const done = epoch.push(chunk);
            if (done === null) return;
            epochSeen = true;
            rest = done.rest;
          }
          if (rest.byteLength === 0) return;
          const json = metadata.push(rest);
          if (json !== null) finish(null, json);
        } catch (err) {
          finish(err as Error);
        }
      });
      socket.on('error', (err) => finish(err));
      socket.on('close', () => finish(new Error('the master closed the connection before the metadata frame')));
    });
  }
}
