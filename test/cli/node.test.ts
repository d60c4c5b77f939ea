// `mqstore node -c <file>` as a real process: the ready line, GET /status and /metrics, error
// answers of the admin server, a clean shutdown on SIGTERM / SIGINT (exit 0, no abort file),
// and exit 2 naming the key for a bad configuration.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/admin/node-status.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { getJson, http, pollUntil, runCli, smallNodeProps, startNode, writeProperties, type RunningNode } from './node-harness.js';

const newDir = tempDirs('mqstore-node-');

const EXPECTED_METRICS = [
  'rocketmq_ha_master_max_offset',
  'rocketmq_ha_slave_max_offset',
  'rocketmq_ha_transfer_byte_total',
  'rocketmq_ha_connection_count',
  'rocketmq_ha_slave_fall_behind_bytes',
  'rocketmq_ha_in_sync_slave_count',
  'rocketmq_storage_flush_behind_bytes',
  'rocketmq_brokeruntime_remain_howmanydata_toflush',
  'rocketmq_brokeruntime_commitlog_maxoffset',
  'rocketmq_brokeruntime_commitlog_minoffset',
  'rocketmq_brokeruntime_put_tps',
  'rocketmq_brokeruntime_putmessage_times_total',
  'mqstore_put_latency_ms',
  'mqstore_flushed_offset',
];

/** The value of an unlabeled-by-us sample line `name{...} value`. */
function sample(text: string, name: string): number {
  const m = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  if (!m) throw new Error(`no sample of ${name} in:\n${text.slice(0, 2000)}`);
  return Number(m[2]);
}

describe('mqstore node (ASYNC_MASTER, admin put enabled)', () => {
  let node: RunningNode;
  let storeDir: string;

  beforeAll(async () => {
    const dir = newDir();
    storeDir = join(dir, 'store');
    const file = writeProperties(dir, 'broker.properties', smallNodeProps(storeDir, { brokerName: 'broker-node' }));
    node = await startNode(file, ['--enable-admin-put']);
  });

  afterAll(async () => {
    if (node.child.exitCode === null) await node.stop('SIGKILL');
  });

  it('prints one JSON ready line with the real (OS-picked) ports', () => {
    expect(node.ready.ready).toBe(true);
    expect(node.ready.pid).toBe(node.child.pid);
    expect(node.ready.adminPort).toBeGreaterThan(0);
    expect(node.ready.brokerRole).toBe('ASYNC_MASTER');
    expect(node.ready.brokerName).toBe('broker-node');
    if (node.ready.haService === 'running') expect(node.ready.haPort).toBeGreaterThan(0);
    else expect(node.ready.haPort).toBeNull();
  });

  it('GET /status has the identity, the positions, the runtime info and ha', async () => {
    const s = await getJson<NodeStatus>(node.adminAddr, '/status');
    expect(s).toMatchObject({ brokerRole: 'ASYNC_MASTER', brokerName: 'broker-node', brokerId: 0, brokerClusterName: 'TestCluster', pid: node.ready.pid });
    for (const k of ['maxPhyOffset', 'minPhyOffset', 'flushedOffset', 'committedOffset', 'flushBehindBytes', 'putTps', 'putMessageTimesTotal']) {
      expect(typeof (s as unknown as Record<string, unknown>)[k], k).toBe('number');
    }
    expect(s.storePathRootDir).toBe(storeDir);
    expect(s.adminPort).toBe(node.ready.adminPort);
    expect(s).toHaveProperty('ha');
    if (s.haService === 'running') {
      expect(s.ha).toMatchObject({ kind: 'master', listenPort: node.ready.haPort, slaves: [] });
    } else {
      expect(s.ha).toBeNull();
      expect(s.haNote).toMatch(/\w/);
    }
  });

  it('puts through /admin/put show up in /status and in /metrics (names, counts, latency histogram)', async () => {
    const put = await http(node.adminAddr, 'POST', '/admin/put', { topic: 'NodeTopic', count: 300, bodyBytes: 500 });
    expect(put.status, put.body).toBe(200);
    expect(JSON.parse(put.body)).toMatchObject({ count: 300, statuses: { PUT_OK: 300 } });
    let status: NodeStatus | null = null;
    await pollUntil(async () => {
      status = await getJson<NodeStatus>(node.adminAddr, '/status');
      return status.flushedOffset === status.wroteOffset && status.wroteOffset > 0;
    }, 'all puts flushed');
    const s = status! as NodeStatus;
    expect(s.putMessageTimesTotal).toBe(300);
    expect(s.maxPhyOffset).toBeGreaterThan(300 * 500);

    const m = await http(node.adminAddr, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    for (const name of EXPECTED_METRICS) expect(m.body, name).toContain(`# TYPE ${name} `);
    expect(sample(m.body, 'rocketmq_brokeruntime_putmessage_times_total')).toBe(300);
    expect(sample(m.body, 'mqstore_put_latency_ms_count')).toBe(300);
    expect(sample(m.body, 'rocketmq_brokeruntime_commitlog_maxoffset')).toBe(s.maxPhyOffset);
    expect(sample(m.body, 'rocketmq_ha_connection_count')).toBe(0);
    expect(m.body).toMatch(/broker="broker-node"/);
    expect(m.body).toMatch(/^process_cpu_user_seconds_total/m);
  });

  it('answers 404 for an unknown path and 405 for a wrong method, as JSON', async () => {
    const notFound = await http(node.adminAddr, 'GET', '/nope');
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.body).error.code).toBe('ERR_ADMIN_NOT_FOUND');
    const wrong = await http(node.adminAddr, 'DELETE', '/status');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET');
    expect(JSON.parse(wrong.body).error.code).toBe('ERR_ADMIN_METHOD_NOT_ALLOWED');
    const badPut = await http(node.adminAddr, 'POST', '/admin/put', { count: 1 });
    expect(badPut.status).toBe(400);
  });

  it('SIGTERM: exits 0 and leaves no abort file', async () => {
    const code = await node.stop('SIGTERM');
    expect(code, node.stderr()).toBe(0);
    expect(existsSync(join(storeDir, 'abort'))).toBe(false);
    expect(existsSync(join(storeDir, 'lock'))).toBe(false);
    expect(existsSync(join(storeDir, 'commitlog'))).toBe(true);
  });
});

describe('mqstore node: other ways in and out', () => {
  it('SIGINT shuts down cleanly too, and a restart of the same store recovers normally', async () => {
    const dir = newDir();
    const storeDir = join(dir, 'store');
    const file = writeProperties(dir, 'b.properties', smallNodeProps(storeDir));
    const first = await startNode(file, ['--no-ha', '--enable-admin-put']);
    expect(first.ready.haService).toBe('none');
    expect(first.ready.haPort).toBeNull();
    expect((await http(first.adminAddr, 'POST', '/admin/put', { topic: 'T', count: 50 })).status).toBe(200);
    expect(await first.stop('SIGINT')).toBe(0);
    expect(existsSync(join(storeDir, 'abort'))).toBe(false);

    const second = await startNode(file, ['--no-ha']);
    const s = await getJson<NodeStatus>(second.adminAddr, '/status');
    expect(s.putMessageTimesTotal).toBe(0);
    expect(s.maxPhyOffset).toBeGreaterThan(0);
    expect(s.haService).toBe('none');
    expect(s.haNote).toMatch(/--no-ha/);
    // the put endpoint is off unless asked for
    expect((await http(second.adminAddr, 'POST', '/admin/put', { topic: 'T' })).status).toBe(404);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('--set overrides a key of the file', async () => {
    const dir = newDir();
    const file = writeProperties(dir, 'b.properties', smallNodeProps(join(dir, 'store')));
    const node = await startNode(file, ['--no-ha', '--set', 'brokerName=from-set']);
    expect(node.ready.brokerName).toBe('from-set');
    expect(await node.stop()).toBe(0);
  });

  it('the admin port in use: exit 1 with a clear code, and the store it opened is closed cleanly', async () => {
    const dir = newDir();
    const first = await startNode(writeProperties(dir, 'a.properties', smallNodeProps(join(dir, 'a'))), ['--no-ha']);
    const storeB = join(dir, 'b');
    const file = writeProperties(dir, 'b.properties', smallNodeProps(storeB, { adminPort: first.ready.adminPort }));
    const r = await runCli(['node', '-c', file, '--no-ha']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ERR_ADMIN_NODE_START: node failed to start \(the store was closed\): EADDRINUSE/);
    expect(existsSync(join(storeB, 'abort'))).toBe(false);
    expect(existsSync(join(storeB, 'lock'))).toBe(false);
    expect(await first.stop()).toBe(0);
  });

  it('a bad key in the file: exit 2, the message names the key (and suggests the right one)', async () => {
    const dir = newDir();
    const file = writeProperties(dir, 'bad.properties', { ...smallNodeProps(join(dir, 'store')), flushDiskTyp: 'SYNC_FLUSH' });
    const r = await runCli(['node', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/ERR_STORE_CONFIG: config key 'flushDiskTyp'/);
    expect(r.stderr).toMatch(/flushDiskType/);
  });

  it('a bad value via --set: exit 2 naming the key; a missing file or no -c: exit 2', async () => {
    const dir = newDir();
    const file = writeProperties(dir, 'b.properties', smallNodeProps(join(dir, 'store')));
    const bad = await runCli(['node', '-c', file, '--set', 'adminPort=70000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/config key 'adminPort'/);
    const missing = await runCli(['node', '-c', join(dir, 'nope.properties')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const none = await runCli(['node']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/-c <file.properties> is required/);
  });
});
