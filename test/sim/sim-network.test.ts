// The simulated network keeps TCP's promises and breaks them only the ways TCP does.
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/net/transport.js';
import { listenRecording, makeKit, record, type Kit } from './net-test-kit.js';
import { Rng } from './rng.js';

const PORT = 10911;

/** Write `messages` in order, waiting for 'drain' whenever write() says so. */
function writeAll(conn: Connection, messages: readonly Uint8Array[]): { finished: () => boolean; falseReturns: () => number } {
  let i = 0;
  let falses = 0;
  const pump = (): void => {
    while (i < messages.length) {
      const ok = conn.write(messages[i++] as Uint8Array);
      if (!ok) {
        falses++;
        conn.once('drain', pump);
        return;
      }
    }
  };
  conn.on('connect', pump);
  return { finished: () => i === messages.length && conn.writableLength === 0, falseReturns: () => falses };
}

function randomMessages(seed: number, count: number, maxBytes: number): Buffer[] {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: count }, () => Buffer.from(rng.bytes(rng.int(1, maxBytes))));
}

async function connected(kit: Kit, from: string, to: string): Promise<{ client: Connection; rec: ReturnType<typeof record> }> {
  const client = kit.net.transport(kit.proc(from)).connect({ host: to, port: PORT });
  const rec = record(client);
  await kit.until(() => rec.connected, 5_000, 'connect');
  return { client, rec };
}

describe('SimNetwork: one connection', () => {
  it('delivers bytes in order, without loss, re-chunked at random boundaries, both ways', async () => {
    const kit = makeKit(7, ['n0', 'n1']);
    const server = await listenRecording(kit, 'n0', PORT);
    const client = kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT });
    const rec = record(client);
    const messages = randomMessages(1, 400, 3_000);
    const writer = writeAll(client, messages.slice(0, 200)); // a burst, written as fast as allowed
    const expected = Buffer.concat(messages);
    let paced = 200;
    const tick = (): void => {
      client.write(messages[paced++] as Buffer); // then one write per ms
      if (paced < messages.length) kit.proc('n1').after(1, tick);
    };
    await kit.until(() => writer.finished(), 10_000, 'burst written');
    tick();
    await kit.until(() => server.accepted[0]?.rec.length === expected.length, 60_000, 'all bytes at the server');
    const got = server.accepted[0]!.rec;
    expect(got.bytes().equals(expected)).toBe(true);
    expect(writer.finished()).toBe(true);
    // Re-chunked: the chunk boundaries are not the write boundaries.
    const writeEnds = new Set<number>();
    let at = 0;
    for (const m of messages) writeEnds.add((at += m.length));
    let chunkAt = 0;
    let offBoundary = 0;
    let tiny = 0;
    for (const c of got.chunks) {
      if (!writeEnds.has((chunkAt += c.length))) offBoundary++;
      if (c.length <= 16) tiny++;
    }
    expect(offBoundary).toBeGreaterThan(10);
    expect(tiny).toBeGreaterThan(10);
    expect(got.chunks.length).not.toBe(messages.length);

    // The other direction.
    const back = randomMessages(2, 100, 5_000);
    for (const m of back) server.accepted[0]!.conn.write(m);
    const backBytes = Buffer.concat(back);
    await kit.until(() => rec.length === backBytes.length, 60_000, 'bytes back at the client');
    expect(rec.bytes().equals(backBytes)).toBe(true);
    expect(rec.error).toBeNull();
    expect(got.error).toBeNull();
  });

  it('applies backpressure: write() returns false at the high-water mark, drain follows, done runs in order', async () => {
    const kit = makeKit(3, ['n0', 'n1'], { windowBytesChoices: [4_096] });
    const server = await listenRecording(kit, 'n0', PORT);
    const { client } = await connected(kit, 'n1', 'n0');
    expect(client.write(Buffer.alloc(100))).toBe(true); // small write on an idle socket
    const big = Buffer.alloc(200_000, 7);
    const done: number[] = [];
    expect(client.write(big, () => done.push(1))).toBe(false);
    expect(client.writableNeedDrain).toBe(true);
    expect(client.writableLength).toBeGreaterThan(100_000); // only a window's worth left user space
    client.write(Buffer.alloc(10), () => done.push(2));
    let drained = false;
    client.once('drain', () => (drained = true));
    await kit.until(() => drained, 30_000, 'drain');
    expect(client.writableLength).toBe(0);
    expect(done).toEqual([1, 2]);
    await kit.until(() => server.accepted[0]?.rec.length === 200_110, 30_000, 'all bytes');
  });

  it('a full small window does not decay into tiny segments (silly-window avoidance)', async () => {
    const kit = makeKit(9, ['n0', 'n1'], { windowBytesChoices: [2_048] });
    const server = await listenRecording(kit, 'n0', PORT);
    const client = kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT });
    const messages = randomMessages(10, 100, 4_000);
    const total = messages.reduce((n, m) => n + m.length, 0);
    const writer = writeAll(client, messages);
    await kit.until(() => writer.finished() && server.accepted[0]?.rec.length === total, 60_000, 'all bytes');
    const got = server.accepted[0]!.rec;
    expect(got.length / got.chunks.length).toBeGreaterThan(100); // was ~3 bytes per chunk without it
  });

  it('a stalled receiver path backs the writer up: no drain until the path heals', async () => {
    const kit = makeKit(4, ['n0', 'n1'], { windowBytesChoices: [16_384] });
    const server = await listenRecording(kit, 'n0', PORT);
    const { client } = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    kit.net.partition(['n0'], ['n1']);
    let falses = 0;
    for (let i = 0; i < 100; i++) if (!client.write(Buffer.alloc(1_000, i))) falses++;
    let drained = false;
    client.once('drain', () => (drained = true));
    await kit.runFor(3_000);
    expect(falses).toBeGreaterThan(0);
    expect(drained).toBe(false);
    // The window (16 KiB) is in flight, less at most one segment (silly-window avoidance).
    expect(client.writableLength).toBeGreaterThanOrEqual(100_000 - 16_384);
    expect(client.writableLength).toBeLessThan(100_000 - 16_384 + 1_448);
    expect(server.accepted[0]!.rec.length).toBe(0);
    kit.net.healAll();
    await kit.until(() => drained, 10_000, 'drain after heal');
    await kit.until(() => server.accepted[0]!.rec.length === 100_000, 10_000, 'all bytes after heal');
    const bytes = server.accepted[0]!.rec.bytes();
    for (let i = 0; i < 100; i++) expect(bytes[i * 1_000]).toBe(i);
  });

  it('connect to an address with no listener fails with ECONNREFUSED, then close; an unknown host with ENOTFOUND', async () => {
    const kit = makeKit(5, ['n0', 'n1']);
    const rec = record(kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT }));
    await kit.until(() => rec.closed, 5_000, 'close');
    expect(rec.events).toEqual(['error ECONNREFUSED', 'close']);
    expect(rec.error?.message).toBe('connect ECONNREFUSED n0:10911');
    const unknown = record(kit.net.transport(kit.proc('n1')).connect({ host: 'n9', port: PORT }));
    await kit.until(() => unknown.closed, 5_000, 'close');
    expect(unknown.events).toEqual(['error ENOTFOUND', 'close']);
  });

  it('refuses connections beyond maxConnections and reports them', async () => {
    const kit = makeKit(6, ['n0', 'n1', 'n2']);
    const server = await listenRecording(kit, 'n0', PORT, 1);
    const first = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    const second = record(kit.net.transport(kit.proc('n2')).connect({ host: 'n0', port: PORT }));
    await kit.until(() => second.closed, 5_000, 'refused connection closed');
    expect(second.events).toEqual(['connect', 'end', 'close']);
    expect(server.refused).toHaveLength(1);
    expect(server.refused[0]).toMatch(/^n2:\d+$/);
    expect(server.accepted).toHaveLength(1);
    // Once the first one closes, a new connection is accepted.
    first.client.destroy();
    await kit.until(() => server.accepted[0]!.rec.closed, 5_000, 'server side closed');
    const third = record(kit.net.transport(kit.proc('n2')).connect({ host: 'n0', port: PORT }));
    await kit.until(() => server.accepted.length === 2, 5_000, 'second accept');
    expect(third.connected).toBe(true);
  });

  it('destroy() delivers what the kernel holds, then FIN: the peer sees the bytes, end, close', async () => {
    const kit = makeKit(8, ['n0', 'n1']);
    const server = await listenRecording(kit, 'n0', PORT);
    const { client, rec } = await connected(kit, 'n1', 'n0');
    client.write(Buffer.from('last words'));
    client.destroy();
    expect(client.destroyed).toBe(true);
    await kit.until(() => server.accepted[0]?.rec.closed === true, 5_000, 'server close');
    expect(server.accepted[0]!.rec.bytes().toString()).toBe('last words');
    expect(server.accepted[0]!.rec.events).toEqual(['end', 'close']);
    await kit.until(() => rec.closed, 5_000, 'client close');
    expect(rec.events).toEqual(['connect', 'close']);
  });
});

describe('SimNetwork: the smaller promises of node:net', () => {
  it('writes before connect are queued and sent in order; cork holds writes until uncork', async () => {
    const kit = makeKit(21, ['n0', 'n1']);
    const server = await listenRecording(kit, 'n0', PORT);
    const client = kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT });
    expect(client.write(Buffer.from('early '))).toBe(true);
    expect(client.writableLength).toBe(6);
    await kit.until(() => server.accepted[0]?.rec.length === 6, 5_000, 'early bytes');
    client.cork();
    client.write(Buffer.from('a'));
    client.write(Buffer.from('b'));
    expect(client.writableLength).toBe(2);
    await kit.runFor(100);
    expect(server.accepted[0]!.rec.length).toBe(6);
    client.uncork();
    await kit.until(() => server.accepted[0]!.rec.length === 8, 5_000, 'corked bytes');
    expect(server.accepted[0]!.rec.bytes().toString()).toBe('early ab');
    expect(client.fileDescriptor()).toBeNull();
    expect(client.remoteAddress).toBe('n0:10911');
    expect(server.accepted[0]!.conn.remoteAddress).toMatch(/^n1:\d+$/);
  });

  it('a write after destroy fails its callback and emits nothing; a write after the peer ended is EPIPE', async () => {
    const kit = makeKit(22, ['n0', 'n1']);
    const server = await listenRecording(kit, 'n0', PORT);
    const { client, rec } = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    client.destroy();
    let doneErr: Error | null | undefined;
    expect(client.write(Buffer.from('x'), (err) => (doneErr = err))).toBe(false);
    await kit.until(() => rec.closed && doneErr !== undefined, 5_000, 'close');
    expect((doneErr as { code?: string } | null)?.code).toBe('ERR_STREAM_DESTROYED');
    expect(rec.events).toEqual(['connect', 'close']);

    const second = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 2, 5_000, 'accept');
    const serverSide = server.accepted[1]!.conn;
    let wroteInEnd: boolean | null = null;
    serverSide.once('end', () => (wroteInEnd = serverSide.write(Buffer.from('too late'))));
    second.client.destroy();
    await kit.until(() => server.accepted[1]!.rec.closed, 5_000, 'server side closed');
    expect(wroteInEnd).toBe(false);
    expect(server.accepted[1]!.rec.events).toEqual(['end', 'error EPIPE', 'close']);
  });

  it('listen: port 0 picks a free port, a taken port is EADDRINUSE, another host name is EADDRNOTAVAIL; close stops accepting', async () => {
    const kit = makeKit(23, ['n0', 'n1']);
    const t = kit.net.transport(kit.proc('n0'));
    const base = { maxConnections: 4, onConnection: () => undefined };
    const results: string[] = [];
    const any = t.listen({ host: '0.0.0.0', port: 0, ...base });
    const taken = t.listen({ host: 'n0', port: PORT, ...base });
    const clash = t.listen({ host: 'n0', port: PORT, ...base });
    const elsewhere = t.listen({ host: 'n1', port: PORT, ...base });
    any.then((l) => results.push(`any ${l.port > 0}`));
    clash.catch((e: { code?: string }) => results.push(`clash ${e.code}`));
    elsewhere.catch((e: { code?: string }) => results.push(`elsewhere ${e.code}`));
    await kit.until(() => results.length === 3, 1_000, 'listen results');
    expect(results.sort()).toEqual(['any true', 'clash EADDRINUSE', 'elsewhere EADDRNOTAVAIL']);
    let closed = false;
    void (await taken).close().then(() => (closed = true));
    await kit.until(() => closed, 1_000, 'listener closed');
    const refused = record(kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT }));
    await kit.until(() => refused.closed, 5_000, 'refused');
    expect(refused.error?.code).toBe('ECONNREFUSED');
  });
});

describe('SimNetwork: faults', () => {
  it('a partition stalls the bytes; after stallResetMs the sender gives up (ETIMEDOUT), and its RST reaches the peer after the heal', async () => {
    const kit = makeKit(11, ['n0', 'n1'], { stallResetMs: 5_000 });
    const server = await listenRecording(kit, 'n0', PORT);
    const { client, rec } = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    kit.net.partition(['n1'], ['n0']);
    client.write(Buffer.alloc(500, 1));
    await kit.runFor(4_000);
    expect(rec.closed).toBe(false);
    expect(server.accepted[0]!.rec.length).toBe(0);
    await kit.until(() => rec.closed, 2_000, 'client gives up');
    expect(rec.events).toEqual(['connect', 'error ETIMEDOUT', 'close']);
    expect(server.accepted[0]!.rec.closed).toBe(false); // half-open: the server knows nothing yet
    await kit.runFor(10_000);
    expect(server.accepted[0]!.rec.closed).toBe(false);
    kit.net.healAll();
    await kit.until(() => server.accepted[0]!.rec.closed, 5_000, 'RST at the server');
    expect(server.accepted[0]!.rec.events).toEqual(['error ECONNRESET', 'close']);
    expect(server.accepted[0]!.rec.length).toBe(0); // the aborted bytes never arrive
  });

  it('a partition healed before the reset resumes without loss or reordering', async () => {
    const kit = makeKit(12, ['n0', 'n1'], { stallResetMs: 5_000 });
    const server = await listenRecording(kit, 'n0', PORT);
    const { client, rec } = await connected(kit, 'n1', 'n0');
    const messages = randomMessages(3, 200, 2_000);
    let i = 0;
    const tick = (): void => {
      if (i < messages.length) client.write(messages[i++] as Buffer);
      if (i < messages.length) kit.proc('n1').after(10, tick);
    };
    tick();
    await kit.runFor(300);
    kit.net.partition(['n0'], ['n1']);
    await kit.runFor(3_000);
    const during = server.accepted[0]!.rec.bytes().length;
    await kit.runFor(500);
    expect(server.accepted[0]!.rec.length).toBe(during); // nothing gets through the cut
    kit.net.healAll();
    const expected = Buffer.concat(messages);
    await kit.until(() => server.accepted[0]!.rec.length === expected.length, 10_000, 'all bytes');
    expect(server.accepted[0]!.rec.bytes().equals(expected)).toBe(true);
    expect(rec.error).toBeNull();
    expect(server.accepted[0]!.rec.error).toBeNull();
  });

  it('a one-way cut: bytes flow the open way, the cut way stalls; healed, everything arrives', async () => {
    const kit = makeKit(13, ['n0', 'n1'], { stallResetMs: 8_000 });
    const server = await listenRecording(kit, 'n0', PORT);
    const { client, rec } = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    const serverConn = server.accepted[0]!.conn;
    kit.net.cutOneWay('n1', 'n0');
    client.write(Buffer.from('up'));
    serverConn.write(Buffer.from('down'));
    await kit.runFor(2_000);
    expect(rec.bytes().toString()).toBe('down'); // n0 -> n1 still delivers
    expect(server.accepted[0]!.rec.length).toBe(0); // n1 -> n0 does not
    kit.net.healOneWay('n1', 'n0');
    await kit.until(() => server.accepted[0]!.rec.bytes().toString() === 'up', 5_000, 'up after heal');
    await kit.runFor(10_000); // the deferred acks got back: nobody times out
    expect(rec.error).toBeNull();
    expect(server.accepted[0]!.rec.error).toBeNull();
  });

  it('a one-way cut kept too long: both senders time out (the acks cannot get back either)', async () => {
    const kit = makeKit(14, ['n0', 'n1'], { stallResetMs: 3_000 });
    const server = await listenRecording(kit, 'n0', PORT);
    const { client, rec } = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    kit.net.cutOneWay('n1', 'n0');
    client.write(Buffer.from('up'));
    server.accepted[0]!.conn.write(Buffer.from('down'));
    await kit.until(() => rec.closed && server.accepted[0]!.rec.closed, 10_000, 'both closed');
    expect(rec.events).toEqual(['connect', 'error ETIMEDOUT', 'close']);
    expect(server.accepted[0]!.rec.error?.code).toMatch(/ETIMEDOUT|ECONNRESET/);
  });

  it('a reset: both sides get ECONNRESET then close', async () => {
    const kit = makeKit(15, ['n0', 'n1']);
    const server = await listenRecording(kit, 'n0', PORT);
    const { rec } = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    const [info] = kit.net.liveConnections();
    expect(kit.net.reset(info!.id)).toBe(true);
    await kit.until(() => rec.closed && server.accepted[0]!.rec.closed, 5_000, 'both closed');
    expect(rec.events).toEqual(['connect', 'error ECONNRESET', 'close']);
    expect(server.accepted[0]!.rec.events).toEqual(['error ECONNRESET', 'close']);
    expect(kit.net.liveConnections()).toHaveLength(0);
  });

  it('a host restart: its connections are reset, connects are refused until the new incarnation listens', async () => {
    const kit = makeKit(16, ['n0', 'n1']);
    const server = await listenRecording(kit, 'n0', PORT);
    const { rec } = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    let oldTimerRan = false;
    kit.proc('n0').after(1_000, () => (oldTimerRan = true));
    kit.world.crashHost('n0', 'test');
    await kit.until(() => rec.closed, 5_000, 'client sees the reset');
    expect(rec.events).toEqual(['connect', 'error ECONNRESET', 'close']);
    expect(server.accepted[0]!.rec.closed).toBe(false); // the dead process hears nothing
    const refused = record(kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT }));
    await kit.until(() => refused.closed, 5_000, 'refused');
    expect(refused.events).toEqual(['error ECONNREFUSED', 'close']);
    await kit.runFor(2_000);
    expect(oldTimerRan).toBe(false);
    // The next incarnation listens again.
    kit.procs.set('n0', kit.world.boot('n0'));
    const again = await listenRecording(kit, 'n0', PORT);
    const back = await connected(kit, 'n1', 'n0');
    await kit.until(() => again.accepted.length === 1, 5_000, 'accept by the new incarnation');
    expect(back.rec.error).toBeNull();
  });

  it('a slow old connection delivers after a newer one: bytes overtake across connections', async () => {
    const kit = makeKit(17, ['n0', 'n1']);
    const server = await listenRecording(kit, 'n0', PORT);
    const old = await connected(kit, 'n1', 'n0');
    await kit.until(() => server.accepted.length === 1, 5_000, 'accept');
    const [info] = kit.net.liveConnections();
    kit.net.slow(info!.id, 2_000);
    old.client.write(Buffer.from('old'));
    old.client.destroy(); // the kernel still delivers what it holds
    const fresh = await connected(kit, 'n1', 'n0');
    fresh.client.write(Buffer.from('new'));
    const arrivals: string[] = [];
    await kit.until(() => server.accepted.length === 2, 5_000, 'second accept');
    server.accepted[1]!.conn.on('data', (c) => arrivals.push(`new:${Buffer.from(c).toString()}`));
    server.accepted[0]!.conn.on('data', (c) => arrivals.push(`old:${Buffer.from(c).toString()}`));
    await kit.until(() => server.accepted[0]!.rec.bytes().toString() === 'old', 10_000, 'old bytes');
    expect(arrivals.join('').indexOf('new:')).toBe(0); // the new connection's bytes came first
    expect(server.accepted[1]!.rec.bytes().toString()).toBe('new');
  });

  it('a connect across a partition is retried and succeeds once healed; kept cut, it times out', async () => {
    const kit = makeKit(18, ['n0', 'n1'], { connectTimeoutMs: 10_000 });
    const server = await listenRecording(kit, 'n0', PORT);
    kit.net.partition(['n0'], ['n1']);
    const rec = record(kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT }));
    await kit.runFor(2_500);
    expect(rec.events).toEqual([]);
    kit.net.healAll();
    await kit.until(() => server.accepted.length === 1, 10_000, 'accept after heal');
    expect(rec.connected).toBe(true);
    kit.net.partition(['n0'], ['n1']);
    const lost = record(kit.net.transport(kit.proc('n1')).connect({ host: 'n0', port: PORT }));
    await kit.until(() => lost.closed, 20_000, 'connect timeout');
    expect(lost.events).toEqual(['error ETIMEDOUT', 'close']);
  });
});
