// One direction of a simulated TCP connection: the bytes (and the FIN, RST and handshake-ACK
// control items) the sending endpoint's kernel holds, in flight to the receiving endpoint.
//
// Model (what the code under test can observe of TCP, and no more):
//   - in order, no loss, no duplication while the connection lives: items leave in push order;
//     every item gets a ready time = max(previous item's + its size / bandwidth, now + path
//     latency), so later bytes never overtake earlier ones on one connection (they may on
//     *another* connection), and a big transfer takes the time the link's bandwidth says;
//   - re-chunked: at delivery, the ready bytes of consecutive writes are coalesced (up to
//     maxChunkBytes, like a 64 KiB socket read) and split at a random boundary; the rest follows
//     a moment later, so a frame may arrive in 1-byte pieces or many frames in one chunk;
//   - a cut path (partition, one-way cut) stalls the link: nothing in flight is delivered, the
//     timer is dropped, and on heal every item is re-sent (ready at now + latency + a seeded
//     retransmission delay) without loss;
//   - acks: delivered bytes leave the sender's window only when the reverse path is open (the
//     ACK must get back); otherwise they wait as deferred acks until that path heals. The window
//     (unackedBytes <= the sender's windowBytes) is what makes write() back up;
//   - bounded: unackedBytes never exceeds the sender's window (the sender checks before pushing);
//     control items are at most one FIN, one RST and one handshake ACK.
import type { Cancelable } from '../../src/util/scheduler.js';
import type { Rng } from './rng.js';
import { quantizeMs, type World } from './world.js';

export type ControlKind = 'accept' | 'fin' | 'rst';

type LinkItem = { kind: 'data'; bytes: Buffer; readyAtMs: number } | { kind: ControlKind; readyAtMs: number };

/** What a link needs from the network. */
export interface LinkPaths {
  readonly world: World;
  /** The delivery stream (chunk sizes, gaps, retransmission delays). */
  readonly rng: Rng;
  readonly maxChunkBytes: number;
  /** Serialization rate of a link, bytes per ms. */
  readonly bandwidthBytesPerMs: number;
  /** Upper bound of the extra delay of a re-sent item after a heal, ms. */
  readonly retransmitMaxMs: number;
  pathOpen(from: string, to: string): boolean;
  /** Extra one-way latency on the path right now (delay spikes), ms. */
  spikeMs(from: string, to: string): number;
  /** Trace every data delivery (connection events are always traced). */
  readonly traceData: boolean;
  log(text: string): void;
}

/** The receiving endpoint, as the link sees it. */
export interface LinkReceiver {
  /** Bytes arrived; false when the endpoint is closed (the bytes are not acked; it answers RST). */
  receiveData(chunk: Buffer): boolean;
  receiveControl(kind: ControlKind): void;
}

/** The sending endpoint, as the link sees it. */
export interface LinkSender {
  acked(bytes: number): void;
}

export class SimLink {
  private items: LinkItem[] = [];
  private head = 0;
  private lastReadyAtMs = 0;
  private timer: Cancelable | null = null;
  private stalled = false;
  private unacked = 0;
  private deferredAcks = 0;
  private delivered = 0;

  constructor(
    private readonly paths: LinkPaths,
    readonly name: string,
    readonly from: string,
    readonly to: string,
    private readonly baseLatencyMs: number,
    private readonly jitterMs: number,
    private readonly sender: LinkSender,
    private readonly receiver: LinkReceiver,
  ) {}

  /** Bytes pushed and not yet acked (the sender's window use). */
  get unackedBytes(): number {
    return this.unacked;
  }

  /** Data bytes delivered so far (the stream offset, for traces). */
  get deliveredBytes(): number {
    return this.delivered;
  }

  /** Items in flight. */
  get pending(): number {
    return this.items.length - this.head;
  }

  get isStalled(): boolean {
    return this.stalled;
  }

  pushData(bytes: Buffer): void {
    this.unacked += bytes.length;
    this.push({ kind: 'data', bytes, readyAtMs: this.readyAt(bytes.length) });
  }

  pushControl(kind: ControlKind): void {
    this.push({ kind, readyAtMs: this.readyAt(0) });
  }

  /** The sender aborted: everything in flight is dropped (a RST may be pushed after). */
  clear(): void {
    this.items = [];
    this.head = 0;
    this.unacked = 0;
    this.deferredAcks = 0;
    this.timer?.cancel();
    this.timer = null;
  }

  /** Drop what is in flight without acking it (it reached a closed endpoint). */
  private dropInFlight(): void {
    this.items = [];
    this.head = 0;
  }

  /** The path was cut: what is in flight stays, undelivered, until resume(). */
  stall(): void {
    this.stalled = true;
    this.timer?.cancel();
    this.timer = null;
  }

  /** The path healed: re-send everything in flight (no loss), after a retransmission delay. */
  resume(): void {
    if (!this.stalled) return;
    this.stalled = false;
    if (this.pending === 0) return;
    const { world, rng, retransmitMaxMs } = this.paths;
    let at = quantizeMs(world.simMs + this.latencyMs() + rng.between(0, retransmitMaxMs));
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as LinkItem;
      at = Math.max(at, item.readyAtMs);
      item.readyAtMs = at;
    }
    this.lastReadyAtMs = at;
    this.paths.log(`${this.name} resumes: ${this.pending} items re-sent`);
    this.arm();
  }

  /** The reverse path healed: the acks that could not get back arrive. */
  releaseAcks(): void {
    if (this.deferredAcks === 0) return;
    const bytes = this.deferredAcks;
    this.deferredAcks = 0;
    this.ack(bytes);
  }

  /** Hold what is in flight back by `extraMs` (a connection stuck in retransmission backoff):
   * later items queue behind it, in order; the latency of items sent afterwards is unchanged. */
  slowDown(extraMs: number): void {
    const ms = quantizeMs(extraMs);
    for (let i = this.head; i < this.items.length; i++) (this.items[i] as LinkItem).readyAtMs += ms;
    this.lastReadyAtMs = Math.max(this.lastReadyAtMs + ms, quantizeMs(this.paths.world.simMs + ms));
    if (this.timer) {
      this.timer.cancel();
      this.timer = null;
      this.arm();
    }
  }

  private latencyMs(): number {
    return this.baseLatencyMs + this.paths.rng.between(0, this.jitterMs) + this.paths.spikeMs(this.from, this.to);
  }

  /** Bytes of an item take len / bandwidth to cross after the previous item (serialization). */
  private readyAt(sizeBytes: number): number {
    const wire = quantizeMs(sizeBytes / this.paths.bandwidthBytesPerMs);
    const at = Math.max(this.lastReadyAtMs + wire, quantizeMs(this.paths.world.simMs + this.latencyMs()));
    this.lastReadyAtMs = at;
    return at;
  }

  private push(item: LinkItem): void {
    this.items.push(item);
    if (!this.stalled && !this.paths.pathOpen(this.from, this.to)) this.stalled = true;
    this.arm();
  }

  private arm(): void {
    if (this.timer || this.stalled || this.pending === 0) return;
    const head = this.items[this.head] as LinkItem;
    const now = this.paths.world.simMs;
    // A remainder that is ready now follows "a moment later" (the next read of the socket).
    const at = head.readyAtMs > now ? head.readyAtMs : quantizeMs(now + this.paths.rng.between(0, 0.02));
    this.timer = this.paths.world.scheduler.after(at - now, () => {
      this.timer = null;
      this.deliverHead();
    });
  }

  private deliverHead(): void {
    if (!this.paths.pathOpen(this.from, this.to)) {
      this.stall();
      return;
    }
    const head = this.items[this.head];
    if (head === undefined) return;
    if (head.readyAtMs > this.paths.world.simMs) {
      this.arm(); // re-timed (a slow-down) since the timer was set
      return;
    }
    if (head.kind !== 'data') {
      this.shift();
      this.paths.log(`${this.name} ${head.kind}`);
      this.receiver.receiveControl(head.kind);
    } else {
      const chunk = this.takeChunk();
      if (this.paths.traceData) this.paths.log(`${this.name} data ${chunk.length}B @${this.delivered}`);
      this.delivered += chunk.length;
      if (this.receiver.receiveData(chunk)) {
        if (this.paths.pathOpen(this.to, this.from)) this.ack(chunk.length);
        else this.deferredAcks += chunk.length;
      } else {
        this.dropInFlight(); // the receiver is gone and answered RST; the bytes stay unacked
      }
    }
    this.arm();
  }

  /** Coalesce the ready data at the head and cut a random-length chunk off it. */
  private takeChunk(): Buffer {
    const now = this.paths.world.simMs;
    let available = 0;
    for (let i = this.head; i < this.items.length && available < this.paths.maxChunkBytes; i++) {
      const item = this.items[i] as LinkItem;
      if (item.kind !== 'data' || item.readyAtMs > now) break;
      available += item.bytes.length;
    }
    available = Math.min(available, this.paths.maxChunkBytes);
    const size = this.chunkSize(available);
    const parts: Buffer[] = [];
    let need = size;
    while (need > 0) {
      const item = this.items[this.head] as { kind: 'data'; bytes: Buffer };
      if (item.bytes.length <= need) {
        parts.push(item.bytes);
        need -= item.bytes.length;
        this.shift();
      } else {
        parts.push(item.bytes.subarray(0, need));
        item.bytes = item.bytes.subarray(need);
        need = 0;
      }
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }

  /** Tiny pieces, the whole lot, or anything between: every decoder boundary gets hit. */
  private chunkSize(available: number): number {
    const rng = this.paths.rng;
    const x = rng.float();
    if (x < 0.35 || available === 1) return available;
    if (x < 0.6) return rng.int(1, Math.min(16, available));
    return rng.int(1, available);
  }

  private shift(): void {
    this.items[this.head] = undefined as unknown as LinkItem;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private ack(bytes: number): void {
    this.unacked -= bytes;
    this.sender.acked(bytes);
  }
}
