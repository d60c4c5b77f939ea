// The admin port's access rules over real HTTP on 127.0.0.1, against two in-process nodes with an
// adminTokenFile: a master serving /admin/put and a slave that could be promoted. Every
// state-changing route, asked without the token, with a wrong one, with a foreign Host, with a
// foreign Origin (or `Origin: null`), and as text/plain, is refused (401 + WWW-Authenticate /
// 403 / 415) and changes nothing: the slave stays a SLAVE, the master's log does not grow, no
// put is counted. With the token and JSON the same requests work. Reads: open by default (Host
// still checked), token-protected with adminReadAuth=token.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../src/admin/node-status.js';
import { memoryLogger, openNode, type StoreNode } from '../../src/index.js';
import { getJson, http, type HttpAnswer } from '../cli/node-harness.js';
import { HA_TEST_DEFAULTS } from '../helpers/ha-inproc.js';
import { CALM_DISK_USAGE, smallConfig, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-admin-auth-');
const TOKEN = randomBytes(32).toString('hex');

function tokenFile(dir: string, token = TOKEN): string {
  const path = join(dir, 'admin.token');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return path;
}

async function node(overrides: Record<string, unknown>, enablePut = false): Promise<{ node: StoreNode; addr: string; logger: ReturnType<typeof memoryLogger> }> {
  const dir = newDir();
  const logger = memoryLogger();
  const n = await openNode(smallConfig(dir, 'node', { ...HA_TEST_DEFAULTS, listenPort: 0, adminTokenFile: tokenFile(dir), ...overrides }), {
    logger,
    store: { diskUsage: CALM_DISK_USAGE },
    admin: { host: '127.0.0.1', port: 0, enablePut },
  });
  return { node: n, addr: `127.0.0.1:${n.admin!.port}`, logger };
}

function errorCode(r: HttpAnswer): string {
  return (JSON.parse(r.body) as { error: { code: string } }).error.code;
}

describe('admin port with adminTokenFile (reads open, the default)', () => {
  let master: Awaited<ReturnType<typeof node>>;
  let slave: Awaited<ReturnType<typeof node>>;

  beforeAll(async () => {
    master = await node({ brokerRole: 'ASYNC_MASTER' }, true);
    slave = await node({ brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${master.node.haPort()}` });
    await waitUntil(() => slave.node.status().ha?.kind === 'slave' && (slave.node.status().ha as { connected?: boolean }).connected === true, 'the slave connected');
  });

  afterAll(async () => {
    await slave?.node.close();
    await master?.node.close();
  });

  /** What a refused request must leave as it was. */
  function state(): unknown {
    return { slaveRole: slave.node.store.brokerRole, masterEnd: master.node.store.getMaxPhyOffset(), puts: master.node.status().putMessageTimesTotal };
  }

  const routes = [
    { name: 'promote (slave)', target: () => slave.addr, path: '/admin/promote', body: { role: 'ASYNC_MASTER' } },
    { name: 'put (master)', target: () => master.addr, path: '/admin/put', body: { topic: 'AuthTopic', count: 5 } },
  ];
  const port = (addr: string): string => addr.split(':')[1]!;
  const refusals: Array<{ what: string; options: (addr: string) => Parameters<typeof http>[4]; body?: string; status: number; code: string }> = [
    { what: 'no token', options: () => ({}), status: 401, code: 'ERR_ADMIN_UNAUTHORIZED' },
    { what: 'a wrong token', options: () => ({ token: randomBytes(32).toString('hex') }), status: 401, code: 'ERR_ADMIN_UNAUTHORIZED' },
    { what: 'the token with one character changed', options: () => ({ token: `${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}` }), status: 401, code: 'ERR_ADMIN_UNAUTHORIZED' },
    { what: 'a Basic authorization', options: () => ({ headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` } }), status: 401, code: 'ERR_ADMIN_UNAUTHORIZED' },
    { what: 'a foreign Host (DNS rebinding)', options: (a) => ({ token: TOKEN, headers: { host: `attacker.example:${port(a)}` } }), status: 403, code: 'ERR_ADMIN_FORBIDDEN' },
    { what: 'the right Host name on another port', options: () => ({ token: TOKEN, headers: { host: '127.0.0.1:1' } }), status: 403, code: 'ERR_ADMIN_FORBIDDEN' },
    { what: 'a foreign Origin (browser CSRF)', options: () => ({ token: TOKEN, headers: { origin: 'http://attacker.example' } }), status: 403, code: 'ERR_ADMIN_FORBIDDEN' },
    { what: 'Origin: null (sandboxed page)', options: () => ({ token: TOKEN, headers: { origin: 'null' } }), status: 403, code: 'ERR_ADMIN_FORBIDDEN' },
    { what: 'the own Origin with https', options: (a) => ({ token: TOKEN, headers: { origin: `https://${a}` } }), status: 403, code: 'ERR_ADMIN_FORBIDDEN' },
    { what: 'text/plain', options: () => ({ token: TOKEN, headers: { 'content-type': 'text/plain' } }), status: 415, code: 'ERR_ADMIN_UNSUPPORTED_MEDIA_TYPE' },
    { what: 'a form', options: () => ({ token: TOKEN, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), body: 'role=ASYNC_MASTER', status: 415, code: 'ERR_ADMIN_UNSUPPORTED_MEDIA_TYPE' },
    { what: 'no token, text/plain, foreign Host (the attack of the issue)', options: (a) => ({ headers: { 'content-type': 'text/plain', host: `attacker.example:${port(a)}` } }), status: 403, code: 'ERR_ADMIN_FORBIDDEN' },
  ];

  for (const route of routes) {
    it(`${route.name}: every refusal answers its status and changes nothing`, async () => {
      const before = state();
      for (const r of refusals) {
        const addr = route.target();
        const answer = await http(addr, 'POST', route.path, r.body ?? route.body, r.options(addr));
        expect([answer.status, errorCode(answer)], `${route.name} with ${r.what}`).toEqual([r.status, r.code]);
        expect(answer.headers.connection, r.what).toBe('close');
        if (r.status === 401) expect(answer.headers['www-authenticate'], r.what).toMatch(/^Bearer realm="mqstore-admin"/);
        expect(state(), `state after ${route.name} with ${r.what}`).toEqual(before);
      }
      expect(master.logger.lines.concat(slave.logger.lines).some((l) => /admin: refused POST \/admin\/(promote|put) from 127\.0\.0\.1 with 40[13]/.test(l))).toBe(true);
    });
  }

  it('reads are open (no token needed) but still check Host and Origin', async () => {
    expect((await http(master.addr, 'GET', '/status')).status).toBe(200);
    expect((await http(master.addr, 'GET', '/metrics')).status).toBe(200);
    expect((await http(master.addr, 'GET', '/status', undefined, { headers: { host: `localhost:${port(master.addr)}` } })).status).toBe(200);
    const rebound = await http(master.addr, 'GET', '/status', undefined, { headers: { host: `attacker.example:${port(master.addr)}` } });
    expect([rebound.status, errorCode(rebound)]).toEqual([403, 'ERR_ADMIN_FORBIDDEN']);
    const crossSite = await http(master.addr, 'GET', '/metrics', undefined, { headers: { origin: 'http://attacker.example' } });
    expect(crossSite.status).toBe(403);
  });

  it('a CORS preflight gets no Access-Control-Allow-* header (a browser never sends the real request)', async () => {
    const r = await http(slave.addr, 'OPTIONS', '/admin/promote', undefined, { headers: { origin: 'http://attacker.example', 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(403);
    expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('a body larger than the bound: 413 at once (Content-Length), nothing done', async () => {
    const before = state();
    const r = await http(master.addr, 'POST', '/admin/put', { topic: 'AuthTopic', count: 1, pad: 'x'.repeat(70 * 1024) }, { token: TOKEN }).catch((e: NodeJS.ErrnoException) => e);
    // the server answers before reading the body, then closes: the client may see the answer or a reset
    if (!(r instanceof Error)) expect([r.status, errorCode(r)]).toEqual([413, 'ERR_ADMIN_BODY_TOO_LARGE']);
    else expect(['ECONNRESET', 'EPIPE']).toContain(r.code);
    expect(state()).toEqual(before);
  });

  it('with the token and JSON: put works, then promote works (the slave becomes a master)', async () => {
    const put = await http(master.addr, 'POST', '/admin/put', { topic: 'AuthTopic', count: 5 }, { token: TOKEN });
    expect(put.status, put.body).toBe(200);
    expect(JSON.parse(put.body).statuses).toEqual({ PUT_OK: 5 });
    // the scheme is case-insensitive (RFC 6750 / 7235), the media type may carry a charset
    const promoted = await http(slave.addr, 'POST', '/admin/promote', {}, { headers: { authorization: `bearer ${TOKEN}`, 'content-type': 'Application/JSON; charset=utf-8' } });
    expect(promoted.status, promoted.body).toBe(200);
    expect(JSON.parse(promoted.body)).toMatchObject({ promoted: true, previousRole: 'SLAVE', brokerRole: 'ASYNC_MASTER' });
    expect(slave.node.store.brokerRole).toBe('ASYNC_MASTER');
  });
});

describe('adminReadAuth=token', () => {
  let n: Awaited<ReturnType<typeof node>>;

  beforeAll(async () => {
    n = await node({ brokerRole: 'ASYNC_MASTER', adminReadAuth: 'token' });
  });

  afterAll(async () => {
    await n?.node.close();
  });

  it('GET /status and /metrics need the token (401 + WWW-Authenticate), and answer with it', async () => {
    for (const path of ['/status', '/metrics']) {
      const without = await http(n.addr, 'GET', path);
      expect([without.status, errorCode(without)], path).toEqual([401, 'ERR_ADMIN_UNAUTHORIZED']);
      expect(without.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await http(n.addr, 'GET', path, undefined, { token: 'nope-nope-nope-nope' })).status, path).toBe(401);
      expect((await http(n.addr, 'GET', path, undefined, { token: TOKEN })).status, path).toBe(200);
    }
    const s = await getJson<NodeStatus>(n.addr, '/status', { token: TOKEN });
    expect(s.adminPort).toBe(n.node.admin!.port);
  });
});
