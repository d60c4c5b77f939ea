// The echo scenario's client: sends numbered frames at a seeded pace, verifies the echo byte for
// byte against what it wrote on that connection, and reconnects when the connection dies, times
// out (no echo progress), or the server ends it.
//
// Invariants:
//   - the outbox holds every frame not yet echoed, oldest first, bounded by maxOutstanding;
//     the first `written` of them were written on the current connection, in order;
//   - on a new connection every unechoed frame is written again, oldest first (a server may see a
//     seq twice across connections, never on one connection);
//   - an echo byte that differs from the expected one is a broken stream (report.fail): TCP (and
//     the simulated network) never loses, reorders or corrupts bytes within a live connection.
import type { Connection, Transport } from '../../../src/net/transport.js';
import type { Rng } from '../rng.js';
import type { SimProcess } from '../sim-process.js';
import { clientIdOf, encodeFrame } from './echo-protocol.js';
import type { EchoReport } from './echo-report.js';

export interface EchoClientOptions {
  host: string;
  port: number;
  /** Pause between two new messages: [min, max] ms. */
  sendIntervalMs: readonly [number, number];
  /** No new messages after this simulated time (ms since the start). */
  sendUntilMs: number;
  maxOutstanding: number;
  /** A connection with frames in flight and no echo byte for this long is dropped. */
  echoTimeoutMs: number;
  connectTimeoutMs: number;
  /** Wait before reconnecting: [min, max] ms. */
  backoffMs: readonly [number, number];
}

const WATCHDOG_MS = 500;

export class EchoClient {
  readonly name: string;
  private readonly clientId: number;
  private readonly outbox: Buffer[] = [];
  private nextSeq = 0;
  private conn: Connection | null = null;
  private gen = 0;
  private written = 0;
  private headOffset = 0;
  private waitingDrain = false;
  private lastProgressMs = 0;
  private isConnected = false;
  echoed = 0;
  connects = 0;

  constructor(
    private readonly process: SimProcess,
    private readonly transport: Transport,
    private readonly rng: Rng,
    private readonly options: EchoClientOptions,
    private readonly report: EchoReport,
    private readonly simMs: () => number,
  ) {
    this.name = process.label;
    this.clientId = clientIdOf(this.name);
  }

  /** Frames not echoed yet. */
  get outstanding(): number {
    return this.outbox.length;
  }

  get connected(): boolean {
    return this.isConnected;
  }

  start(): void {
    this.connect();
    this.tick();
    this.watchdog();
  }

  private now(): number {
    return this.process.clock.monotonicMs();
  }

  private tick(): void {
    if (this.simMs() >= this.options.sendUntilMs) return;
    if (this.outbox.length < this.options.maxOutstanding) {
      this.outbox.push(encodeFrame(this.clientId, this.nextSeq++));
      this.flush();
    }
    const [min, max] = this.options.sendIntervalMs;
    this.process.after(this.rng.int(min, max), () => this.tick());
  }

  private watchdog(): void {
    this.process.after(WATCHDOG_MS, () => {
      if (this.isConnected && this.written > 0 && this.now() - this.lastProgressMs > this.options.echoTimeoutMs) {
        this.drop(this.gen, `no echo for ${this.options.echoTimeoutMs} ms`);
      }
      this.watchdog();
    });
  }

  private connect(): void {
    const gen = ++this.gen;
    this.written = 0;
    this.headOffset = 0;
    this.waitingDrain = false;
    this.isConnected = false;
    const conn = this.transport.connect({ host: this.options.host, port: this.options.port });
    this.conn = conn;
    this.process.after(this.options.connectTimeoutMs, () => {
      if (gen === this.gen && !this.isConnected) this.drop(gen, 'connect timed out');
    });
    conn.on('connect', () => {
      if (gen !== this.gen) return;
      this.isConnected = true;
      this.connects++;
      this.lastProgressMs = this.now();
      this.report.note(`${this.name} connected (${this.outbox.length} frames to (re)send)`);
      this.flush();
    });
    conn.on('data', (chunk) => this.onData(gen, chunk));
    conn.on('end', () => this.drop(gen, 'the server ended the connection'));
    conn.on('error', (err) => this.drop(gen, err.message));
    conn.on('close', () => this.drop(gen, 'closed'));
  }

  private drop(gen: number, why: string): void {
    if (gen !== this.gen) return;
    this.gen++; // this connection's events are ignored from now on
    this.report.note(`${this.name} drops its connection: ${why}`);
    this.conn?.destroy();
    this.conn = null;
    this.isConnected = false;
    const [min, max] = this.options.backoffMs;
    this.process.after(this.rng.int(min, max), () => this.connect());
  }

  private flush(): void {
    const conn = this.conn;
    if (conn === null || !this.isConnected) return;
    while (!this.waitingDrain && this.written < this.outbox.length) {
      if (!conn.write(this.outbox[this.written++] as Buffer)) {
        this.waitingDrain = true;
        const gen = this.gen;
        conn.once('drain', () => {
          if (gen !== this.gen) return;
          this.waitingDrain = false;
          this.flush();
        });
      }
    }
  }

  private onData(gen: number, chunk: Uint8Array): void {
    if (gen !== this.gen) return;
    this.lastProgressMs = this.now();
    let at = 0;
    while (at < chunk.length) {
      const frame = this.outbox[0];
      if (frame === undefined || this.written === 0) {
        this.report.fail(`client ${this.name}: ${chunk.length - at} echo bytes for frames never written on this connection`);
        return this.drop(gen, 'unexpected echo bytes');
      }
      const n = Math.min(frame.length - this.headOffset, chunk.length - at);
      const got = chunk.subarray(at, at + n);
      const want = frame.subarray(this.headOffset, this.headOffset + n);
      if (!Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(want)) {
        let i = 0;
        while (got[i] === want[i]) i++;
        this.report.fail(
          `client ${this.name}: echo of seq ${frame.readUInt32BE(8)} differs at byte ${this.headOffset + i} of ${frame.length} ` +
            `(expected 0x${(want[i] as number).toString(16)}, got 0x${(got[i] as number).toString(16)}): the stream lost, reordered or corrupted bytes`,
        );
        return this.drop(gen, 'corrupt echo');
      }
      at += n;
      this.headOffset += n;
      if (this.headOffset === frame.length) {
        this.outbox.shift();
        this.written--;
        this.headOffset = 0;
        this.echoed++;
      }
    }
    this.flush(); // room in the outbox window
  }
}
