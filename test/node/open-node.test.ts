// openNode, the one node assembly: a single store (no HA), a SYNC_MASTER + SLAVE pair in this
// process whose SYNC_MASTER puts are PUT_OK once the slave is there (SLAVE_NOT_AVAILABLE before),
// promotion of the slave, the close order (admin, HA, store; every step attempted), a bad
// config key (ConfigError naming the key, nothing left open), a start failure (the store it
// opened is closed again), the opt-in admin server answering /status with the document
// status() returns, and status() being plain JSON.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminError, ConfigError, ErrorCode, StoreError, memoryLogger, openNode, type StoreNode } from '../../src/index.js';
import type { UncheckedStoreConfigInput } from '../../src/config/load-config.js';
import { HA_TEST_DEFAULTS } from '../helpers/ha-inproc.js';
import { CALM_DISK_USAGE, smallConfig, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-open-node-');
const TOPIC = 'NodeTopic';
const opened: StoreNode[] = [];

afterEach(async () => {
  for (const n of opened.splice(0).reverse()) await n.close();
});

function config(dir: string, overrides: Record<string, unknown> = {}): UncheckedStoreConfigInput {
  return smallConfig(dir, 'node', { ...HA_TEST_DEFAULTS, listenPort: 0, ...overrides });
}

async function open(dir: string, overrides: Record<string, unknown> = {}, options: Parameters<typeof openNode>[1] = {}) {
  const logger = memoryLogger();
  const node = await openNode(config(dir, overrides), { logger, store: { diskUsage: CALM_DISK_USAGE }, ...options });
  opened.push(node);
  return { node, logger };
}

/** Every body of the queue, read in pulls of 32 (one pull's limit). */
async function readAll(node: StoreNode): Promise<string[]> {
  const bodies: string[] = [];
  for (let offset = 0, round = 0; round < 1000; round++) {
    const got = await node.store.getMessage({ group: 'g', topic: TOPIC, queueId: 0, offset, maxMsgNums: 32 });
    if (got.messages.length === 0) break;
    bodies.push(...got.messages.map((m) => Buffer.from(m.body!).toString()));
    offset = got.nextBeginOffset;
  }
  return bodies;
}

/** The slaves a master reports that have acknowledged at least once. */
function reportingSlaves(node: StoreNode): number {
  const ha = node.status().ha;
  return ha?.kind === 'master' ? ha.slaves.filter((s) => s.ackedOffset >= 0).length : 0;
}

function put(node: StoreNode, i: number) {
  return node.store.putMessage({ topic: TOPIC, queueId: 0, body: `m-${i}` });
}

describe('openNode: a single store', () => {
  it('opens, puts, reads back, reports plain JSON, refuses promote, and closes everything', async () => {
    const dir = newDir();
    const { node } = await open(dir, { flushDiskType: 'SYNC_FLUSH' }, { ha: false, haDisabledReason: 'single store' });
    expect(node.replication).toBeNull();
    expect(node.admin).toBeNull();
    expect(node.haPort()).toBeNull();
    for (let i = 0; i < 50; i++) expect((await put(node, i)).status).toBe('PUT_OK');
    await waitUntil(() => node.store.getMaxOffsetInQueue(TOPIC, 0) === 50, 'all 50 indexed');
    expect(await readAll(node)).toEqual(Array.from({ length: 50 }, (_, i) => `m-${i}`));

    const s = node.status();
    expect(Object.getPrototypeOf(s)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain data: nothing lost in JSON
    expect(s).toMatchObject({ brokerRole: 'ASYNC_MASTER', haService: 'none', haNote: 'single store', ha: null, adminPort: 0, haPort: null, storePathRootDir: dir, putMessageTimesTotal: 50 });

    const refused = await node.promote().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreError);
    expect((refused as StoreError).code).toBe(ErrorCode.UNSUPPORTED);

    await node.close();
    await node.close(); // once is enough; twice is harmless
    expect(() => node.status()).toThrow(/closed/);
    expect(() => node.store.queryOffset('g', TOPIC, 0)).toThrow(StoreError);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    expect(existsSync(join(dir, 'abort'))).toBe(false);
  });

  it('takes a .properties file and text overrides (as `mqstore node -c file --set k=v` does)', async () => {
    const dir = newDir();
    const file = join(dir, 'broker.properties');
    writeFileSync(file, `storePathRootDir=${join(dir, 'store')}\nioBackend=node\nmappedFileSizeCommitLog=73728\nmaxMessageSize=4096\nlistenPort=0\nlogLevel=warn\nbrokerName=from-file\n`);
    const overrides: Record<string, string> = { brokerName: 'from-set', flushDiskType: 'SYNC_FLUSH' };
    const node = await openNode({ configFile: file, ...overrides }, { ha: false, logger: memoryLogger() });
    opened.push(node);
    expect(node.config.brokerName).toBe('from-set');
    expect(node.config.flushDiskType).toBe('SYNC_FLUSH');
    expect(node.config.mappedFileSizeCommitLog).toBe(73_728);
  });
});

describe('openNode: master and slave in one process', () => {
  it('SYNC_MASTER puts: SLAVE_NOT_AVAILABLE without a slave, PUT_OK with one; the slave has them; promotion continues the queue', async () => {
    const { node: master } = await open(newDir(), { brokerRole: 'SYNC_MASTER' });
    expect(master.replication).not.toBeNull();
    const haPort = master.haPort();
    expect(haPort).toBeGreaterThan(0);

    const lonely = await put(master, 0);
    expect(lonely.status).toBe('SLAVE_NOT_AVAILABLE'); // written on the master, not on a slave

    const { node: slave } = await open(newDir(), { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${haPort}` });
    expect(slave.rejoin.kind).toBe('empty-log');
    await waitUntil(() => reportingSlaves(master) === 1, 'the slave connected and reporting');
    for (let i = 1; i <= 200; i++) expect((await put(master, i)).status).toBe('PUT_OK');
    const end = master.store.getMaxPhyOffset();
    expect(slave.store.runtimeInfo().wroteOffset).toBeGreaterThanOrEqual(end); // PUT_OK: the slave acknowledged it
    const slaveStatus = slave.status();
    expect(slaveStatus.ha).toMatchObject({ kind: 'slave', role: 'SLAVE', connected: true });
    expect(JSON.parse(JSON.stringify(slaveStatus))).toEqual(slaveStatus);
    await waitUntil(() => slave.store.getMaxOffsetInQueue(TOPIC, 0) === 201, 'the slave indexed all 201');
    expect(await readAll(slave)).toEqual(Array.from({ length: 201 }, (_, i) => `m-${i}`));

    await master.close(); // the master goes away; an operator promotes the slave
    const promoted = await slave.promote('ASYNC_MASTER');
    expect(promoted).toEqual({ previousRole: 'SLAVE', brokerRole: 'ASYNC_MASTER', haPort: slave.haPort(), promotionRecord: join(slave.config.storePathRootDir, 'config', 'promotion.json') });
    expect(existsSync(promoted.promotionRecord)).toBe(true);
    expect(promoted.haPort).toBeGreaterThan(0);
    const next = await put(slave, 201);
    expect(next.status).toBe('PUT_OK');
    expect(next.queueOffset).toBe(201);
    expect(slave.status()).toMatchObject({ brokerRole: 'ASYNC_MASTER', haService: 'running', ha: { kind: 'master', slaves: [] } });
    await expect(slave.promote()).rejects.toThrow(/not SLAVE/);
  });
});

describe('openNode: close order, errors, admin server', () => {
  it('close: admin server, then HA, then the store, each once', async () => {
    const { node, logger } = await open(newDir(), {}, { admin: { port: 0 } });
    const port = node.admin!.port;
    await node.close();
    const closed = logger.lines.filter((l) => l.includes('close: ') && l.endsWith(' closed')).map((l) => l.replace(/^.*close: /, ''));
    expect(closed).toEqual(['admin server closed', 'HA service closed', 'store closed']);
    await expect(fetch(`http://127.0.0.1:${port}/status`)).rejects.toThrow();
  });

  it('a bad config key: ConfigError naming the key (with the near miss), and nothing stays open', async () => {
    const dir = newDir();
    const bad = { ...config(dir), flushDiskTyp: 'SYNC_FLUSH' };
    const err = await openNode(bad, { logger: memoryLogger() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('flushDiskTyp');
    expect((err as ConfigError).code).toBe(ErrorCode.CONFIG);
    expect((err as Error).message).toMatch(/flushDiskType/);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('a part that cannot start (admin port taken): AdminError ERR_ADMIN_NODE_START, and the store it opened is closed', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const taken = (blocker.address() as { port: number }).port;
      const dir = newDir();
      const logger = memoryLogger();
      const err = await openNode(config(dir), { logger, store: { diskUsage: CALM_DISK_USAGE }, admin: { port: taken } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AdminError);
      expect((err as AdminError).code).toBe('ERR_ADMIN_NODE_START');
      expect((err as Error).message).toMatch(/EADDRINUSE/);
      expect(existsSync(join(dir, 'lock'))).toBe(false);
      expect(existsSync(join(dir, 'abort'))).toBe(false);
      expect(logger.lines.some((l) => l.includes('close: HA service closed'))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('the admin server is opt-in and serves /status (the document status() returns) and /metrics', async () => {
    const { node: plain } = await open(newDir());
    expect(plain.admin).toBeNull();
    const { node } = await open(newDir(), { brokerName: 'admin-node' }, { admin: { host: '127.0.0.1', port: 0 } });
    const addr = `http://127.0.0.1:${node.admin!.port}`;
    const served = (await (await fetch(`${addr}/status`)).json()) as Record<string, unknown>;
    const local = node.status();
    expect(served).toMatchObject({ brokerName: 'admin-node', adminPort: node.admin!.port, haPort: node.haPort(), haService: 'running', pid: process.pid });
    expect(Object.keys(served).sort()).toEqual(Object.keys(local).sort());
    expect(served.bootTimestamp).toBe(local.bootTimestamp);
    expect(await (await fetch(`${addr}/metrics`)).text()).toMatch(/^rocketmq_brokeruntime_commitlog_maxoffset\{.*broker="admin-node".*\} \d+$/m);
    // the put endpoint stays off unless asked for
    expect((await fetch(`${addr}/admin/put`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
