// The simulated network: named hosts ("n0", "n1", ...), listeners on "host:port", connections
// made of two SimSockets and two SimLinks, all driven by the world's one scheduler, and the
// faults. Each process gets a Transport (src/net/transport.ts) bound to its host.
//
// TCP as the code under test sees it:
//   - connect: SYN, SYN-ACK, ACK, each crossing its path with that path's latency; a lost SYN or
//     SYN-ACK (a cut path) is retransmitted after 1, 2, 4 ... s until connectTimeoutMs
//     (ETIMEDOUT); no listener at the address (or its process dead) answers RST: ECONNREFUSED;
//     the server announces the connection when the handshake ACK arrives, ahead of any data;
//     beyond maxConnections it is closed at once (FIN) and onRefused is called;
//   - within a connection: in order, no loss, re-chunked, delayed, windowed (SimLink, SimSocket);
//   - faults, all traced: partitions between host sets and one-way cuts (links stall; a sender
//     with unacked bytes gives up after stallResetMs with ETIMEDOUT and sends RST, which arrives
//     once the path heals; healing first resumes without loss), connection resets (both sides
//     ECONNRESET), delay spikes on a path, one slow connection (its in-flight bytes arrive after
//     a newer connection's: the reorder TCP-based protocols really meet), and host crashes (every
//     connection of the host is reset, its listeners are gone until its next incarnation listens).
//
// Invariants: every random choice comes from the network's own stream of the world's seed; a
// path from a host to itself is never cut; the registry holds only connections with an endpoint
// still open (bounded by what the code under test opens).
import type { ConnectOptions, Connection, Listener, ListenOptions, Transport } from '../../src/net/transport.js';
import type { Rng } from './rng.js';
import { SimLink, type LinkPaths } from './sim-link.js';
import type { SimProcess } from './sim-process.js';
import { netError, SimSocket, type SocketHooks, type SocketParams } from './sim-socket.js';
import { quantizeMs, type World } from './world.js';

export interface NetworkOptions {
  /** Base one-way latency of a connection's direction, drawn per connection: [min, max] ms. */
  latencyMs: readonly [number, number];
  /** Extra uniform delay per item, ms. */
  jitterMs: number;
  /** A connection's send window (kernel buffers) is drawn from these, bytes. */
  windowBytesChoices: readonly number[];
  /** write() returns false at this many user-space bytes (node's default 16 KiB). */
  highWaterMarkBytes: number;
  /** Largest 'data' chunk (a 64 KiB socket read). */
  maxChunkBytes: number;
  /** Serialization rate of each link direction, bytes per ms (125_000 = 1 Gbit/s). */
  bandwidthBytesPerMs: number;
  /** A sender with unacked bytes and no ack for this long gives up (ETIMEDOUT + RST). */
  stallResetMs: number;
  /** A connect whose SYN or SYN-ACK keeps getting lost fails after this long (ETIMEDOUT). */
  connectTimeoutMs: number;
  /** First SYN retransmission, ms; doubles each time. */
  synRetryMs: number;
  /** Extra delay of a re-sent item after a heal: uniform [0, this], ms. */
  retransmitMaxMs: number;
  /** Bound on a socket's user-space queue (see SimSocket). */
  maxUserQueueBytes: number;
  /** First port handed out for port 0 and for the client side of connections. */
  ephemeralPortStart: number;
  /** Trace every data delivery (false: only connection events and faults). */
  traceData: boolean;
}

export const DEFAULT_NETWORK_OPTIONS: NetworkOptions = {
  latencyMs: [0.05, 1.5],
  jitterMs: 0.3,
  windowBytesChoices: [2_048, 16_384, 65_536, 262_144, 1_048_576],
  highWaterMarkBytes: 16_384,
  maxChunkBytes: 65_536,
  bandwidthBytesPerMs: 125_000,
  stallResetMs: 10_000,
  connectTimeoutMs: 20_000,
  synRetryMs: 1_000,
  retransmitMaxMs: 200,
  maxUserQueueBytes: 64 * 1024 * 1024,
  ephemeralPortStart: 40_000,
  traceData: true,
};

/** Names a process may listen on besides its own host name (all mean "this host"). */
const LOCAL_NAMES = new Set(['', '0.0.0.0', '::', '127.0.0.1', 'localhost', '::1']);

interface HostState {
  readonly name: string;
  readonly listeners: Map<number, SimListener>;
  readonly sockets: Set<SimSocket>;
  nextPort: number;
}

/** A live connection, as faults and checks see it. */
export interface SimConnectionInfo {
  readonly id: string;
  readonly client: SimSocket;
  /** Null until the handshake completed. */
  server: SimSocket | null;
}

interface Spike {
  readonly extraMs: number;
  readonly untilMs: number;
}

class SimListener implements Listener {
  openConnections = 0;
  closed = false;

  constructor(
    private readonly network: SimNetwork,
    readonly process: SimProcess,
    readonly host: string,
    readonly port: number,
    readonly options: ListenOptions,
  ) {}

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.network.unlisten(this);
      this.process.soon(resolve);
    });
  }
}

class SimTransport implements Transport {
  readonly kind = 'sim';
  /** fileDescriptor() is always null: HA streams from the main thread (no sendfile). */
  readonly providesFileDescriptors = false;

  constructor(
    private readonly network: SimNetwork,
    private readonly process: SimProcess,
  ) {}

  connect(options: ConnectOptions): Connection {
    return this.network.connect(this.process, options);
  }

  listen(options: ListenOptions): Promise<Listener> {
    return this.network.listen(this.process, options);
  }
}

export class SimNetwork {
  readonly options: NetworkOptions;
  private readonly rng: Rng;
  private readonly hosts = new Map<string, HostState>();
  private readonly cuts = new Set<string>();
  private readonly spikes = new Map<string, Spike>();
  private readonly connections = new Map<string, SimConnectionInfo>();
  private readonly links = new Set<SimLink>();
  /** Server-side sockets and the listener that will announce them. */
  private readonly listenerOf = new Map<SimSocket, SimListener>();
  private connectionCount = 0;
  private readonly paths: LinkPaths;
  private readonly hooks: SocketHooks;

  constructor(
    readonly world: World,
    options: Partial<NetworkOptions> = {},
  ) {
    this.options = { ...DEFAULT_NETWORK_OPTIONS, ...options };
    this.rng = world.rng.fork('network');
    const delivery = this.rng.fork('delivery');
    const traceData = this.options.traceData;
    this.paths = {
      world,
      rng: delivery,
      maxChunkBytes: this.options.maxChunkBytes,
      bandwidthBytesPerMs: this.options.bandwidthBytesPerMs,
      retransmitMaxMs: this.options.retransmitMaxMs,
      pathOpen: (from, to) => this.pathOpen(from, to),
      spikeMs: (from, to) => this.spikeMs(from, to),
      traceData,
      log: (text) => world.log('net', text),
    };
    this.hooks = {
      world,
      log: (text) => world.log('net', text),
      accepted: (socket) => this.accepted(socket),
      closed: (socket) => this.socketClosed(socket),
    };
    world.onCrash((host) => this.hostCrashed(host));
  }

  /** Make a host known (connects to unknown names fail with ENOTFOUND). */
  addHost(name: string): void {
    if (this.hosts.has(name)) return;
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) throw new Error(`bad simulated host name ${JSON.stringify(name)}`);
    this.hosts.set(name, { name, listeners: new Map(), sockets: new Set(), nextPort: this.options.ephemeralPortStart });
  }

  get hostNames(): string[] {
    return [...this.hosts.keys()];
  }

  /** The Transport for one process (its host is registered if new). */
  transport(process: SimProcess): Transport {
    this.addHost(process.host);
    return new SimTransport(this, process);
  }

  // ---- faults ----

  /** Cut every path between a host of `a` and a host of `b`, both ways. */
  partition(a: readonly string[], b: readonly string[]): void {
    this.world.log('fault', `partition {${a.join(',')}} | {${b.join(',')}}`);
    for (const x of a) for (const y of b) {
      this.setCut(x, y, true);
      this.setCut(y, x, true);
    }
  }

  /** Cut the path from `from` to `to` only (packets the other way still pass). */
  cutOneWay(from: string, to: string): void {
    this.world.log('fault', `cut ${from} -> ${to} (one way)`);
    this.setCut(from, to, true);
  }

  /** Heal the path from `from` to `to` (one way). */
  healOneWay(from: string, to: string): void {
    this.world.log('fault', `heal ${from} -> ${to}`);
    this.setCut(from, to, false);
  }

  /** Heal every cut path. */
  healAll(): void {
    if (this.cuts.size === 0) return;
    this.world.log('fault', `heal all (${[...this.cuts].join(' ')})`);
    for (const key of [...this.cuts]) {
      const [from, to] = key.split('>') as [string, string];
      this.setCut(from, to, false);
    }
  }

  /** Extra one-way latency from `from` to `to` for items sent in the next `durationMs`. */
  spike(from: string, to: string, extraMs: number, durationMs: number): void {
    this.world.log('fault', `delay spike ${from} -> ${to}: +${extraMs.toFixed(1)} ms for ${durationMs.toFixed(0)} ms`);
    this.spikes.set(`${from}>${to}`, { extraMs: quantizeMs(extraMs), untilMs: this.world.simMs + durationMs });
  }

  /** Reset a connection: both endpoints get ECONNRESET and 'close' (a middlebox RST). */
  reset(id: string): boolean {
    const c = this.connections.get(id);
    if (!c) return false;
    this.world.log('fault', `reset ${id}`);
    c.client.link?.clear();
    c.server?.link?.clear();
    c.client.reset();
    c.server?.reset();
    return true;
  }

  /** Hold back what one connection has in flight (both directions) by `extraMs`: it arrives late,
   * after what a newer connection sends meanwhile. */
  slow(id: string, extraMs: number): boolean {
    const c = this.connections.get(id);
    if (!c) return false;
    this.world.log('fault', `slow ${id}: +${extraMs.toFixed(1)} ms`);
    c.client.link?.slowDown(extraMs);
    c.server?.link?.slowDown(extraMs);
    return true;
  }

  /** Connections with an endpoint still open, oldest first. */
  liveConnections(): SimConnectionInfo[] {
    return [...this.connections.values()];
  }

  pathOpen(from: string, to: string): boolean {
    return from === to || !this.cuts.has(`${from}>${to}`);
  }

  /** "n0>n1 n1>n0": the cut paths, for traces. */
  describeCuts(): string {
    return [...this.cuts].join(' ');
  }

  // ---- the Transport, per process ----

  connect(process: SimProcess, options: ConnectOptions): Connection {
    const id = `c${++this.connectionCount}`;
    const from = process.host;
    const target = LOCAL_NAMES.has(options.host) ? from : options.host;
    const address = `${options.host}:${options.port}`;
    const state = this.hosts.get(from);
    const localPort = state ? state.nextPort++ : 0;
    const client = new SimSocket(this.hooks, process, `${id}/${from}`, `${from}:${localPort}`, address, this.socketParams(), 'connecting');
    if (!process.alive) {
      client.kill(); // dead code connecting: nothing happens, ever
      return client;
    }
    state?.sockets.add(client);
    this.connections.set(id, { id, client, server: null });
    this.world.log('net', `${id} ${from}:${localPort} connects to ${address}`);
    if (!this.hosts.has(target)) {
      process.soon(() => client.failConnect(netError('ENOTFOUND', 'getaddrinfo', options.host)));
      return client;
    }
    const latency = { up: this.drawLatency(), down: this.drawLatency() };
    const handshake: Handshake = { id, client, from, to: target, port: options.port, address, startMs: this.world.simMs, tries: 0, latency };
    this.sendSyn(handshake);
    return client;
  }

  listen(process: SimProcess, options: ListenOptions): Promise<Listener> {
    if (!process.alive) return new Promise<Listener>(() => undefined); // a dead process never hears back
    return new Promise<Listener>((resolve, reject) => {
      const state = this.hosts.get(process.host);
      const bad = (code: string): void => {
        process.soon(() => reject(netError(code, 'listen', `${options.host}:${options.port}`)));
      };
      if (!state) return bad('EADDRNOTAVAIL');
      if (!LOCAL_NAMES.has(options.host) && options.host !== process.host) return bad('EADDRNOTAVAIL');
      const port = options.port === 0 ? this.freePort(state) : options.port;
      if (state.listeners.has(port)) return bad('EADDRINUSE');
      const listener = new SimListener(this, process, options.host, port, options);
      state.listeners.set(port, listener);
      this.world.log('net', `${process.label} listens on ${process.host}:${port} (max ${options.maxConnections})`);
      process.soon(() => resolve(listener));
    });
  }

  unlisten(listener: SimListener): void {
    if (listener.closed) return;
    listener.closed = true;
    const state = this.hosts.get(listener.process.host);
    if (state?.listeners.get(listener.port) === listener) state.listeners.delete(listener.port);
    this.world.log('net', `${listener.process.label} stops listening on ${listener.process.host}:${listener.port}`);
  }

  // ---- internals ----

  private socketParams(): SocketParams {
    const o = this.options;
    return {
      highWaterMarkBytes: o.highWaterMarkBytes,
      windowBytes: this.rng.pick(o.windowBytesChoices),
      stallResetMs: o.stallResetMs,
      maxUserQueueBytes: o.maxUserQueueBytes,
    };
  }

  private drawLatency(): number {
    const [min, max] = this.options.latencyMs;
    return quantizeMs(this.rng.between(min, max));
  }

  private freePort(state: HostState): number {
    while (state.listeners.has(state.nextPort)) state.nextPort++;
    return state.nextPort++;
  }

  private setCut(from: string, to: string, cut: boolean): void {
    if (from === to) return;
    const key = `${from}>${to}`;
    if (cut === this.cuts.has(key)) return;
    if (cut) {
      this.cuts.add(key);
      for (const link of this.links) if (link.from === from && link.to === to) link.stall();
    } else {
      this.cuts.delete(key);
      for (const link of this.links) {
        if (link.from === from && link.to === to) link.resume();
        if (link.from === to && link.to === from) link.releaseAcks();
      }
    }
  }

  private spikeMs(from: string, to: string): number {
    const key = `${from}>${to}`;
    const s = this.spikes.get(key);
    if (!s) return 0;
    if (this.world.simMs >= s.untilMs) {
      this.spikes.delete(key);
      return 0;
    }
    return s.extraMs;
  }

  /** Send (or re-send) the SYN; a lost one is retried with doubling delays. */
  private sendSyn(h: Handshake): void {
    if (h.client.state !== 'connecting') return;
    if (this.world.simMs - h.startMs >= this.options.connectTimeoutMs) {
      this.world.log('net', `${h.id} connect to ${h.address} timed out after ${h.tries} SYNs`);
      h.client.failConnect(netError('ETIMEDOUT', 'connect', h.address));
      return;
    }
    h.tries++;
    if (!this.pathOpen(h.from, h.to)) return this.retrySyn(h, 'SYN lost');
    this.world.scheduler.after(h.latency.up + this.spikeMs(h.from, h.to), () => this.synArrived(h));
  }

  private retrySyn(h: Handshake, why: string): void {
    const delayMs = this.options.synRetryMs * 2 ** (h.tries - 1);
    const left = this.options.connectTimeoutMs - (this.world.simMs - h.startMs);
    this.world.log('net', `${h.id} ${why}; SYN again in ${Math.min(delayMs, left).toFixed(0)} ms`);
    this.world.scheduler.after(Math.max(0, Math.min(delayMs, left)), () => this.sendSyn(h));
  }

  private synArrived(h: Handshake): void {
    if (h.client.state !== 'connecting') return; // the client gave up; nothing was accepted
    const listener = this.hosts.get(h.to)?.listeners.get(h.port);
    const back = h.latency.down + this.spikeMs(h.to, h.from);
    if (!this.pathOpen(h.to, h.from)) return this.retrySyn(h, listener ? 'SYN-ACK lost' : 'RST lost');
    if (!listener || !listener.process.alive) {
      this.world.scheduler.after(back, () => {
        if (h.client.state !== 'connecting') return;
        this.world.log('net', `${h.id} connect to ${h.address} refused (no listener)`);
        h.client.failConnect(netError('ECONNREFUSED', 'connect', h.address));
      });
      return;
    }
    this.world.scheduler.after(back, () => this.synAckArrived(h, listener));
  }

  private synAckArrived(h: Handshake, listener: SimListener): void {
    if (h.client.state !== 'connecting') return;
    const info = this.connections.get(h.id);
    const serverState = this.hosts.get(h.to);
    if (!info || !serverState) return;
    const serverPort = listener.port;
    const server = new SimSocket(this.hooks, listener.process, `${h.id}/${h.to}`, `${h.to}:${serverPort}`, h.client.localAddress, this.socketParams(), 'open');
    serverState.sockets.add(server);
    info.server = server;
    const jitter = this.options.jitterMs;
    const up = new SimLink(this.paths, `${h.id} ${h.from}>${h.to}`, h.from, h.to, h.latency.up, jitter, h.client, server);
    const down = new SimLink(this.paths, `${h.id} ${h.to}>${h.from}`, h.to, h.from, h.latency.down, jitter, server, h.client);
    this.links.add(up);
    this.links.add(down);
    this.listenerOf.set(server, listener);
    server.establish(down, false);
    up.pushControl('accept'); // the handshake ACK: ahead of any byte the client sends
    this.world.log('net', `${h.id} ${h.from} connected to ${h.address} (latency ${h.latency.up.toFixed(2)}/${h.latency.down.toFixed(2)} ms)`);
    h.client.establish(up, true);
  }

  private accepted(server: SimSocket): void {
    const listener = this.listenerOf.get(server);
    if (!listener || listener.closed || !listener.process.alive) {
      this.world.log('net', `${server.label}: the listener is gone; RST`);
      server.kill(); // never announced: nobody hears of it but the client
      return;
    }
    if (listener.openConnections >= listener.options.maxConnections) {
      this.world.log('net', `${server.label} refused: ${listener.openConnections} of ${listener.options.maxConnections} connections open`);
      server.destroy(); // closed at once: the client sees 'end' (FIN)
      listener.options.onRefused?.(server.remoteAddress);
      return;
    }
    listener.openConnections++;
    server.announce();
    this.world.log('net', `${server.label} accepted from ${server.remoteAddress}`);
    listener.options.onConnection(server);
  }

  private socketClosed(socket: SimSocket): void {
    const listener = this.listenerOf.get(socket);
    this.listenerOf.delete(socket);
    if (listener && socket.announced) listener.openConnections--;
    this.hosts.get(socket.host)?.sockets.delete(socket);
    const id = socket.label.split('/')[0] as string;
    const info = this.connections.get(id);
    if (!info) return;
    const serverDone = info.server === null || info.server.destroyed;
    if (info.client.destroyed && serverDone) {
      this.connections.delete(id);
      // Both ends are gone: what is still in flight could only meet closed sockets (data is
      // answered by an RST to a closed socket, FIN and RST are ignored), so it is dropped.
      for (const s of [info.client, info.server]) {
        const link = s?.link;
        if (!link) continue;
        link.clear();
        this.links.delete(link);
      }
    }
  }

  private hostCrashed(host: string): void {
    const state = this.hosts.get(host);
    if (!state) return;
    for (const listener of [...state.listeners.values()]) this.unlisten(listener);
    for (const socket of [...state.sockets]) socket.kill();
  }
}

interface Handshake {
  readonly id: string;
  readonly client: SimSocket;
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly address: string;
  readonly startMs: number;
  tries: number;
  readonly latency: { readonly up: number; readonly down: number };
}
