// The admin port over HTTPS (adminTlsCertFile + adminTlsKeyFile), with a certificate made by
// openssl at test time (skipped, with the reason printed, when openssl is missing): the client
// with the node's CA reads /status and, with the token, promotes; a client trusting another CA
// is refused by TLS (nothing is sent, so the node is unchanged); plain HTTP to the port gets no
// answer; the Origin check uses the https scheme.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchNodeStatus, postAdmin } from '../../src/admin/admin-client.js';
import { AdminErrorCode } from '../../src/admin/admin-error.js';
import { ConfigError, memoryLogger, openNode, type StoreNode } from '../../src/index.js';
import { http, runCli } from '../cli/node-harness.js';
import { HA_TEST_DEFAULTS } from '../helpers/ha-inproc.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { CALM_DISK_USAGE, smallConfig } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { makeServerCert, opensslMissing, type ServerCert } from '../helpers/test-certs.js';

const newDir = tempDirs('mqstore-admin-tls-');
const skipReason = opensslMissing();
skipNotice('admin HTTPS tests', skipReason);
const TOKEN = randomBytes(32).toString('hex');

describe.skipIf(skipReason !== null)('admin port over HTTPS', () => {
  let node: StoreNode;
  let certs: ServerCert;
  let other: ServerCert;
  let port: number;
  let tokenFile: string;

  beforeAll(async () => {
    const dir = newDir();
    certs = makeServerCert(dir, 'node');
    other = makeServerCert(dir, 'other');
    tokenFile = join(dir, 'admin.token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    node = await openNode(
      smallConfig(join(dir, 'store'), 'node', { ...HA_TEST_DEFAULTS, listenPort: 0, adminTokenFile: tokenFile, adminTlsCertFile: certs.cert, adminTlsKeyFile: certs.key }),
      { logger: memoryLogger(), store: { diskUsage: CALM_DISK_USAGE }, admin: { host: '127.0.0.1', port: 0 }, ha: false, haDisabledReason: 'tls test' },
    );
    port = node.admin!.port;
  });

  afterAll(async () => {
    await node?.close();
  });

  it('serves https: /status with the node CA; a write with the token reaches its route (501: no HA here)', async () => {
    expect(node.admin!.scheme).toBe('https');
    const ca = readFileSync(certs.ca, 'utf8');
    const addr = { host: '127.0.0.1', port, scheme: 'https' as const };
    expect(await fetchNodeStatus(addr, { ca })).toMatchObject({ brokerRole: 'ASYNC_MASTER', adminPort: port });
    await expect(postAdmin(addr, '/admin/promote', {}, { ca })).rejects.toMatchObject({ code: AdminErrorCode.REFUSED, message: expect.stringMatching(/HTTP 401/) });
    await expect(postAdmin(addr, '/admin/promote', {}, { ca, token: TOKEN })).rejects.toMatchObject({ code: AdminErrorCode.HTTP, message: expect.stringMatching(/HTTP 501/) });
    await expect(fetchNodeStatus({ host: 'localhost', port, scheme: 'https' }, { ca }), 'the DNS name in the SAN, a localhost Host').resolves.toMatchObject({ adminPort: port });
  });

  it('a client that trusts another CA (or only the system CAs) is refused by TLS before sending anything', async () => {
    const addr = { host: '127.0.0.1', port, scheme: 'https' as const };
    await expect(fetchNodeStatus(addr, { ca: readFileSync(other.ca, 'utf8'), token: TOKEN })).rejects.toMatchObject({ code: AdminErrorCode.UNREACHABLE });
    await expect(fetchNodeStatus(addr)).rejects.toMatchObject({ code: AdminErrorCode.UNREACHABLE });
    expect(node.status().brokerRole).toBe('ASYNC_MASTER');
  });

  it('plain HTTP to the HTTPS port gets no admin answer', async () => {
    const r = await http(`127.0.0.1:${port}`, 'GET', '/status', undefined, { timeoutMs: 5000 }).catch((e: Error) => e);
    if (r instanceof Error) expect(r.message).toMatch(/ECONNRESET|socket hang up|parse|no answer/i);
    else expect(r.status).toBe(400); // node:https answers a plain request with a bare 400, no route ran
  });

  it('mqstore admin --addr https://... --ca-file: exit 0; the other CA: exit 1 (cannot reach it)', async () => {
    const ok = await runCli(['admin', 'brokerStatus', '--addr', `https://127.0.0.1:${port}`, '--ca-file', certs.ca, '--token-file', tokenFile, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ adminPort: port });
    const bad = await runCli(['admin', 'brokerStatus', '--addr', `https://127.0.0.1:${port}`, '--ca-file', other.ca, '--token-file', tokenFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ERR_ADMIN_UNREACHABLE: .*TLS failed/);
  });

  it('a key that is not the certificate\'s: the node refuses to start (ConfigError naming adminTlsKeyFile)', async () => {
    const dir = newDir();
    const err = await openNode(smallConfig(dir, 'node', { ...HA_TEST_DEFAULTS, listenPort: 0, adminTlsCertFile: certs.cert, adminTlsKeyFile: other.key }), {
      logger: memoryLogger(),
      store: { diskUsage: CALM_DISK_USAGE },
      admin: { host: '127.0.0.1', port: 0 },
      ha: false,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('adminTlsKeyFile');
  });

  it('the Origin check uses the https scheme', async () => {
    const ca = readFileSync(certs.ca, 'utf8');
    const get = (origin: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/status', ca, headers: { origin } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get(`https://127.0.0.1:${port}`)).toBe(200);
    expect(await get(`http://127.0.0.1:${port}`)).toBe(403);
  });
});
