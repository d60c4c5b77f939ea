// The checker hooks of the admin port (issue 10 §6) over real HTTP on 127.0.0.1 against
// in-process nodes: POST /admin/put with count 1 answers that put's status and offsets;
// GET /admin/get answers the readable messages of a queue with their offsets and UTF-8 bodies,
// refuses bad parameters with 400 naming them, and, because it hands out message bodies, follows
// the token rule of writes (a node with adminTokenFile answers 401 without the token even though
// reads are open). Neither route exists without enablePut.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminGetAnswer } from '../../src/admin/admin-get.js';
import { memoryLogger, openNode, type StoreNode } from '../../src/index.js';
import { http, type HttpAnswer } from '../cli/node-harness.js';
import { HA_TEST_DEFAULTS } from '../helpers/ha-inproc.js';
import { CALM_DISK_USAGE, smallConfig } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-admin-get-');
const TOKEN = randomBytes(32).toString('hex');

async function node(overrides: Record<string, unknown>, enablePut: boolean): Promise<{ node: StoreNode; addr: string }> {
  const dir = newDir();
  const extra: Record<string, unknown> = {};
  if (overrides.adminTokenFile === true) {
    const path = join(dir, 'admin.token');
    writeFileSync(path, `${TOKEN}\n`, { mode: 0o600 });
    extra.adminTokenFile = path;
  }
  const n = await openNode(smallConfig(dir, 'node', { ...HA_TEST_DEFAULTS, listenPort: 0, ...overrides, ...extra }), {
    logger: memoryLogger(),
    store: { diskUsage: CALM_DISK_USAGE },
    admin: { host: '127.0.0.1', port: 0, enablePut },
  });
  return { node: n, addr: `127.0.0.1:${n.admin!.port}` };
}

function json<T>(r: HttpAnswer): T {
  return JSON.parse(r.body) as T;
}

interface PutAnswer {
  count: number;
  statuses: Record<string, number>;
  result?: { status: string; queueOffset?: number; physicalOffset?: number; wroteBytes?: number; reason?: string };
}

describe('/admin/put count 1 and /admin/get', () => {
  let open: Awaited<ReturnType<typeof node>>;
  let guarded: Awaited<ReturnType<typeof node>>;
  let closed: Awaited<ReturnType<typeof node>>;

  beforeAll(async () => {
    open = await node({ brokerRole: 'ASYNC_MASTER' }, true);
    guarded = await node({ brokerRole: 'ASYNC_MASTER', adminTokenFile: true }, true);
    closed = await node({ brokerRole: 'ASYNC_MASTER' }, false);
  });

  afterAll(async () => {
    for (const n of [open, guarded, closed]) await n?.node.close();
  });

  it('a single put answers its status and offsets; get returns the messages at those offsets', async () => {
    const placed: Array<{ queueOffset: number; physicalOffset: number; body: string }> = [];
    let nextPhysical = 0;
    for (let i = 0; i < 5; i++) {
      const body = `message ${i} — ü ${'z'.repeat(i * 10)}`;
      const r = await http(open.addr, 'POST', '/admin/put', { topic: 'GetTopic', queueId: 1, count: 1, body });
      expect(r.status, r.body).toBe(200);
      const a = json<PutAnswer>(r);
      expect(a.statuses).toEqual({ PUT_OK: 1 });
      expect(a.result).toMatchObject({ status: 'PUT_OK', queueOffset: i });
      expect(a.result!.physicalOffset).toBe(nextPhysical); // each put right after the one before
      expect(a.result!.wroteBytes).toBeGreaterThan(Buffer.byteLength(body));
      nextPhysical += a.result!.wroteBytes!;
      placed.push({ queueOffset: a.result!.queueOffset!, physicalOffset: a.result!.physicalOffset!, body });
    }
    const many = json<PutAnswer>(await http(open.addr, 'POST', '/admin/put', { topic: 'GetTopic', queueId: 1, count: 3 }));
    expect(many.result).toBeUndefined(); // only a single put names its offsets

    const got = await http(open.addr, 'GET', '/admin/get?topic=GetTopic&queueId=1&offset=0&max=5');
    expect(got.status, got.body).toBe(200);
    const g = json<AdminGetAnswer>(got);
    expect(g.status).toBe('FOUND');
    expect(g.messages.map((m) => ({ queueOffset: m.queueOffset, physicalOffset: m.physicalOffset, body: m.body }))).toEqual(placed);
    expect(g.nextBeginOffset).toBe(5);
    expect(g.maxOffset).toBe(8);

    const tail = json<AdminGetAnswer>(await http(open.addr, 'GET', '/admin/get?topic=GetTopic&queueId=1&offset=3'));
    expect(tail.messages.map((m) => m.queueOffset)).toEqual([3, 4, 5, 6, 7]);
    const end = json<AdminGetAnswer>(await http(open.addr, 'GET', '/admin/get?topic=GetTopic&queueId=1&offset=8'));
    expect([end.status, end.messages]).toEqual(['OFFSET_OVERFLOW_ONE', []]);
    const none = json<AdminGetAnswer>(await http(open.addr, 'GET', '/admin/get?topic=NoSuchTopic&queueId=0&offset=0'));
    expect([none.status, none.messages]).toEqual(['NO_MATCHED_LOGIC_QUEUE', []]);
  });

  it('bad parameters: 400 ERR_ADMIN_BAD_REQUEST naming the parameter; nothing read', async () => {
    const cases: Array<[string, RegExp]> = [
      ['queueId=0&offset=0', /topic .*required/],
      ['topic=&queueId=0&offset=0', /topic .*required/],
      ['topic=T&offset=0', /queueId is required/],
      ['topic=T&queueId=0', /offset is required/],
      ['topic=T&queueId=-1&offset=0', /queueId must be an integer/],
      ['topic=T&queueId=0&offset=1.5', /offset must be an integer/],
      ['topic=T&queueId=0&offset=x', /offset must be an integer/],
      ['topic=T&queueId=0&offset=0&max=0', /max must be an integer in \[1, 1024\]/],
      ['topic=T&queueId=0&offset=0&max=5000', /max must be an integer in \[1, 1024\]/],
      ['topic=T&queueId=0&offset=0&group=g', /unknown parameter 'group'/],
    ];
    for (const [query, why] of cases) {
      const r = await http(open.addr, 'GET', `/admin/get?${query}`);
      expect(r.status, query).toBe(400);
      const e = json<{ error: { code: string; message: string } }>(r).error;
      expect(e.code).toBe('ERR_ADMIN_BAD_REQUEST');
      expect(e.message, query).toMatch(why);
    }
    expect((await http(open.addr, 'POST', '/admin/get', {})).status).toBe(405);
  });

  it('with adminTokenFile: get needs the token like a write (401 without), works with it', async () => {
    const put = await http(guarded.addr, 'POST', '/admin/put', { topic: 'Secret', count: 1, body: 'hidden' }, { token: TOKEN });
    expect(json<PutAnswer>(put).result).toMatchObject({ status: 'PUT_OK', queueOffset: 0 });
    const without = await http(guarded.addr, 'GET', '/admin/get?topic=Secret&queueId=0&offset=0');
    expect(without.status).toBe(401);
    expect(without.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(without.body).not.toContain('hidden');
    expect((await http(guarded.addr, 'GET', '/status')).status).toBe(200); // plain reads stay open
    const withToken = await http(guarded.addr, 'GET', '/admin/get?topic=Secret&queueId=0&offset=0', undefined, { token: TOKEN });
    expect(json<AdminGetAnswer>(withToken).messages.map((m) => m.body)).toEqual(['hidden']);
  });

  it('without enablePut neither hook exists (404)', async () => {
    expect((await http(closed.addr, 'GET', '/admin/get?topic=T&queueId=0&offset=0')).status).toBe(404);
    expect((await http(closed.addr, 'POST', '/admin/put', { topic: 'T', count: 1 })).status).toBe(404);
  });
});
