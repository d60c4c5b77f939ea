// The TLS Transport on loopback with certificates made by openssl at test time: bytes flow both
// ways once 'connect' (the end of the TLS handshake) fired, no file descriptor is offered
// (providesFileDescriptors false); a client with a certificate from another CA, or without
// one, is refused by a mutual-TLS listener and never handed to the application; a listener
// with a certificate from another CA is refused by the client.
import { readFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { tlsTransport, type TlsMaterial } from '../../src/net/tls-transport.js';
import type { Connection, Listener, Transport } from '../../src/net/transport.js';
import { systemClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { withDeadline } from '../helpers/ha-raw-peer.js';
import { makeCaAndNodeCert, opensslUnavailable, type NodeCert } from '../helpers/replication-secrets.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const MISSING = opensslUnavailable();
skipNotice('tls-transport.test.ts (TLS replication transport)', MISSING);
const newDir = tempDirs('mqstore-tls-');
const HOST = '127.0.0.1';
let listeners: Listener[] = [];
let connections: Connection[] = [];

afterEach(async () => {
  for (const c of connections) c.destroy();
  for (const l of listeners) await l.close();
  listeners = [];
  connections = [];
});

function material(c: NodeCert, over: Partial<TlsMaterial> = {}): TlsMaterial {
  return { cert: readFileSync(c.cert), key: readFileSync(c.key), ca: readFileSync(c.ca), requireClientCert: true, handshakeTimeoutMs: 5000, ...over };
}

function transport(m: TlsMaterial) {
  const logger = memoryLogger();
  return { t: tlsTransport(m, { logger, clock: systemClock }), logger };
}

async function serve(t: Transport): Promise<{ port: number; accepted: Connection[] }> {
  const accepted: Connection[] = [];
  const l = await t.listen({ host: HOST, port: 0, maxConnections: 8, onConnection: (c) => (connections.push(c), accepted.push(c)) });
  listeners.push(l);
  return { port: l.port, accepted };
}

function outcome(t: Transport, port: number): Promise<{ ok: true; c: Connection } | { ok: false; err: Error }> {
  const c = t.connect({ host: HOST, port });
  connections.push(c);
  return withDeadline(
    new Promise((resolve) => {
      c.once('connect', () => resolve({ ok: true, c }));
      c.once('error', (err) => resolve({ ok: false, err }));
      c.once('close', () => resolve({ ok: false, err: new Error('closed') }));
    }),
    10_000,
    'TLS connect outcome',
  );
}

describe.skipIf(MISSING !== null)('tlsTransport', () => {
  const dir = MISSING === null ? newDir() : '';
  const a = MISSING === null ? makeCaAndNodeCert(dir, 'a') : (null as unknown as NodeCert);
  const b = MISSING === null ? makeCaAndNodeCert(dir, 'b') : (null as unknown as NodeCert);

  it('carries bytes both ways after the handshake; no file descriptor', async () => {
    const server = transport(material(a));
    expect(server.t.providesFileDescriptors).toBe(false);
    const { port, accepted } = await serve(server.t);
    const r = await outcome(transport(material(a)).t, port);
    expect(r.ok).toBe(true);
    const c = (r as { c: Connection }).c;
    await waitUntil(() => accepted.length === 1, 'accepted', 5000);
    expect(c.fileDescriptor()).toBeNull();
    expect(accepted[0]!.fileDescriptor()).toBeNull();
    const got: Uint8Array[] = [];
    accepted[0]!.on('data', (d) => got.push(d));
    const payload = Buffer.alloc(300_000, 0x5a);
    c.write(payload);
    await waitUntil(() => Buffer.concat(got).byteLength === payload.byteLength, 'all bytes through TLS', 10_000);
    expect(Buffer.concat(got).equals(payload)).toBe(true);
  });

  it('refuses a client whose certificate is from another CA (mutual TLS), and one without a certificate', async () => {
    const server = transport(material(a));
    const { port, accepted } = await serve(server.t);
    // trusts the server's CA but presents a certificate from CA b
    const other = transport({ ...material(b), ca: readFileSync(a.ca) });
    const r = await outcome(other.t, port);
    if (r.ok) {
      // TLS 1.3: the client may finish before the server's verdict arrives; then it is closed at once
      await withDeadline(new Promise<void>((resolve) => r.c.once('close', resolve)), 5000, 'the refused client closed');
    }
    await waitUntil(() => server.t.tlsStats().failures >= 1, 'the server logged the failed handshake', 5000);
    expect(accepted).toEqual([]);
    expect(server.logger.lines.some((l) => l.includes('ERR_TLS_HANDSHAKE'))).toBe(true);
    // a plain TLS client that trusts the CA but has no certificate
    const bare = tlsConnect({ host: HOST, port, ca: readFileSync(a.ca) });
    bare.on('error', () => {});
    await withDeadline(new Promise<void>((resolve) => bare.once('close', () => resolve())), 5000, 'the certificate-less client closed');
    await waitUntil(() => server.t.tlsStats().failures >= 2, 'the second failure', 5000);
    expect(accepted).toEqual([]);
  });

  it('limits apply from TCP accept: silent peers beyond maxPendingHandshakes are closed at once; freed slots serve a real peer', async () => {
    const server = transport(material(a, { limits: { maxPendingHandshakes: 2, maxConnectionsPerSource: 100 } }));
    const { port, accepted } = await serve(server.t);
    const silent: Socket[] = [];
    const closedAt: Promise<void>[] = [];
    for (let i = 0; i < 3; i++) {
      const s = tcpConnect({ host: HOST, port });
      s.on('error', () => {});
      silent.push(s);
      closedAt.push(new Promise<void>((resolve) => s.once('close', () => resolve())));
      await withDeadline(new Promise<void>((resolve) => s.once('connect', () => resolve())), 5000, 'tcp connect');
    }
    await withDeadline(closedAt[2]!, 5000, 'the third silent peer was closed at once');
    expect(server.t.tlsStats().pending).toBe(2);
    expect(server.logger.lines.some((l) => l.includes('ERR_PEER_AUTH_LIMIT'))).toBe(true);
    expect(silent[0]!.destroyed || silent[1]!.destroyed).toBe(false);
    for (const s of silent) s.destroy();
    await Promise.all(closedAt);
    await waitUntil(() => server.t.tlsStats().pending === 0, 'the server freed the handshake slots', 5000);
    const r = await outcome(transport(material(a)).t, port);
    expect(r.ok).toBe(true);
    await waitUntil(() => accepted.length === 1, 'the real peer was accepted', 5000);
  });

  it("a client refuses a listener whose certificate is from another CA", async () => {
    const server = transport(material(b, { requireClientCert: false }));
    const { port, accepted } = await serve(server.t);
    const r = await outcome(transport(material(a)).t, port);
    expect(r.ok).toBe(false);
    expect(String((r as { err: Error }).err.message)).toMatch(/certificate|verify|self.signed/i);
    expect(accepted).toEqual([]);
  });
});
