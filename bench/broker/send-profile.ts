// Where a send's time goes, server side: `npx tsx bench/broker/send-profile.ts [--prof DIR] [--ms N] [--producers N]`.
// The broker (ASYNC_FLUSH) and then the bare grpc-js echo run in a child process
// (profile-server.ts) while this process drives them: --producers official-client Producers (default 4) with 32 sends
// in flight, then a grpc-js client with 32 echo calls of the same size in flight. Prints the
// rate and the CPU per call of the SERVER process and of this (client) process
// (process.cpuUsage), so the official client's own cost is told apart from the broker's. With --prof each child writes a V8 CPU profile into DIR
// (of the measured window only), summarised here by package / file and function (self time).
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { Producer } from 'rocketmq-client-nodejs';
import { closedLoop, type Rate } from '../lib/closed-loop.js';

const quiet = { info() {}, warn() {}, debug() {}, close() {}, error() {} };
const INFLIGHT = 32;

async function withServer<T>(kind: 'broker' | 'echo', prof: string | undefined, drive: (endpoints: string, mark: () => Promise<void>) => Promise<T>): Promise<{ result: T; cpuMs: number; clientCpuMs: number }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child = fork(join(here, `profile-server${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`), [kind, ...(prof ? [join(prof, `${kind}.cpuprofile`)] : [])], { execArgv: process.execArgv });
  const next = (): Promise<Record<string, unknown>> => new Promise((resolve) => child.once('message', (m) => resolve(m as Record<string, unknown>)));
  try {
    const { endpoints } = (await next()) as { endpoints: string };
    let base = process.cpuUsage();
    const mark = async (): Promise<void> => {
      child.send('mark');
      await next();
      base = process.cpuUsage();
    };
    const result = await drive(endpoints, mark);
    const own = process.cpuUsage(base);
    child.send('cpu');
    const { cpuMs } = (await next()) as { cpuMs: number };
    return { result, cpuMs, clientCpuMs: (own.user + own.system) / 1000 };
  } finally {
    child.send('stop');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

async function driveBroker(endpoints: string, ms: number, mark: () => Promise<void>, producers: number): Promise<Rate> {
  const ps = Array.from({ length: producers }, () => new Producer({ endpoints, namespace: '', logger: quiet, topics: ['BenchTopic'] } as ConstructorParameters<typeof Producer>[0]));
  for (const p of ps) await p.startup();
  const body = Buffer.alloc(1024, 0x61);
  const op = (lane: number): Promise<void> => ps[lane % ps.length]!.send({ topic: 'BenchTopic', body }).then(() => undefined);
  try {
    await closedLoop(500, INFLIGHT, op);
    await mark();
    return await closedLoop(ms, INFLIGHT, op);
  } finally {
    for (const p of ps) await p.shutdown();
  }
}

async function driveEcho(endpoints: string, ms: number, mark: () => Promise<void>): Promise<Rate> {
  const id = (b: Buffer): Buffer => b;
  const def = { Echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } };
  const Ctor = grpc.makeGenericClientConstructor(def as unknown as grpc.ServiceDefinition, 'Echo');
  const client = new Ctor(endpoints, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Echo(b: Buffer, cb: (e: Error | null) => void): void };
  const payload = Buffer.alloc(1184, 0x62);
  const op = (): Promise<void> => new Promise((resolve, reject) => client.Echo(payload, (e) => (e ? reject(e) : resolve())));
  try {
    await closedLoop(500, INFLIGHT, op);
    await mark();
    return await closedLoop(ms, INFLIGHT, op);
  } finally {
    client.close();
  }
}

function summarise(file: string): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Array<{ id: number; callFrame: { url: string; functionName: string } }>; samples: number[]; timeDeltas: number[] };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const total = p.timeDeltas.reduce((a, b) => a + b, 0);
  const self = new Map<string, number>();
  const category = (url: string, fn: string): string => {
    if (!url) return fn.startsWith('(') ? fn : '(native)';
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) return m[1]!;
    const src = /\/(src|bench)\/(.*)$/.exec(url);
    if (src) return `${src[1]}/${src[2]!.split('/')[0]}${src[1] === 'src' && src[2]!.startsWith('broker/') ? `/${src[2]!.split('/')[1]}` : ''}`;
    return url.startsWith('node:') ? `node:${url.slice(5).split('/').slice(0, 2).join('/')}` : url;
  };
  const fns = new Map<string, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const k = category(n.callFrame.url, n.callFrame.functionName);
    self.set(k, (self.get(k) ?? 0) + (p.timeDeltas[i] ?? 0));
    const f = `${n.callFrame.functionName || '(anonymous)'} ${k}`;
    fns.set(f, (fns.get(f) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const top = (m: Map<string, number>, n: number): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return `${top(self, 20)}\n-- functions (self time):\n${top(fns, 25)}`;
}

const { values } = parseArgs({ options: { prof: { type: 'string' }, ms: { type: 'string', default: '3000' }, producers: { type: 'string', default: '4' } } });
const ms = Number(values.ms);
if (values.prof) mkdirSync(values.prof, { recursive: true });
for (const kind of ['broker', 'echo'] as const) {
  // the child counts CPU from the mark (after the warm-up) to the end of the measured phase
  const { result, cpuMs, clientCpuMs } = await withServer(kind, values.prof, (endpoints, mark) => (kind === 'broker' ? driveBroker(endpoints, ms, mark, Number(values.producers)) : driveEcho(endpoints, ms, mark)));
  console.log(`${kind}: ${result.perSec.toFixed(0)} calls/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms; server process CPU ${((cpuMs * 1000) / result.count).toFixed(0)} us per call, client process CPU ${((clientCpuMs * 1000) / result.count).toFixed(0)} us per call`);
}
if (values.prof) for (const kind of ['broker', 'echo']) console.log(`\n${kind} process, measured window, self time by package / file:\n${summarise(join(values.prof, `${kind}.cpuprofile`))}`);
