// Replication security costs, side by side in one run (`npm run bench -- --suite security`):
//   handshake  time from connect() to 'connect' on loopback, per connection, for plain TCP, peer
//              authentication (HMAC challenge-response), TLS (mutual) and both: the cost paid
//              once per connection (nothing is added per byte by peer authentication);
//   catch-up   an empty in-process slave (openNode) catches up with a master holding `catchUpBytes`
//              (timed from its first offset report to the master seeing the whole log acked),
//              socket sender in every row (TLS cannot use sendfile), over plain TCP, with peer
//              authentication, and with TLS + peer authentication; MB/s and the ratio to plain.
//              Plus the sendfile sender over plain TCP when it can run (what TLS gives up).
// TLS rows need `openssl` (test certificates are made in a temp dir); without it they are
// skipped with the reason. Bounds: a count of connections, a deadline on every wait.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStoreConfig } from '../src/config/load-config.js';
import { startHa } from '../src/ha/ha-service.js';
import { sendfileSender, sendfileUnavailableReason } from '../src/ha/ha-sendfile-sender.js';
import type { HaSenderFactory } from '../src/ha/ha-sender.js';
import { tcpSender } from '../src/ha/ha-tcp-sender.js';
import { replicationSecurity } from '../src/net/replication-security.js';
import type { Transport } from '../src/net/transport.js';
import { openNode } from '../src/node/open-node.js';
import { MessageStore } from '../src/store/message-store.js';
import { systemClock } from '../src/util/clock.js';
import { memoryLogger } from '../src/util/logger.js';
import { realScheduler } from '../src/util/scheduler.js';
import { waitUntil } from './lib/wait-until.js';

export interface SecurityBenchOptions {
  dir: string;
  connections: number;
  catchUpBytes: number;
  segmentBytes: number;
  onProgress?: (line: string) => void;
}

type Variant = 'plain' | 'auth' | 'tls' | 'auth+tls';
const MB = 1e6;
const DEADLINE_MS = 300_000;

interface Material {
  secretFile: string;
  tls: { cert: string; key: string; ca: string } | null;
  tlsSkipReason: string | null;
}

function makeMaterial(dir: string): Material {
  const secretFile = join(dir, 'replication.secret');
  writeFileSync(secretFile, 'b'.repeat(64) + '\n', { mode: 0o600 });
  chmodSync(secretFile, 0o600);
  const run = (args: string[]): string | null => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    return r.error ? r.error.message : r.status !== 0 ? r.stderr : null;
  };
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  const failed =
    run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench CA']) ??
    run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=bench node']) ??
    run(['x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', '2', '-extfile', 'ext.cnf']);
  if (failed !== null) return { secretFile, tls: null, tlsSkipReason: `openssl could not make test certificates: ${failed.trim().split('\n')[0]}` };
  chmodSync(join(dir, 'node.key'), 0o600);
  return { secretFile, tls: { cert: join(dir, 'node.pem'), key: join(dir, 'node.key'), ca: join(dir, 'ca.pem') }, tlsSkipReason: null };
}

function keysFor(variant: Variant, m: Material): Record<string, unknown> {
  const keys: Record<string, unknown> = {};
  if (variant === 'auth' || variant === 'auth+tls') keys.replicationSecretFile = m.secretFile;
  if ((variant === 'tls' || variant === 'auth+tls') && m.tls) {
    Object.assign(keys, { replicationTlsEnable: true, replicationTlsCertFile: m.tls.cert, replicationTlsKeyFile: m.tls.key, replicationTlsCaFile: m.tls.ca });
  }
  return keys;
}

function transportFor(variant: Variant, m: Material, extra: Record<string, unknown> = {}): Transport {
  const config = loadStoreConfig({ ...keysFor(variant, m), ...extra, replicationMaxConnectionsPerSource: 10_000 }, { warn: () => {} });
  return replicationSecurity(config, { clock: systemClock, scheduler: realScheduler, logger: memoryLogger(100) }).transport;
}

/** Sequential connects through `variant`; ms per connection (mean, p99). */
async function handshakeRun(variant: Variant, m: Material, count: number): Promise<{ meanMs: number; p99Ms: number }> {
  const server = transportFor(variant, m);
  const client = transportFor(variant, m, { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:1' });
  const accepted: { destroy(): void }[] = [];
  const listener = await server.listen({ host: '127.0.0.1', port: 0, maxConnections: count + 8, onConnection: (c) => accepted.push(c) });
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const c = client.connect({ host: '127.0.0.1', port: listener.port });
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('error', reject);
      });
      times.push(performance.now() - t0);
      c.destroy();
    }
  } finally {
    for (const a of accepted) a.destroy();
    await listener.close();
  }
  times.sort((a, b) => a - b);
  return { meanMs: times.reduce((s, t) => s + t, 0) / times.length, p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]! };
}

async function fill(master: MessageStore, bytes: number): Promise<void> {
  const body = new Uint8Array(4096).fill(0x73);
  const maxPuts = Math.ceil(bytes / 4096) + 1;
  let issued = 0;
  const producer = async (): Promise<void> => {
    while (issued < maxPuts && master.getMaxPhyOffset() < bytes) {
      issued++;
      const r = await master.putMessage({ topic: 'SecBench', queueId: issued & 7, body });
      if (r.status !== 'PUT_OK') throw new Error(`fill put failed: ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, producer));
}

async function catchUpRun(master: MessageStore, variant: Variant, sender: HaSenderFactory, m: Material, o: SecurityBenchOptions): Promise<number> {
  const transport = transportFor(variant, m);
  const ha = await startHa(master, master.config, memoryLogger(100), { listenPort: 0, senderFactory: sender, transport });
  const dir = mkdtempSync(join(o.dir, 'sec-slave-'));
  const end = master.getMaxPhyOffset();
  const acked = (): number => {
    const s = ha.status();
    return s.role === 'SLAVE' ? -1 : (s.slaves[0]?.ackedOffset ?? -1);
  };
  try {
    // from the slave's first report (its store open and its handshake done) to the whole log acked
    const firstReport = waitUntil(() => acked() >= 0, `the ${variant} slave reported`, DEADLINE_MS).then(() => performance.now());
    const slave = await openNode(
      { storePathRootDir: dir, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${ha.port}`, mappedFileSizeCommitLog: o.segmentBytes, listenPort: 0, logLevel: 'error', haMetadataSyncInterval: 0, ...keysFor(variant, m) },
      { logger: memoryLogger(100) },
    );
    try {
      await waitUntil(() => acked() >= end, `the ${variant} slave caught up`, DEADLINE_MS);
      const t1 = performance.now();
      return end / MB / ((t1 - (await firstReport)) / 1000);
    } finally {
      await slave.close();
    }
  } finally {
    await ha.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function replicationSecuritySuite(o: SecurityBenchOptions): Promise<string> {
  const dir = mkdtempSync(join(o.dir, 'sec-'));
  const m = makeMaterial(dir);
  const variants: Variant[] = m.tls ? ['plain', 'auth', 'tls', 'auth+tls'] : ['plain', 'auth'];
  const lines = ['### Replication security: handshake once per connection, TLS per byte', ''];
  if (m.tlsSkipReason) lines.push(`TLS rows skipped: ${m.tlsSkipReason}`, '');
  lines.push(`Handshake on loopback, ${o.connections} sequential connections each (connect() to 'connect'):`, '', '| transport | mean ms | p99 ms |', '|---|---:|---:|');
  const handshakes = new Map<Variant, number>();
  for (const v of variants) {
    const r = await handshakeRun(v, m, o.connections);
    handshakes.set(v, r.meanMs);
    lines.push(`| ${v} | ${r.meanMs.toFixed(3)} | ${r.p99Ms.toFixed(3)} |`);
    o.onProgress?.(`security: handshake ${v}: ${r.meanMs.toFixed(3)} ms mean`);
  }
  const root = mkdtempSync(join(o.dir, 'sec-master-'));
  const master = await MessageStore.open(
    { storePathRootDir: root, brokerRole: 'ASYNC_MASTER', mappedFileSizeCommitLog: o.segmentBytes, listenPort: 0, logLevel: 'error', haHousekeepingInterval: 120_000 },
    { logger: memoryLogger(100) },
  );
  const rows: { name: string; mbps: number }[] = [];
  try {
    await fill(master, o.catchUpBytes);
    const runs: { name: string; variant: Variant; sender: HaSenderFactory }[] = [
      { name: 'plain, socket sender', variant: 'plain', sender: tcpSender },
      { name: 'peer auth, socket sender', variant: 'auth', sender: tcpSender },
      ...(m.tls ? [{ name: 'TLS + peer auth, socket sender', variant: 'auth+tls' as Variant, sender: tcpSender }] : []),
      ...(sendfileUnavailableReason() === null ? [{ name: 'peer auth, sendfile sender', variant: 'auth' as Variant, sender: sendfileSender }] : []),
    ];
    for (const r of runs) {
      const mbps = await catchUpRun(master, r.variant, r.sender, m, o);
      rows.push({ name: r.name, mbps });
      o.onProgress?.(`security: catch-up ${r.name}: ${mbps.toFixed(0)} MB/s`);
    }
  } finally {
    await master.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
  const plain = rows[0]!.mbps;
  lines.push('', `HA catch-up of an empty in-process slave, ${(o.catchUpBytes / MB).toFixed(0)} MB behind (MB = 10^6 bytes; slave and master share this process):`, '', '| transport, sender | MB/s | ratio to plain socket |', '|---|---:|---:|');
  for (const r of rows) lines.push(`| ${r.name} | ${r.mbps.toFixed(0)} | ${(r.mbps / plain).toFixed(2)}x |`);
  const authHs = handshakes.get('auth');
  const plainHs = handshakes.get('plain');
  if (authHs !== undefined && plainHs !== undefined) {
    lines.push('', `- peer authentication: ${(authHs - plainHs).toFixed(3)} ms per connection (mean auth - mean plain; once per connection, nothing per byte: on a busy machine this is within the noise when smaller than the p99 spread)`);
  }
  const tlsRow = rows.find((r) => r.name.startsWith('TLS'));
  if (tlsRow) lines.push(`- TLS throughput ratio to plain (socket sender both): ${(tlsRow.mbps / plain).toFixed(2)}x`);
  return lines.join('\n');
}
