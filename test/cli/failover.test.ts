// Issue 14, promotion persisted, and the README's failover runbook, step by step with real
// `mqstore node` processes: a master A and its slave B; A stops; `mqstore admin promote` on B;
// B restarted with its unchanged SLAVE config stays a master (brokerId 0, a loud PROMOTED line,
// `promotion: applied` in the ready line) and keeps taking puts; B's config pointed at another
// master is refused (exit 2, naming the record); A, re-pointed as a slave of B, catches up and
// `mqstore verify --master-addr B --slave-addr A` exits 0; B's config edited to ASYNC_MASTER
// brokerId 0 (the runbook's change) starts as 'config-agrees'.
// Before the fix, B restarted as SLAVE and a master config with brokerId 1 was refused.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/admin/node-status.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { getJson, http, pollUntil, runCli, smallNodeProps, startNode, writeProperties, type RunningNode } from './node-harness.js';

const newDir = tempDirs('mqstore-failover-');

interface Ready {
  promotion?: string;
}

async function put(node: RunningNode, count: number): Promise<void> {
  const r = await http(node.adminAddr, 'POST', '/admin/put', { topic: 'FailoverTopic', count, bodyBytes: 300 });
  expect(JSON.parse(r.body), r.body).toMatchObject({ statuses: { PUT_OK: count } });
}

async function maxPhyOffset(node: RunningNode): Promise<number> {
  return (await getJson<NodeStatus>(node.adminAddr, '/status')).maxPhyOffset;
}

describe('failover: promote the slave, restart it, re-point the old master', () => {
  let dir: string;
  let aDir: string;
  let bDir: string;
  let bConfig: string;
  let running: RunningNode[] = [];

  const start = async (config: string): Promise<RunningNode> => {
    const n = await startNode(config, ['--enable-admin-put']);
    running.push(n);
    return n;
  };
  const stop = async (n: RunningNode): Promise<void> => {
    expect(await n.stop('SIGTERM')).toBe(0);
    running = running.filter((r) => r !== n);
  };

  beforeAll(() => {
    dir = newDir();
    aDir = join(dir, 'a');
    bDir = join(dir, 'b');
  });

  afterAll(async () => {
    for (const n of running) if (n.child.exitCode === null) await n.stop('SIGKILL');
  });

  it('runs the runbook end to end', async () => {
    // A: master; B: its slave
    const aConfig = writeProperties(dir, 'a.properties', smallNodeProps(aDir, { brokerName: 'broker-f' }));
    let a = await start(aConfig);
    expect(a.ready.haService, 'needs the HA service').toBe('running');
    const bSlaveProps = smallNodeProps(bDir, { brokerName: 'broker-f', brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${a.ready.haPort}` });
    bConfig = writeProperties(dir, 'b.properties', bSlaveProps);
    let b = await start(bConfig);
    await put(a, 200);
    const shared = await maxPhyOffset(a);
    await pollUntil(async () => (await maxPhyOffset(b)) >= shared, `B reaches ${shared}`);

    // A goes away; promote B
    await stop(a);
    const promoted = await runCli(['admin', 'promote', '--addr', b.adminAddr]);
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout.trim()).toBe('promoted: SLAVE -> ASYNC_MASTER');
    const record = join(bDir, 'config', 'promotion.json');
    expect(promoted.stderr).toContain(record);
    expect(existsSync(record)).toBe(true);
    expect(JSON.parse(readFileSync(record, 'utf8'))).toMatchObject({ version: 1, brokerRole: 'ASYNC_MASTER', previous: { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${a.ready.haPort}` } });
    await put(b, 50);

    // B restarted with the same (SLAVE) config: still the master
    await stop(b);
    b = await start(bConfig);
    expect(b.ready.brokerRole).toBe('ASYNC_MASTER');
    expect(b.ready.brokerId).toBe(0);
    expect((b.ready as unknown as Ready).promotion).toBe('applied');
    expect(b.stderr()).toMatch(/PROMOTED: this store directory was promoted to ASYNC_MASTER/);
    expect(b.stderr()).toContain(record);
    await put(b, 50);
    const bEnd = await maxPhyOffset(b);
    expect(bEnd).toBeGreaterThan(shared);

    // re-point A as a slave of B (A's config: SLAVE, brokerId 1, haMasterAddress = B's HA port)
    const aSlaveConfig = writeProperties(dir, 'a-slave.properties', smallNodeProps(aDir, { brokerName: 'broker-f', brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${b.ready.haPort}` }));
    a = await start(aSlaveConfig);
    expect(a.ready.brokerRole).toBe('SLAVE');
    await pollUntil(async () => (await maxPhyOffset(a)) >= bEnd, `A (now a slave) reaches ${bEnd}`);
    const ha = await runCli(['admin', 'haStatus', '--addr', b.adminAddr]);
    expect(ha.stdout).toMatch(/^#SlaveNum\t1$/m);
    const verify = await runCli(['verify', '--master-addr', b.adminAddr, '--slave-addr', a.adminAddr]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`identical up to offset ${bEnd}`);
    await stop(a);

    // B pointed at another master while the record is there: refused, exit 2, names the record
    await stop(b);
    const elsewhere = writeProperties(dir, 'b-elsewhere.properties', { ...bSlaveProps, haMasterAddress: '127.0.0.1:1' });
    const refused = await runCli(['node', '-c', elsewhere]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/ERR_STORE_CONFIG: config key 'brokerRole'/);
    expect(refused.stderr).toContain(record);

    // the runbook's config change on B: a master config, brokerId 0 (the record agrees)
    const bMaster = writeProperties(dir, 'b-master.properties', smallNodeProps(bDir, { brokerName: 'broker-f' }));
    b = await start(bMaster);
    expect(b.ready.brokerRole).toBe('ASYNC_MASTER');
    expect((b.ready as unknown as Ready).promotion).toBe('config-agrees');
    await stop(b);
  }, 180_000);
});
