// Context rows for the broker suite: Redis Streams through ioredis on loopback, the same body
// size and calls in flight: XADD (send), then XREADGROUP COUNT 32 + XACK (receive+ack), with
// AOF `appendfsync everysec` and `always`. A private redis-server runs per case (its own port
// and directory, RDB off), started here and killed after. Checked like the broker: every
// added entry id is read back once with its body. Where redis-server is not installed the
// suite says so instead of a row (redisAvailable).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { closedLoop, rateOf, type Rate } from '../lib/closed-loop.js';

export const REDIS_FSYNC_MODES = ['everysec', 'always'] as const;
export type RedisFsync = (typeof REDIS_FSYNC_MODES)[number];

/** null when redis-server runs here, else why not. */
export function redisUnavailable(): string | null {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) return `redis-server is not installed (apt-get install -y redis-server): ${r.error?.message ?? r.stderr}`;
  return null;
}

export function redisVersion(): string {
  return /v=(\S+)/.exec(spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startRedis(dir: string, fsync: RedisFsync): Promise<{ port: number; child: ChildProcess }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', fsync, '--protected-mode', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not get ready in 10 s')), 10_000);
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out.slice(-500)}`));
    });
  });
  return { port, child };
}

export interface RedisCaseResult {
  send: Rate;
  receiveAck: Rate;
  sent: number;
}

export async function measureRedisCase(dir: string, fsync: RedisFsync, timeMs: number, inflight: number, bodyBytes: number, receivers: number): Promise<RedisCaseResult> {
  const { port, child } = await startRedis(dir, fsync);
  // one connection per lane group, as several producers would have
  const clients = Array.from({ length: 4 }, () => new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 }));
  try {
    for (const c of clients) await c.connect();
    const stream = 'bench';
    await clients[0]!.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
    const sent = new Map<string, number>();
    let next = 0;
    const body = (i: number): Buffer => {
      const b = Buffer.alloc(bodyBytes, 0x61);
      b.write(`${i}:`, 0, 'latin1');
      return b;
    };
    const add = async (lane: number): Promise<void> => {
      const i = next++;
      const id = await clients[lane % clients.length]!.xadd(stream, '*', 'b', body(i));
      sent.set(String(id), i);
    };
    await closedLoop(Math.min(300, timeMs), inflight, add);
    const send = await closedLoop(timeMs, inflight, add);
    const seen = new Set<string>();
    const problems: string[] = [];
    const latencies: number[] = [];
    const start = performance.now();
    const deadline = start + Math.max(30_000, timeMs * 20);
    const loop = async (lane: number): Promise<void> => {
      const c = clients[lane % clients.length]!;
      while (seen.size < sent.size && performance.now() < deadline) {
        const t = performance.now();
        const got = (await c.callBuffer('XREADGROUP', 'GROUP', 'g', `c${lane}`, 'COUNT', 32, 'BLOCK', 1000, 'STREAMS', stream, '>')) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
        const entries = got?.[0]?.[1] ?? [];
        const ids: string[] = [];
        for (const [rawId, fields] of entries) {
          const id = rawId.toString();
          ids.push(id);
          const i = sent.get(id);
          if (i === undefined || !fields[1]?.equals(body(i))) problems.push(`${id}: not sent, or its body differs`);
          if (seen.has(id)) problems.push(`${id} read twice`);
          seen.add(id);
        }
        if (ids.length > 0) {
          await c.xack(stream, 'g', ...ids);
          latencies.push(performance.now() - t);
        }
        if (problems.length > 10) break;
      }
    };
    await Promise.all(Array.from({ length: receivers }, (_, i) => loop(i)));
    const elapsed = (performance.now() - start) / 1000;
    const missing = sent.size - [...sent.keys()].filter((id) => seen.has(id)).length;
    if (missing > 0) problems.push(`${missing} of ${sent.size} added entries were never read`);
    if (problems.length > 0) throw new Error(`redis bench check failed: ${problems.slice(0, 10).join('; ')}`);
    return { send, receiveAck: rateOf(latencies, seen.size, elapsed), sent: sent.size };
  } finally {
    for (const c of clients) c.disconnect();
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
  }
}
