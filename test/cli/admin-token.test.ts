// `mqstore admin` against a real `mqstore node` process whose admin port wants a token for reads
// and writes (adminTokenFile + adminReadAuth=token): without a token, with a wrong one, with
// --token-file, with MQSTORE_ADMIN_TOKEN; the exit codes (2 for a refusal or an unreadable token
// file, as for usage errors; 1 for the node's own 501). And `mqstore node --admin-host 0.0.0.0`
// without a token file: exit 2 naming adminTokenFile, before any ready line.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, smallNodeProps, startNode, writeProperties, type RunningNode } from './node-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-cli-admin-token-');
const TOKEN = randomBytes(32).toString('hex');

describe('mqstore admin with a token-protected node', () => {
  let node: RunningNode;
  let dir: string;
  let tokenFile: string;

  beforeAll(async () => {
    dir = newDir();
    tokenFile = join(dir, 'admin.token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const props = writeProperties(dir, 'broker.properties', smallNodeProps(join(dir, 'store'), { adminTokenFile: tokenFile, adminReadAuth: 'token' }));
    node = await startNode(props, ['--no-ha']);
  });

  afterAll(async () => {
    if (node) expect(await node.stop()).toBe(0);
  });

  it('no token: exit 2, ERR_ADMIN_REFUSED (HTTP 401) and how to give one', async () => {
    const r = await runCli(['admin', 'brokerStatus', '--addr', node.adminAddr], 60_000, { MQSTORE_ADMIN_TOKEN: '' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/ERR_ADMIN_REFUSED: .*HTTP 401: ERR_ADMIN_UNAUTHORIZED/);
    expect(r.stderr).toMatch(/--token-file <path> or \$MQSTORE_ADMIN_TOKEN/);
    expect(r.stdout).toBe('');
  });

  it('--token-file: the status table; the token file of another node: exit 2, "not this node\'s"', async () => {
    const ok = await runCli(['admin', 'brokerStatus', '--addr', node.adminAddr, '--token-file', tokenFile]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/brokerRole\s*:\s*ASYNC_MASTER/);
    const wrongFile = join(dir, 'other.token');
    writeFileSync(wrongFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const wrong = await runCli(['admin', 'haStatus', '--addr', node.adminAddr, '--token-file', wrongFile]);
    expect(wrong.code, wrong.stderr).toBe(2);
    expect(wrong.stderr).toMatch(/HTTP 401: .*not this node's/);
  });

  it('MQSTORE_ADMIN_TOKEN: works for reads and writes (promote reaches the node: 501, no HA, exit 1)', async () => {
    const read = await runCli(['admin', 'brokerStatus', '--addr', node.adminAddr, '--json'], 60_000, { MQSTORE_ADMIN_TOKEN: TOKEN });
    expect(read.code, read.stderr).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ brokerRole: 'ASYNC_MASTER', adminPort: node.ready.adminPort });
    const write = await runCli(['admin', 'promote', '--addr', node.adminAddr], 60_000, { MQSTORE_ADMIN_TOKEN: TOKEN });
    expect(write.code, write.stderr).toBe(1);
    expect(write.stderr).toMatch(/HTTP 501: ERR_ADMIN_NOT_IMPLEMENTED/);
    const refused = await runCli(['admin', 'promote', '--addr', node.adminAddr], 60_000, { MQSTORE_ADMIN_TOKEN: '' });
    expect(refused.code, refused.stderr).toBe(2);
  });

  it('a --token-file that does not exist: exit 2 naming the file, nothing sent', async () => {
    const r = await runCli(['admin', 'brokerStatus', '--addr', node.adminAddr, '--token-file', join(dir, 'nope.token')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--token-file: file '.*nope\.token' does not exist/);
  });
});

describe('mqstore node --admin-host 0.0.0.0 without adminTokenFile', () => {
  it('exits 2 naming adminTokenFile, before its ready line (no port was opened)', async () => {
    const dir = newDir();
    const props = writeProperties(dir, 'broker.properties', smallNodeProps(join(dir, 'store')));
    const r = await runCli(['node', '-c', props, '--admin-host', '0.0.0.0', '--no-ha']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/config key 'adminTokenFile'.*not a loopback address/);
    expect(r.stderr).toMatch(/binds to every interface \(0\.0\.0\.0\)/);
    const garbage = await runCli(['node', '-c', props, '--admin-host', 'http://0.0.0.0', '--no-ha']);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toMatch(/--admin-host must be an IP address or host name/);
  });
});
