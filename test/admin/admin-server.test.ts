// The admin HTTP server and its client, in process with stub routes: routing and error answers
// (404, 405 + Allow, 400 bad JSON, 413 too large, 500 with the thrower's code), and how the
// client turns each failure into an AdminError code.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchNodeStatus, parseAdminAddress, postAdmin } from '../../src/admin/admin-client.js';
import { AdminErrorCode } from '../../src/admin/admin-error.js';
import { jsonError, startAdminServer, type AdminServer } from '../../src/admin/admin-server.js';
import { memoryLogger } from '../../src/util/logger.js';
import { http } from '../cli/node-harness.js';

describe('admin server', () => {
  let server: AdminServer;
  let addr: string;
  const logger = memoryLogger();
  const promoted: unknown[] = [];
  let statusMode: 'ok' | 'throw' = 'ok';

  beforeAll(async () => {
    server = await startAdminServer({
      port: 0,
      logger,
      routes: {
        status: () => {
          if (statusMode === 'throw') throw Object.assign(new Error('boom'), { code: 'ERR_TEST_BOOM' });
          return { status: 200, json: { brokerRole: 'ASYNC_MASTER', maxPhyOffset: 42 } };
        },
        metrics: () => ({ status: 200, text: 'x 1\n', contentType: 'text/plain; version=0.0.4' }),
        promote: async (body) => {
          promoted.push(body);
          return { status: 200, json: { ok: true } };
        },
      },
    });
    addr = `127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server.close();
  });

  it('binds 127.0.0.1 on an OS-picked port and serves the routes', async () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(JSON.parse((await http(addr, 'GET', '/status?x=1')).body)).toEqual({ brokerRole: 'ASYNC_MASTER', maxPhyOffset: 42 });
    const m = await http(addr, 'GET', '/metrics');
    expect([m.status, m.body, m.headers['content-type']]).toEqual([200, 'x 1\n', 'text/plain; version=0.0.4']);
    expect((await http(addr, 'POST', '/admin/promote', { role: 'SYNC_MASTER' })).status).toBe(200);
    expect((await http(addr, 'POST', '/admin/promote')).status).toBe(200);
    expect(promoted).toEqual([{ role: 'SYNC_MASTER' }, {}]);
  });

  it('404 unknown path, 405 wrong method (with Allow), 400 bad JSON, 413 too large: JSON errors', async () => {
    const cases: Array<[string, string, unknown, number, string]> = [
      ['GET', '/', undefined, 404, 'ERR_ADMIN_NOT_FOUND'],
      ['GET', '/admin/put', undefined, 404, 'ERR_ADMIN_NOT_FOUND'], // not enabled here
      ['POST', '/metrics', {}, 405, 'ERR_ADMIN_METHOD_NOT_ALLOWED'],
      ['GET', '/admin/promote', undefined, 405, 'ERR_ADMIN_METHOD_NOT_ALLOWED'],
    ];
    for (const [method, path, body, code, errCode] of cases) {
      const r = await http(addr, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(code);
      expect(JSON.parse(r.body).error.code).toBe(errCode);
    }
    expect((await http(addr, 'PUT', '/status')).headers.allow).toBe('GET');
    const badJson = await rawPost(addr, '/admin/promote', '{nope');
    expect(badJson.status).toBe(400);
    const huge = await rawPost(addr, '/admin/promote', JSON.stringify({ pad: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
  });

  it('a route that throws: 500 with its code, logged', async () => {
    statusMode = 'throw';
    const r = await http(addr, 'GET', '/status');
    statusMode = 'ok';
    expect(r.status).toBe(500);
    expect(JSON.parse(r.body).error).toEqual({ code: 'ERR_TEST_BOOM', message: 'boom' });
    expect(logger.lines.some((l) => l.includes('/status failed'))).toBe(true);
  });

  it('the client: status parsed; HTTP errors keep the server code; not-a-status is BAD_RESPONSE', async () => {
    const a = parseAdminAddress(addr)!;
    expect(await fetchNodeStatus(a)).toMatchObject({ maxPhyOffset: 42 });
    await expect(postAdmin(a, '/nope', {})).rejects.toMatchObject({ code: AdminErrorCode.HTTP, message: expect.stringMatching(/HTTP 404: ERR_ADMIN_NOT_FOUND/) });
    statusMode = 'throw';
    await expect(fetchNodeStatus(a)).rejects.toMatchObject({ code: AdminErrorCode.HTTP, message: expect.stringMatching(/HTTP 500: ERR_TEST_BOOM: boom/) });
    statusMode = 'ok';
  });
});

describe('admin client failures', () => {
  it('a server that never answers: UNREACHABLE after the deadline; garbage: BAD_RESPONSE', async () => {
    const silent = createServer(() => {});
    const garbage = createServer((_req, res) => res.end('<html>'));
    await Promise.all([new Promise<void>((r) => silent.listen(0, '127.0.0.1', r)), new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r))]);
    try {
      const port = (s: typeof silent): number => (s.address() as AddressInfo).port;
      await expect(fetchNodeStatus({ host: '127.0.0.1', port: port(silent) }, 200)).rejects.toMatchObject({
        code: AdminErrorCode.UNREACHABLE,
        message: expect.stringMatching(/no answer .* within 200 ms/),
      });
      await expect(fetchNodeStatus({ host: '127.0.0.1', port: port(garbage) })).rejects.toMatchObject({ code: AdminErrorCode.BAD_RESPONSE });
    } finally {
      silent.closeAllConnections();
      await Promise.all([new Promise((r) => silent.close(r)), new Promise((r) => garbage.close(r))]);
    }
  });

  it('parseAdminAddress', () => {
    expect(parseAdminAddress('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseAdminAddress('node-1:1')).toEqual({ host: 'node-1', port: 1 });
    expect(parseAdminAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
    for (const bad of ['', 'x', ':1', 'h:0', 'h:65536', 'h:1:2', 'h: 1']) expect(parseAdminAddress(bad), bad).toBeNull();
  });

  it('jsonError shape', () => {
    expect(jsonError(418, 'ERR_X', 'tea')).toEqual({ status: 418, json: { error: { code: 'ERR_X', message: 'tea' } } });
  });
});

async function rawPost(addr: string, path: string, text: string): Promise<{ status: number }> {
  const [host, port] = addr.split(':') as [string, string];
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method: 'POST', path, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: -1 }) : reject(err)));
    req.end(text);
  });
}
