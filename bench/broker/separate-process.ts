// The deployment shape: the broker (ASYNC_FLUSH) in its own process, and the bare echo server in
// its own process (both profile-server.ts children), driven from this process by the official
// client (Producers) and a grpc-js client, with the same sends in flight. Client and server then
// run on different cores, as they would for a real `mqstore node`. Send only (the in-process
// cases check delivery); `rounds` alternating echo / send phases, the median ratio reported.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Producer } from 'rocketmq-client-nodejs';
import { closedLoop, mergeRates, type Rate } from '../lib/closed-loop.js';

const quiet = { info() {}, warn() {}, debug() {}, close() {}, error() {} };

interface Child {
  endpoints: string;
  stop(): Promise<void>;
}

async function startChild(kind: 'broker' | 'echo'): Promise<Child> {
  const here = dirname(fileURLToPath(import.meta.url));
  const child: ChildProcess = fork(join(here, `profile-server${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`), [kind], { execArgv: process.execArgv });
  const first = await new Promise<{ endpoints: string }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { endpoints: string }));
    child.once('exit', (code) => reject(new Error(`the ${kind} process exited with ${code} before it was ready`)));
  });
  return {
    endpoints: first.endpoints,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await exited;
    },
  };
}

export interface SeparateProcessResult {
  echo: Rate;
  send: Rate;
  roundRatios: number[];
}

export async function separateProcessCase(timeMs: number, inflight: number, producers: number, bodyBytes: number, rounds: number): Promise<SeparateProcessResult> {
  const echoServer = await startChild('echo');
  const broker = await startChild('broker').catch(async (err: unknown) => {
    await echoServer.stop();
    throw err;
  });
  const id = (b: Buffer): Buffer => b;
  const def = { Echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } };
  const Ctor = grpc.makeGenericClientConstructor(def as unknown as grpc.ServiceDefinition, 'Echo');
  const client = new Ctor(echoServer.endpoints, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Echo(b: Buffer, cb: (e: Error | null) => void): void };
  const ps = Array.from({ length: producers }, () => new Producer({ endpoints: broker.endpoints, namespace: '', logger: quiet, topics: ['BenchTopic'], requestTimeout: 10_000 } as ConstructorParameters<typeof Producer>[0]));
  try {
    for (const p of ps) await p.startup();
    const payload = Buffer.alloc(bodyBytes + 160, 0x62);
    const body = Buffer.alloc(bodyBytes, 0x61);
    const echo = (): Promise<void> => new Promise((resolve, reject) => client.Echo(payload, (e) => (e ? reject(e) : resolve())));
    const send = (lane: number): Promise<void> => ps[lane % ps.length]!.send({ topic: 'BenchTopic', body }).then(() => undefined);
    await closedLoop(300, inflight, echo);
    await closedLoop(300, inflight, send);
    const echoes = [];
    const sends = [];
    const roundRatios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const e = await closedLoop(timeMs / rounds, inflight, echo);
      const s = await closedLoop(timeMs / rounds, inflight, send);
      echoes.push(e);
      sends.push(s);
      roundRatios.push(s.perSec / e.perSec);
    }
    return { echo: mergeRates(echoes), send: mergeRates(sends), roundRatios };
  } finally {
    for (const p of ps) await p.shutdown();
    client.close();
    await broker.stop();
    await echoServer.stop();
  }
}
