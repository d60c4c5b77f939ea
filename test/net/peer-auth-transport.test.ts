// The authenticating Transport on real loopback sockets: a peer with the same secret, service and
// group is handed to the application and carries bytes both ways (with its OS descriptor); a
// wrong secret, a wrong group or service, a replayed handshake (to either side), another
// protocol's bytes and a silent peer are refused — the application never sees them, they receive
// no byte beyond the greeting, and each failure is one rate-limited log line with its code.
// Limits: per source address, handshakes in progress, the handshake deadline (ManualScheduler).
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeReport } from '../../src/ha/ha-protocol.js';
import { PeerAuthErrorCode, encodeHello, takeFrame, type PeerAuthErrorCodeValue } from '../../src/net/peer-auth-protocol.js';
import { peerAuthTransport, sourceOf, type PeerAuthSettings, type PeerAuthTransport } from '../../src/net/peer-auth-transport.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import type { Connection } from '../../src/net/transport.js';
import { ManualClock, systemClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { ManualScheduler, realScheduler, type Scheduler } from '../../src/util/scheduler.js';
import { withDeadline } from '../helpers/ha-raw-peer.js';
import { waitUntil } from '../helpers/store-harness.js';
import { closeOpened, listenCollecting, type Opened } from '../helpers/transport-harness.js';

const HOST = '127.0.0.1';
const SECRET = Buffer.from('correct horse battery staple 0123456789');
const opened: Opened = { listeners: [], connections: [] };
const { listeners, connections } = opened;

afterEach(() => closeOpened(opened));

function settings(over: Partial<PeerAuthSettings> = {}): PeerAuthSettings {
  return { secret: SECRET, service: 'ha', group: 'broker-a', selfId: '0', handshakeTimeoutMs: 5000, maxPendingHandshakes: 16, maxConnectionsPerSource: 16, ...over };
}

function auth(over: Partial<PeerAuthSettings> = {}, scheduler: Scheduler = realScheduler, clock = systemClock as ManualClock | typeof systemClock) {
  const logger = memoryLogger();
  const transport = peerAuthTransport(tcpTransport, settings(over), { clock, scheduler, logger });
  return { transport, logger };
}

function serve(t: PeerAuthTransport, maxConnections = 8): ReturnType<typeof listenCollecting> {
  return listenCollecting(t, HOST, opened, maxConnections);
}

/** Connect through `t`; resolves with the connection once 'connect' fired, rejects on 'error'. */
function connectVia(t: PeerAuthTransport, port: number): Promise<Connection> {
  const c = t.connect({ host: HOST, port });
  connections.push(c);
  return withDeadline(
    new Promise<Connection>((resolve, reject) => {
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    }),
    5000,
    'authenticated connect',
  );
}

/** A plain TCP peer that records what it receives. */
async function rawPeer(port: number): Promise<{ c: Connection; got: () => Buffer; closed: Promise<void> }> {
  const c = tcpTransport.connect({ host: HOST, port });
  connections.push(c);
  const chunks: Uint8Array[] = [];
  c.on('data', (d) => chunks.push(d));
  c.on('error', () => {});
  const closed = new Promise<void>((resolve) => c.once('close', resolve));
  await withDeadline(new Promise<void>((resolve) => c.once('connect', resolve)), 5000, 'raw connect');
  return { c, got: () => Buffer.concat(chunks), closed };
}

function codeOf(err: unknown): string {
  return String((err as Error).message).split(':')[0]!;
}

function countCode(lines: string[], code: PeerAuthErrorCodeValue): number {
  return lines.filter((l) => l.includes(code)).length;
}

describe('peerAuthTransport', () => {
  it('hands an authenticated peer to the application; bytes flow both ways; sendfile descriptor kept', async () => {
    const server = auth({ selfId: '0' });
    const client = auth({ selfId: '1' });
    expect(server.transport.kind).toBe('auth+tcp');
    expect(server.transport.providesFileDescriptors).toBe(true);
    const { listener, accepted } = await serve(server.transport);
    const c = await connectVia(client.transport, listener.port);
    await waitUntil(() => accepted.length === 1, 'the peer was handed over', 5000);
    const peer = accepted[0]!;
    expect(typeof peer.fileDescriptor()).toBe('number');
    expect(typeof c.fileDescriptor()).toBe('number');
    // the application's bytes right after the ACCEPT reach the connector after 'connect'
    const back: Uint8Array[] = [];
    c.on('data', (d) => back.push(d));
    peer.write(Buffer.from('epoch-frame'));
    const got: Uint8Array[] = [];
    peer.on('data', (d) => got.push(d));
    c.write(Buffer.from('report'));
    await waitUntil(() => Buffer.concat(got).toString() === 'report' && Buffer.concat(back).toString() === 'epoch-frame', 'bytes both ways', 5000);
    expect(server.transport.stats()).toMatchObject({ authenticated: 1, failed: 0, pending: 0 });
    expect(client.transport.stats()).toMatchObject({ authenticated: 1, failed: 0 });
  });

  it('the ACCEPT and the first application bytes in one chunk: connect, then data', async () => {
    const server = auth();
    const client = auth({ selfId: '1' });
    const { listener } = await server.transport.listen({
      host: HOST,
      port: 0,
      maxConnections: 4,
      onConnection: (c) => {
        connections.push(c);
        c.write(Buffer.from('first')); // queued right behind the ACCEPT
      },
    }).then((l) => (listeners.push(l), { listener: l }));
    const c = client.transport.connect({ host: HOST, port: listener.port });
    connections.push(c);
    const events: string[] = [];
    c.on('connect', () => events.push('connect'));
    c.on('data', (d) => events.push(`data ${Buffer.from(d).toString()}`));
    await waitUntil(() => events.join('') .includes('first'), 'the first bytes', 5000);
    expect(events[0]).toBe('connect');
    expect(events.slice(1).map((e) => e.replace(/^data /, '')).join('')).toBe('first');
  });

  for (const [what, over, code] of [
    ['another secret', { secret: Buffer.from('another secret, same length 012345678') }, PeerAuthErrorCode.BAD_PROOF],
    ['another group', { group: 'broker-b' }, PeerAuthErrorCode.WRONG_GROUP],
    ['another service', { service: 'dledger' }, PeerAuthErrorCode.WRONG_SERVICE],
  ] as const) {
    it(`refuses a peer with ${what}: REJECTED with the reason, never handed over`, async () => {
      const server = auth();
      const client = auth({ selfId: '1', ...over });
      const { listener, accepted } = await serve(server.transport);
      const err = await connectVia(client.transport, listener.port).then(
        () => null,
        (e: unknown) => e,
      );
      expect(codeOf(err)).toBe(PeerAuthErrorCode.REJECTED);
      expect(String((err as Error).message)).toContain(code);
      await waitUntil(() => server.transport.stats().failed === 1, 'the failure was counted', 5000);
      expect(accepted).toEqual([]);
      expect(server.transport.stats().byCode[code]).toBe(1);
      expect(countCode(server.logger.lines, code)).toBe(1);
      expect(server.transport.stats().pending).toBe(0);
    });
  }

  it('a recorded HELLO replayed on a new connection is refused (the greeting nonce is fresh)', async () => {
    const server = auth();
    const { listener, accepted } = await serve(server.transport);
    // a genuine connector's HELLO for the first greeting
    const first = await rawPeer(listener.port);
    await waitUntil(() => first.got().byteLength >= 40, 'the first greeting', 5000);
    const hello = encodeHello(SECRET, first.got().subarray(0, 40), { nonce: randomBytes(32), service: 'ha', group: 'broker-a', id: '1' });
    first.c.write(hello);
    await waitUntil(() => accepted.length === 1, 'the genuine HELLO was accepted', 5000);
    // the attacker replays the recorded bytes
    const replay = await rawPeer(listener.port);
    await waitUntil(() => replay.got().byteLength >= 40, 'the second greeting', 5000);
    expect(replay.got().subarray(8, 40).equals(first.got().subarray(8, 40))).toBe(false);
    replay.c.write(hello);
    await withDeadline(replay.closed, 5000, 'the replay was closed');
    expect(accepted.length).toBe(1);
    expect(server.transport.stats().byCode[PeerAuthErrorCode.BAD_PROOF]).toBe(1);
    // greeting (40) + REJECT (9): nothing else
    expect(replay.got().byteLength).toBe(49);
    expect(takeFrame(replay.got().subarray(40))!.frame.type).toBe(4);
  });

  it('a recorded listener answer replayed to a connector is refused (its own nonce is fresh)', async () => {
    const server = auth();
    const { listener } = await serve(server.transport);
    // record a genuine exchange from the connector side
    const first = await rawPeer(listener.port);
    await waitUntil(() => first.got().byteLength >= 40, 'greeting', 5000);
    const greeting = Buffer.from(first.got().subarray(0, 40));
    first.c.write(encodeHello(SECRET, greeting, { nonce: randomBytes(32), service: 'ha', group: 'broker-a', id: '1' }));
    await waitUntil(() => first.got().byteLength > 40, 'the ACCEPT', 5000);
    const recorded = Buffer.from(first.got());
    // a fake listener plays the recording to a real connector
    const fake = await tcpTransport.listen({
      host: HOST,
      port: 0,
      maxConnections: 2,
      onConnection: (c) => {
        connections.push(c);
        c.on('error', () => {});
        c.write(recorded);
      },
    });
    listeners.push(fake);
    const client = auth({ selfId: '1' });
    const err = await connectVia(client.transport, fake.port).then(
      () => null,
      (e: unknown) => e,
    );
    expect(codeOf(err)).toBe(PeerAuthErrorCode.BAD_PROOF);
  });

  it('another protocol (an HA offset report) gets only the greeting, then a closed socket', async () => {
    const server = auth();
    const { listener, accepted } = await serve(server.transport);
    const raw = await rawPeer(listener.port);
    raw.c.write(encodeReport(0));
    await withDeadline(raw.closed, 5000, 'closed');
    expect(raw.got().byteLength).toBe(40);
    expect(accepted).toEqual([]);
    expect(server.transport.stats().byCode[PeerAuthErrorCode.MALFORMED]).toBe(1);
  });

  it('a connector meeting a listener without peer auth fails with a hint', async () => {
    const plain = await tcpTransport.listen({
      host: HOST,
      port: 0,
      maxConnections: 2,
      onConnection: (c) => {
        connections.push(c);
        c.write(Buffer.alloc(52, 7)); // e.g. an HA epoch frame
      },
    });
    listeners.push(plain);
    const err = await connectVia(auth({ selfId: '1' }).transport, plain.port).then(
      () => null,
      (e: unknown) => e,
    );
    expect(codeOf(err)).toBe(PeerAuthErrorCode.MALFORMED);
    expect(String((err as Error).message)).toContain('replicationSecretFile');
  });

  it('drops a peer that does not finish its handshake in time (ManualScheduler)', async () => {
    const clock = new ManualClock();
    const scheduler = new ManualScheduler(clock);
    const server = auth({ handshakeTimeoutMs: 2000 }, scheduler, clock);
    const { listener, accepted } = await serve(server.transport);
    const silent = await rawPeer(listener.port);
    await waitUntil(() => server.transport.stats().pending === 1, 'the handshake started', 5000);
    scheduler.advance(1999);
    expect(silent.c.destroyed).toBe(false);
    expect(server.transport.stats().pending).toBe(1);
    scheduler.advance(1);
    await withDeadline(silent.closed, 5000, 'the silent peer was dropped');
    expect(server.transport.stats()).toMatchObject({ pending: 0, failed: 1 });
    expect(server.transport.stats().byCode[PeerAuthErrorCode.TIMEOUT]).toBe(1);
    expect(accepted).toEqual([]);
    expect(countCode(server.logger.lines, PeerAuthErrorCode.TIMEOUT)).toBe(1);
  });

  it('caps connections per source and handshakes in progress; one log line per interval with a count', async () => {
    const clock = new ManualClock();
    const scheduler = new ManualScheduler(clock);
    const server = auth({ maxConnectionsPerSource: 3, maxPendingHandshakes: 100, logIntervalMs: 10_000 }, scheduler, clock);
    const { listener } = await serve(server.transport);
    const peers = [];
    for (let i = 0; i < 10; i++) peers.push(await rawPeer(listener.port));
    await waitUntil(() => server.transport.stats().refused === 7, '7 refused', 5000);
    expect(server.transport.stats().pending).toBe(3);
    // 7 refusals, one line written (the first); the rest are counted
    expect(countCode(server.logger.lines, PeerAuthErrorCode.LIMIT)).toBe(1);
    clock.advance(10_000);
    const late = await rawPeer(listener.port);
    await withDeadline(late.closed, 5000, 'the 11th is refused');
    const limitLines = server.logger.lines.filter((l) => l.includes(PeerAuthErrorCode.LIMIT));
    expect(limitLines.length).toBe(2);
    expect(limitLines[1]).toMatch(/\[6 similar suppressed in /);

    const pendingCap = auth({ maxConnectionsPerSource: 100, maxPendingHandshakes: 2 });
    const second = await serve(pendingCap.transport);
    for (let i = 0; i < 4; i++) await rawPeer(second.listener.port);
    await waitUntil(() => pendingCap.transport.stats().refused === 2, '2 refused by the pending cap', 5000);
    expect(pendingCap.transport.stats().pending).toBe(2);
  });

  it('authenticated connections beyond maxConnections are refused and reported; pending ones never take their slots', async () => {
    const server = auth({ maxPendingHandshakes: 4 });
    const client = auth({ selfId: '1' });
    const { listener, accepted, refused } = await serve(server.transport, 1);
    // unauthenticated peers first: they must not use up the one application slot
    for (let i = 0; i < 3; i++) await rawPeer(listener.port);
    await connectVia(client.transport, listener.port);
    await waitUntil(() => accepted.length === 1, 'the real peer was accepted', 5000);
    const second = client.transport.connect({ host: HOST, port: listener.port });
    connections.push(second);
    second.on('error', () => {});
    await withDeadline(new Promise<void>((resolve) => second.once('close', resolve)), 5000, 'second closed');
    expect(refused.length).toBe(1);
    expect(accepted.length).toBe(1);
  });

  it('sourceOf strips the port (IPv4 and IPv6)', () => {
    expect(sourceOf('127.0.0.1:4000')).toBe('127.0.0.1');
    expect(sourceOf('::1:4000')).toBe('::1');
    expect(sourceOf('?:?')).toBe('?');
  });
});
