// `mqstore admin brokerStatus|haStatus|promote` and `mqstore verify --master-addr --slave-addr`
// against real `mqstore node` processes: a master and a slave replicating over loopback (the
// HA service of src/ha/), plus the refused-connection case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { NodeStatus } from '../../src/admin/node-status.js';
import type { VerifyReport } from '../../src/cli/verify-command.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { getJson, http, pollUntil, runCli, smallNodeProps, startNode, writeProperties, type RunningNode } from '../cli/node-harness.js';

const newDir = tempDirs('mqstore-admin-');

/** `key : value` rows of brokerStatus text. */
function table(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s*: (.*)$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!);
  }
  return rows;
}

describe('mqstore admin against a running master and slave', () => {
  let master: RunningNode;
  let slave: RunningNode;

  beforeAll(async () => {
    const dir = newDir();
    master = await startNode(writeProperties(dir, 'master.properties', smallNodeProps(join(dir, 'master'), { brokerName: 'broker-x' })), ['--enable-admin-put']);
    expect(master.ready.haService, 'these tests need the HA service (src/ha/ha-service.ts)').toBe('running');
    const slaveProps = smallNodeProps(join(dir, 'slave'), { brokerName: 'broker-x', brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${master.ready.haPort}` });
    slave = await startNode(writeProperties(dir, 'slave.properties', slaveProps), ['--enable-admin-put']);
    const put = await http(master.adminAddr, 'POST', '/admin/put', { topic: 'AdminTopic', count: 400, bodyBytes: 700 });
    expect(JSON.parse(put.body)).toMatchObject({ statuses: { PUT_OK: 400 } });
    const target = (await getJson<NodeStatus>(master.adminAddr, '/status')).maxPhyOffset;
    await pollUntil(async () => (await getJson<NodeStatus>(slave.adminAddr, '/status')).maxPhyOffset >= target, `slave reaches ${target}`);
  }, 60_000);

  afterAll(async () => {
    for (const n of [slave, master]) if (n && n.child.exitCode === null) expect(await n.stop('SIGTERM')).toBe(0);
  });

  it('brokerStatus prints RocketMQ-style `key : value` rows, sorted, matching /status', async () => {
    const r = await runCli(['admin', 'brokerStatus', '--addr', master.adminAddr]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    for (const line of lines) expect(line).toMatch(/^\S+ {0,31}\s*: /);
    expect(lines[0]!.indexOf(':')).toBe(32); // %-32s: %s
    const keys = lines.map((l) => l.slice(0, 32).trim());
    expect(keys).toEqual([...keys].sort());
    const rows = table(r.stdout);
    const status = await getJson<NodeStatus>(master.adminAddr, '/status');
    expect(rows.get('brokerName')).toBe('broker-x');
    expect(rows.get('brokerRole')).toBe('ASYNC_MASTER');
    expect(rows.get('brokerId')).toBe('0');
    expect(rows.get('commitLogMaxOffset')).toBe(String(status.maxPhyOffset));
    expect(rows.get('putMessageTimesTotal')).toBe('400');
    expect(rows.get('remainHowManyDataToFlush')).toMatch(/^\d+(\.\d)? (B|KiB|MiB)$/);
    expect(rows.get('runtime')).toMatch(/^\[ \d+ days, \d+ hours, \d+ minutes, \d+ seconds \]$/);
  });

  it('brokerStatus --json prints the /status document', async () => {
    const r = await runCli(['admin', 'brokerStatus', '--addr', slave.adminAddr, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as NodeStatus;
    expect(s).toMatchObject({ brokerRole: 'SLAVE', brokerId: 1, brokerName: 'broker-x' });
    expect(s.ha).toMatchObject({ kind: 'slave', connected: true, masterAddress: `127.0.0.1:${master.ready.haPort}` });
  });

  it('haStatus on the master: #MasterAddr / #SlaveNum header and one row per slave', async () => {
    const r = await runCli(['admin', 'haStatus', '--addr', master.adminAddr]);
    expect(r.code, r.stderr).toBe(0);
    const status = await getJson<NodeStatus>(master.adminAddr, '/status');
    expect(r.stdout).toMatch(/^#MasterAddr\t\S+$/m);
    expect(r.stdout).toMatch(/^#MasterCommitLogMaxOffset\t\d+$/m);
    expect(r.stdout).toMatch(/^#SlaveNum\t1$/m);
    expect(r.stdout).toMatch(/^#InSyncSlaveNum\t1$/m);
    expect(r.stdout).toMatch(/^#SlaveAddr +#SlaveAckOffset +#Diff +#TransferSpeed\(KB\/s\) +#Status +#TransferFromWhere$/m);
    const row = r.stdout.split('\n').find((l) => l.startsWith('127.0.0.1:'));
    expect(row, r.stdout).toBeDefined();
    const cols = row!.trim().split(/\s+/);
    expect(Number(cols[1])).toBe(status.maxPhyOffset); // acked everything
    expect(cols[2]).toBe('0'); // #Diff
    expect(cols[4]).toBe('OK');
  });

  it('haStatus on the slave and --json', async () => {
    const r = await runCli(['admin', 'haStatus', '--addr', slave.adminAddr]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`#MasterAddr\t127.0.0.1:${master.ready.haPort}`);
    expect(r.stdout).toMatch(/^#CommitLogMaxOffset\t\d+$/m);
    expect(r.stdout).toMatch(/^#Connected\ttrue$/m);
    const j = await runCli(['admin', 'haStatus', '--addr', master.adminAddr, '--json']);
    expect(j.code).toBe(0);
    const view = JSON.parse(j.stdout) as { brokerRole: string; ha: { kind: string; slaves: unknown[] } };
    expect(view.brokerRole).toBe('ASYNC_MASTER');
    expect(view.ha.kind).toBe('master');
    expect(view.ha.slaves).toHaveLength(1);
  });

  it('clusterList on the master and on the slave: both members with their roles and addresses', async () => {
    const m = await runCli(['admin', 'clusterList', '--addr', master.adminAddr, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const fromMaster = JSON.parse(m.stdout) as { mode: string; members: Array<{ role: string; addr: string; self: boolean; brokerId: number | null; source: string }> };
    expect(fromMaster.mode).toBe('master-slave');
    expect(fromMaster.members.map((x) => [x.role, x.self, x.source])).toEqual([
      ['ASYNC_MASTER', true, 'self'],
      ['SLAVE', false, 'ha'],
    ]);
    expect(fromMaster.members[1]!.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    const s = await runCli(['admin', 'clusterList', '--addr', slave.adminAddr]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toMatch(new RegExp(`^TestCluster +broker-x +0 +127\\.0\\.0\\.1:${master.ready.haPort} +MASTER +- +-$`, 'm'));
    expect(s.stdout).toMatch(/^TestCluster +broker-x +1 +127\.0\.0\.1:\d+ \* +SLAVE +mqstore /m);
  });

  it('verify --master-addr --slave-addr: reads both /status, reports the max offsets, logs identical', async () => {
    const r = await runCli(['verify', '--master-addr', master.adminAddr, '--slave-addr', slave.adminAddr, '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as VerifyReport;
    expect(report.result).toBe('identical');
    expect(report.master.node).toMatchObject({ brokerRole: 'ASYNC_MASTER', addr: master.adminAddr });
    expect(report.slave.node).toMatchObject({ brokerRole: 'SLAVE', brokerId: 1 });
    expect(report.master.endKind).toBe('given');
    expect(report.identicalUpTo).toBe(Math.min(report.master.node!.maxPhyOffset, report.slave.node!.maxPhyOffset));
    expect(report.identicalUpTo).toBeGreaterThan(400 * 700);
    const text = await runCli(['verify', '--master-addr', master.adminAddr, '--slave-addr', slave.adminAddr]);
    expect(text.stdout).toMatch(/^master: node \S+ \(broker-x\/0, ASYNC_MASTER\) maxPhyOffset \d+$/m);
  });

  it('promote on a master is refused (exit 1, 409 from the node)', async () => {
    const r = await runCli(['admin', 'promote', '--addr', master.adminAddr]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERR_ADMIN_HTTP: .*HTTP 409/);
  });

  it('promote the slave: it becomes a master and accepts puts (last: changes the pair)', async () => {
    await master.stop('SIGTERM');
    const refused = await http(slave.adminAddr, 'POST', '/admin/put', { topic: 'AdminTopic', count: 1 });
    expect(JSON.parse(refused.body)).toMatchObject({ statuses: { SERVICE_NOT_AVAILABLE: 1 } }); // a SLAVE refuses puts
    const r = await runCli(['admin', 'promote', '--addr', slave.adminAddr, '--role', 'ASYNC_MASTER']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('promoted: SLAVE -> ASYNC_MASTER');
    const s = await getJson<NodeStatus>(slave.adminAddr, '/status');
    expect(s.brokerRole).toBe('ASYNC_MASTER');
    expect(s.ha).toMatchObject({ kind: 'master', slaves: [] });
    const put = await http(slave.adminAddr, 'POST', '/admin/put', { topic: 'AdminTopic', count: 10 });
    expect(JSON.parse(put.body)).toMatchObject({ statuses: { PUT_OK: 10 } });
  });
});

describe('mqstore admin without a node', () => {
  it('refused connection: exit 1 with a clear message', async () => {
    // a port that was just free: start and stop a node to learn one
    const dir = newDir();
    const n = await startNode(writeProperties(dir, 'b.properties', smallNodeProps(join(dir, 'store'))), ['--no-ha']);
    const addr = n.adminAddr;
    expect(await n.stop()).toBe(0);
    for (const sub of ['brokerStatus', 'haStatus']) {
      const r = await runCli(['admin', sub, '--addr', addr]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/ERR_ADMIN_UNREACHABLE: cannot reach the admin server at 127\.0\.0\.1:\d+: connection refused/);
    }
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['admin', 'brokerStatus'])).code).toBe(2);
    expect((await runCli(['admin', 'brokerStatus', '--addr', 'nohostport'])).code).toBe(2);
    expect((await runCli(['admin', 'frob', '--addr', '127.0.0.1:1'])).code).toBe(2);
    expect((await runCli(['admin', 'haStatus', '--addr', '127.0.0.1:1', '--role', 'SYNC_MASTER'])).code).toBe(2);
  });

  it('promote on a node without an HA service: 501, exit 1', async () => {
    const dir = newDir();
    const n = await startNode(writeProperties(dir, 'b.properties', smallNodeProps(join(dir, 'store'))), ['--no-ha']);
    const r = await runCli(['admin', 'promote', '--addr', n.adminAddr]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HTTP 501: ERR_ADMIN_NOT_IMPLEMENTED: cannot promote: this node runs no HA service/);
    const h = await runCli(['admin', 'haStatus', '--addr', n.adminAddr]);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^#HAService\tnot running \(disabled with --no-ha\)$/m);
    expect(await n.stop()).toBe(0);
  });
});
