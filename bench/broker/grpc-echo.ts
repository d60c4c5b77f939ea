// The protocol's ceiling on this machine: a bare grpc-js unary echo of a payload the size of a
// SendMessage request, with the same calls in flight, over loopback. With `clientShape` each
// call also carries what the official client puts on every RPC (its seven x-mq-* headers, a
// fresh request id and date, and a deadline): the ceiling for calls shaped like the client's.
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { closedLoop } from '../lib/closed-loop.js';

const CLIENT_DEADLINE_MS = 3000;

/** The metadata rocketmq-client-nodejs sets on each call (BaseClient#getRequestMetadata). */
function clientMetadata(): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set('x-mq-protocol', 'v2');
  m.set('x-mq-client-id', 'bench-host@1234@0@abcdef0123');
  m.set('x-mq-date-time', new Date().toISOString().replace(/[-:]/g, '').slice(0, 15) + 'Z');
  m.set('x-mq-request-id', randomUUID());
  m.set('x-mq-language', 'HTTP');
  m.set('x-mq-client-version', '1.0.8');
  m.set('x-mq-namespace', '');
  return m;
}

export async function echoRate(timeMs: number, inflight: number, payload: Buffer, clientShape = false): Promise<Awaited<ReturnType<typeof closedLoop>>> {
  const id = (b: Buffer): Buffer => b;
  const def = { Echo: { path: '/bench.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } };
  const server = new grpc.Server();
  server.addService(def as unknown as grpc.ServiceDefinition, { Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const Ctor = grpc.makeGenericClientConstructor(def as unknown as grpc.ServiceDefinition, 'Echo');
  type EchoClient = grpc.Client & {
    Echo(b: Buffer, cb: (e: Error | null) => void): void;
    Echo(b: Buffer, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: Error | null) => void): void;
  };
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as EchoClient;
  try {
    const done = (resolve: () => void, reject: (e: Error) => void) => (e: Error | null) => (e ? reject(e) : resolve());
    const call = (): Promise<void> =>
      new Promise((resolve, reject) => (clientShape ? client.Echo(payload, clientMetadata(), { deadline: Date.now() + CLIENT_DEADLINE_MS }, done(resolve, reject)) : client.Echo(payload, done(resolve, reject))));
    await closedLoop(Math.min(300, timeMs), inflight, call); // warm-up
    return await closedLoop(timeMs, inflight, call);
  } finally {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }
}
