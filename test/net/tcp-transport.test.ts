// The TCP Transport on loopback: connect/listen on port 0, bytes arrive in order, write() says
// false under backpressure and 'drain' follows, connections beyond maxConnections are refused
// and reported, fileDescriptor() is an OS descriptor, a taken port rejects listen(), and close()
// frees the port while accepted connections stay open.
import { afterEach, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/net/transport.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import { withDeadline } from '../helpers/ha-raw-peer.js';
import { waitUntil } from '../helpers/store-harness.js';
import { closeOpened, listenCollecting, type Opened } from '../helpers/transport-harness.js';

const HOST = '127.0.0.1';
const opened: Opened = { listeners: [], connections: [] };
const { listeners, connections } = opened;

afterEach(() => closeOpened(opened));

/** A listener on a free port whose accepted connections are pushed to `accepted`. */
function server(maxConnections = 8, refused: string[] = []): ReturnType<typeof listenCollecting> {
  return listenCollecting(tcpTransport, HOST, opened, maxConnections, refused);
}

function connected(port: number): Promise<Connection> {
  const c = tcpTransport.connect({ host: HOST, port });
  connections.push(c);
  return withDeadline(
    new Promise<Connection>((resolve, reject) => {
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    }),
    5000,
    `connect to ${HOST}:${port}`,
  );
}

function closed(c: Connection): Promise<void> {
  return withDeadline(new Promise<void>((resolve) => c.once('close', resolve)), 5000, 'the connection closed');
}

describe('tcpTransport', () => {
  it('connects to a listener on port 0 and carries bytes in order both ways', async () => {
    const { listener, accepted } = await server();
    expect(listener.port).toBeGreaterThan(0);
    expect(listener.host).toBe(HOST);
    const client = await connected(listener.port);
    await waitUntil(() => accepted.length === 1, 'the connection was accepted', 5000);
    const peer = accepted[0]!;
    expect(peer.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(client.remoteAddress).toBe(`${HOST}:${listener.port}`);

    const got: Uint8Array[] = [];
    peer.on('data', (chunk) => got.push(chunk));
    const total = 200_000;
    const payload = Uint8Array.from({ length: total }, (_, i) => (i * 31) & 0xff);
    const written: number[] = [];
    for (let at = 0, n = 0; at < total; at += 10_000, n++) client.write(payload.subarray(at, at + 10_000), () => written.push(n));
    await waitUntil(() => got.reduce((s, c) => s + c.byteLength, 0) >= total, 'every byte arrived', 5000);
    expect(Buffer.concat(got).equals(Buffer.from(payload))).toBe(true);
    await waitUntil(() => written.length === 20, 'every write callback ran', 5000);
    expect(written).toEqual([...Array(20).keys()]);

    const back: Uint8Array[] = [];
    client.on('data', (chunk) => back.push(chunk));
    peer.cork();
    peer.write(Uint8Array.of(1, 2));
    peer.write(Uint8Array.of(3));
    peer.uncork();
    await waitUntil(() => back.reduce((s, c) => s + c.byteLength, 0) === 3, 'the reply arrived', 5000);
    expect([...Buffer.concat(back)]).toEqual([1, 2, 3]);
  });

  it('write() returns false when the peer does not read, and drain follows once it does', async () => {
    const { listener, accepted } = await server();
    const client = await connected(listener.port);
    await waitUntil(() => accepted.length === 1, 'the connection was accepted', 5000);
    const peer = accepted[0]!;
    const chunk = new Uint8Array(1 << 20);
    let ok = true;
    let writes = 0;
    // the kernel buffers take a few MiB at most; the bound keeps a broken test from looping on
    for (; ok && writes < 256; writes++) ok = client.write(chunk);
    expect(ok).toBe(false);
    expect(client.writableNeedDrain).toBe(true);
    expect(client.writableLength).toBeGreaterThan(0);
    const drained = withDeadline(new Promise<void>((resolve) => client.once('drain', resolve)), 10_000, 'drain');
    let received = 0;
    peer.on('data', (c) => (received += c.byteLength));
    await drained;
    expect(client.writableNeedDrain).toBe(false);
    await waitUntil(() => received === writes * chunk.byteLength, 'the peer read everything', 10_000);
  });

  it('refuses connections beyond maxConnections and reports each one', async () => {
    const refused: string[] = [];
    const { listener, accepted } = await server(1, refused);
    await connected(listener.port);
    await waitUntil(() => accepted.length === 1, 'the first connection was accepted', 5000);
    const second = tcpTransport.connect({ host: HOST, port: listener.port });
    connections.push(second);
    second.on('error', () => {}); // a reset is one possible way for the refusal to show
    await closed(second);
    await waitUntil(() => refused.length === 1, 'the refusal was reported', 5000);
    expect(refused[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(accepted.length).toBe(1);
  });

  it('gives both ends an OS file descriptor while open, null after close', async () => {
    expect(tcpTransport.providesFileDescriptors).toBe(true);
    const { listener, accepted } = await server();
    const client = await connected(listener.port);
    await waitUntil(() => accepted.length === 1, 'the connection was accepted', 5000);
    for (const c of [client, accepted[0]!]) {
      const fd = c.fileDescriptor();
      expect(typeof fd).toBe('number');
      expect(fd).toBeGreaterThan(2);
    }
    expect(client.fileDescriptor()).not.toBe(accepted[0]!.fileDescriptor());
    const gone = closed(client);
    client.destroy();
    expect(client.destroyed).toBe(true);
    await gone;
    expect(client.fileDescriptor()).toBeNull();
  });

  it('rejects listen() on a port that is taken', async () => {
    const { listener } = await server();
    await expect(tcpTransport.listen({ host: HOST, port: listener.port, maxConnections: 1, onConnection: () => {} })).rejects.toThrow(/EADDRINUSE/);
  });

  it('reports a refused connect as error then close', async () => {
    const { listener } = await server();
    const port = listener.port;
    await listener.close();
    const c = tcpTransport.connect({ host: HOST, port });
    connections.push(c);
    const events: string[] = [];
    c.on('error', (err) => events.push(`error ${(err as NodeJS.ErrnoException).code}`));
    c.on('connect', () => events.push('connect'));
    await closed(c);
    expect(events).toEqual(['error ECONNREFUSED']);
  });

  it('close() frees the port at once and leaves accepted connections open', async () => {
    const { listener, accepted } = await server();
    const client = await connected(listener.port);
    await waitUntil(() => accepted.length === 1, 'the connection was accepted', 5000);
    await listener.close();
    await listener.close(); // idempotent
    listeners.splice(listeners.indexOf(listener), 1);
    const again = await tcpTransport.listen({ host: HOST, port: listener.port, maxConnections: 1, onConnection: () => {} });
    listeners.push(again);
    expect(again.port).toBe(listener.port);
    // the accepted connection still carries bytes
    const got: Uint8Array[] = [];
    client.on('data', (c) => got.push(c));
    accepted[0]!.write(Uint8Array.of(42));
    await waitUntil(() => got.length > 0, 'bytes after the listener closed', 5000);
    expect(got[0]![0]).toBe(42);
    expect(client.destroyed).toBe(false);
  });
});
