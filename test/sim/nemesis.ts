// The nemesis: a seeded schedule of faults over a window of simulated time (Jepsen's word).
// Every fault it injects is a call of the network's (or the world's) scriptable fault API, so a
// scenario can also script the same faults by hand.
//
// Invariants:
//   - faults start at or after startMs and stop at endMs; at endMs every cut heals and every
//     crashed host is rebooted, so the time after endMs tests recovery (liveness checks);
//   - at most one cut (partition or one-way) is active at a time, so healing it heals exactly it;
//   - a crashed host stays down for a drawn time, then the scenario's reboot hook brings up its
//     next incarnation; at most `maxDownHosts` are down at once;
//   - all choices come from the nemesis's own stream of the seed (fork 'nemesis').
import type { Rng } from './rng.js';
import type { SimNetwork } from './sim-network.js';
import type { World } from './world.js';

export type FaultKind = 'partition' | 'one-way-cut' | 'reset' | 'spike' | 'slow' | 'crash' | 'clock-jump';

export interface NemesisOptions {
  hosts: readonly string[];
  startMs: number;
  endMs: number;
  /** Mean gap between two faults (exponentially distributed), ms. */
  meanGapMs: number;
  /** Relative weight of each fault kind (missing or 0: never). */
  weights: Partial<Record<FaultKind, number>>;
  /** How long a partition or one-way cut lasts: [min, max] ms. */
  cutMs: readonly [number, number];
  /** How long a crashed host stays down: [min, max] ms. */
  downMs: readonly [number, number];
  /** Hosts that may crash, and how the scenario boots a host's next incarnation. */
  crash?: { hosts: readonly string[]; reboot(host: string): void; maxDownHosts?: number };
}

export class Nemesis {
  private readonly rng: Rng;
  private cutActive = false;
  private readonly down = new Set<string>();
  private injected = 0;

  constructor(
    private readonly world: World,
    private readonly net: SimNetwork,
    private readonly options: NemesisOptions,
  ) {
    this.rng = world.rng.fork('nemesis');
  }

  /** Faults injected so far. */
  get faults(): number {
    return this.injected;
  }

  /** Arm the schedule (the first fault, and the final heal at endMs). */
  start(): void {
    this.world.at(this.options.startMs + this.gap(), '', () => this.next());
    this.world.at(this.options.endMs, 'nemesis stops: heal all, reboot the crashed', () => this.finish());
  }

  private gap(): number {
    return Math.round(-Math.log(1 - this.rng.float()) * this.options.meanGapMs);
  }

  private next(): void {
    if (this.world.simMs >= this.options.endMs) return;
    this.inject();
    const at = this.world.simMs + this.gap();
    if (at < this.options.endMs) this.world.at(at, '', () => this.next());
  }

  private inject(): void {
    const kinds = (Object.entries(this.options.weights) as [FaultKind, number][]).filter(([kind, w]) => w > 0 && this.possible(kind));
    if (kinds.length === 0) return;
    const kind = this.rng.weighted(kinds.map(([k, w]) => [w, k] as const));
    this.injected++;
    switch (kind) {
      case 'partition':
        return this.partition();
      case 'one-way-cut':
        return this.oneWayCut();
      case 'reset':
        return void this.net.reset(this.rng.pick(this.established()).id);
      case 'spike':
        return this.spike();
      case 'slow':
        return void this.net.slow(this.rng.pick(this.established()).id, this.rng.between(50, 3_000));
      case 'crash':
        return this.crash();
      case 'clock-jump':
        return this.clockJump();
    }
  }

  private possible(kind: FaultKind): boolean {
    switch (kind) {
      case 'partition':
      case 'one-way-cut':
        return !this.cutActive && this.options.hosts.length >= 2;
      case 'reset':
      case 'slow':
        return this.established().length > 0;
      case 'spike':
        return this.options.hosts.length >= 2;
      case 'clock-jump':
        return this.options.hosts.some((h) => this.world.process(h)?.alive);
      case 'crash': {
        const c = this.options.crash;
        return c !== undefined && this.down.size < (c.maxDownHosts ?? 1) && c.hosts.some((h) => !this.down.has(h));
      }
    }
  }

  private established() {
    return this.net.liveConnections().filter((c) => c.server !== null);
  }

  private partition(): void {
    const shuffled = this.rng.shuffle(this.options.hosts);
    const cut = this.rng.int(1, shuffled.length - 1);
    this.net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
    this.healLater();
  }

  private oneWayCut(): void {
    const [from, to] = this.rng.shuffle(this.options.hosts) as [string, string];
    this.net.cutOneWay(from, to);
    this.healLater();
  }

  private healLater(): void {
    this.cutActive = true;
    const [min, max] = this.options.cutMs;
    const at = Math.min(this.world.simMs + this.rng.int(min, max), this.options.endMs);
    this.world.at(at, '', () => {
      if (!this.cutActive) return;
      this.cutActive = false;
      this.net.healAll();
    });
  }

  private spike(): void {
    const [from, to] = this.rng.shuffle(this.options.hosts) as [string, string];
    this.net.spike(from, to, this.rng.between(5, 500), this.rng.between(100, 3_000));
  }

  /** The wall clock of one host jumps (NTP step, VM pause): its monotonic clock does not. */
  private clockJump(): void {
    const process = this.world.process(this.rng.pick(this.options.hosts.filter((h) => this.world.process(h)?.alive)));
    if (!process) return;
    const jumpMs = this.rng.pick([-1, 1]) * this.rng.int(1, 60_000);
    process.wallSkewMs += jumpMs;
    this.world.log('fault', `wall clock of ${process.label} jumps ${jumpMs > 0 ? '+' : ''}${jumpMs} ms (skew now ${process.wallSkewMs} ms)`);
  }

  private crash(): void {
    const c = this.options.crash;
    if (!c) return;
    const host = this.rng.pick(c.hosts.filter((h) => !this.down.has(h)));
    this.down.add(host);
    this.world.crashHost(host, 'nemesis');
    const [min, max] = this.options.downMs;
    const at = Math.min(this.world.simMs + this.rng.int(min, max), this.options.endMs);
    this.world.at(at, '', () => this.reboot(host));
  }

  private reboot(host: string): void {
    if (!this.down.delete(host)) return;
    this.options.crash?.reboot(host);
  }

  private finish(): void {
    this.cutActive = false;
    this.net.healAll();
    for (const host of [...this.down]) this.reboot(host);
  }
}
