// Helpers for the simulator's own tests: a world with a network and booted hosts, and a recorder
// of one connection's events that enforces node:net's event contract while it records.
import type { Connection, Listener } from '../../src/net/transport.js';
import { SimNetwork, type NetworkOptions } from './sim-network.js';
import type { SimProcess } from './sim-process.js';
import { World } from './world.js';

export interface Kit {
  world: World;
  net: SimNetwork;
  procs: Map<string, SimProcess>;
  proc(host: string): SimProcess;
  /** Run until `pred` holds; fails the test if it does not within `maxSimMs`. */
  until(pred: () => boolean, maxSimMs?: number, what?: string): Promise<void>;
  /** Let `ms` of simulated time pass. */
  runFor(ms: number): Promise<void>;
}

export function makeKit(seed: number, hosts: readonly string[], options: Partial<NetworkOptions> = {}): Kit {
  const world = new World({ seed, traceLimit: 200 });
  const net = new SimNetwork(world, options);
  const procs = new Map<string, SimProcess>();
  for (const h of hosts) {
    const p = world.boot(h);
    procs.set(h, p);
    net.addHost(h);
  }
  const kit: Kit = {
    world,
    net,
    procs,
    proc: (host) => {
      const p = procs.get(host);
      if (!p) throw new Error(`no host ${host}`);
      return p;
    },
    async until(pred, maxSimMs = 60_000, what = 'condition') {
      const r = await world.run({ maxSteps: 2_000_000, maxSimMs, until: pred });
      if (r.violation) throw new Error(`violation: ${r.violation.check}: ${r.violation.message}\n${world.trace.format()}`);
      if (!pred()) throw new Error(`${what} not reached within ${maxSimMs} simulated ms (${r.stopReason})\n${world.trace.format()}`);
    },
    async runFor(ms) {
      const r = await world.run({ maxSteps: 2_000_000, maxSimMs: ms });
      if (r.violation) throw new Error(`violation: ${r.violation.check}: ${r.violation.message}\n${world.trace.format()}`);
    },
  };
  return kit;
}

export interface Recorded {
  readonly events: string[];
  readonly chunks: Uint8Array[];
  connected: boolean;
  ended: boolean;
  closed: boolean;
  error: (Error & { code?: string }) | null;
  /** Bytes received so far (cheap; bytes() concatenates). */
  length: number;
  bytes(): Buffer;
}

/** Record a connection's events; throws (failing the step) on a broken event contract. */
export function record(conn: Connection): Recorded {
  const r: Recorded = {
    events: [],
    chunks: [],
    connected: false,
    ended: false,
    closed: false,
    error: null,
    length: 0,
    bytes: () => Buffer.concat(r.chunks),
  };
  const guard = (event: string): void => {
    if (r.closed) throw new Error(`'${event}' after 'close'`);
  };
  conn.on('connect', () => {
    guard('connect');
    if (r.connected) throw new Error("'connect' twice");
    r.connected = true;
    r.events.push('connect');
  });
  conn.on('data', (chunk) => {
    guard('data');
    if (r.ended) throw new Error("'data' after 'end'");
    r.chunks.push(chunk);
    r.length += chunk.length;
  });
  conn.on('end', () => {
    guard('end');
    r.ended = true;
    r.events.push('end');
  });
  conn.on('error', (err) => {
    guard('error');
    if (r.error) throw new Error("a second 'error'");
    r.error = err;
    r.events.push(`error ${(err as { code?: string }).code ?? err.message}`);
  });
  conn.on('close', () => {
    guard('close');
    r.closed = true;
    r.events.push('close');
  });
  return r;
}

/** Listen on `host:port` and record every accepted connection. */
export async function listenRecording(
  kit: Kit,
  host: string,
  port: number,
  maxConnections = 16,
): Promise<{ listener: Listener; accepted: { conn: Connection; rec: Recorded }[]; refused: string[] }> {
  const accepted: { conn: Connection; rec: Recorded }[] = [];
  const refused: string[] = [];
  const transport = kit.net.transport(kit.proc(host));
  let listener: Listener | null = null;
  void transport
    .listen({
      host,
      port,
      maxConnections,
      onConnection: (conn) => accepted.push({ conn, rec: record(conn) }),
      onRefused: (addr) => refused.push(addr),
    })
    .then((l) => (listener = l));
  await kit.until(() => listener !== null, 1_000, 'listening');
  return { listener: listener as unknown as Listener, accepted, refused };
}
