// The raft scenario's network: datagrams between hosts (Raft needs nothing of TCP and must survive
// what a datagram network does), so faults are per message: loss, duplication, delay with jitter
// (hence reordering), latency spikes, partitions and one-way cuts (asymmetric partitions).
// Frames travel as bytes: each message is encoded and decoded with the real codec on the way.
//
// Invariants: every choice comes from the network's own seeded stream; a message is delivered
// only to the incarnation of the host that is alive when it arrives (a crashed host's inbox is
// gone); a cut drops what is sent across it while it lasts (what was in flight still arrives).
import type { Rng } from '../rng.js';
import type { World } from '../world.js';

export interface RaftNetOptions {
  /** One-way latency [min, max] ms. */
  latencyMs: readonly [number, number];
  /** Probability a message is lost / delivered twice. */
  lossRate: number;
  dupRate: number;
}

type Receiver = (from: string, frame: Uint8Array) => void;

export class RaftNet {
  private readonly receivers = new Map<string, Receiver>();
  private readonly cuts = new Set<string>();
  private readonly spikes = new Map<string, { extraMs: number; untilMs: number }>();
  private readonly rng: Rng;
  lossRate: number;
  sent = 0;
  dropped = 0;
  duplicated = 0;

  constructor(
    private readonly world: World,
    private readonly options: RaftNetOptions,
  ) {
    this.rng = world.rng.fork('raft-net');
    this.lossRate = options.lossRate;
  }

  /** `host`'s current incarnation receives with `receiver` (null: it is down). */
  attach(host: string, receiver: Receiver | null): void {
    if (receiver) this.receivers.set(host, receiver);
    else this.receivers.delete(host);
  }

  send(from: string, to: string, frame: Uint8Array): void {
    this.sent++;
    if (this.cuts.has(`${from}>${to}`) || this.rng.chance(this.lossRate)) {
      this.dropped++;
      return;
    }
    const copies = this.rng.chance(this.options.dupRate) ? 2 : 1;
    if (copies === 2) this.duplicated++;
    for (let i = 0; i < copies; i++) {
      const [min, max] = this.options.latencyMs;
      let delay = this.rng.between(min, max);
      const spike = this.spikes.get(`${from}>${to}`);
      if (spike && this.world.simMs < spike.untilMs) delay += spike.extraMs * this.rng.float();
      this.world.after(delay, '', () => this.receivers.get(to)?.(from, frame));
    }
  }

  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) this.cutOneWay(x, y, false), this.cutOneWay(y, x, false);
    this.world.log('fault', `partition [${a.join(',')}] | [${b.join(',')}]`);
  }

  cutOneWay(from: string, to: string, log = true): void {
    this.cuts.add(`${from}>${to}`);
    if (log) this.world.log('fault', `cut ${from} -> ${to}`);
  }

  isolate(host: string, all: readonly string[]): void {
    this.partition([host], all.filter((h) => h !== host));
  }

  spike(from: string, to: string, extraMs: number, durationMs: number): void {
    this.spikes.set(`${from}>${to}`, { extraMs, untilMs: this.world.simMs + durationMs });
    this.world.log('fault', `spike ${from} -> ${to} +${extraMs.toFixed(0)} ms for ${durationMs.toFixed(0)} ms`);
  }

  healAll(): void {
    if (this.cuts.size === 0) return;
    this.cuts.clear();
    this.world.log('fault', 'heal all cuts');
  }
}
