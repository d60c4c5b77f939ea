// A bare grpc-js client of the MessagingService (the schema the broker serves), for tests that
// send what the official client would refuse to, or that must see every failure as a callback
// (the official client leaves some stream errors unhandled when a connection drops: reference
// §1.4). call: one unary RPC; stream: a server-streaming RPC's responses, with a deadline.
import * as grpc from '@grpc/grpc-js';
import { rocketmqSchema } from '../../src/broker/proto-schema.js';

export type Rpc = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: any) => void) => void;
export type RawClient = grpc.Client & Record<string, Rpc>;

export function rawClient(endpoints: string): RawClient {
  const Ctor = grpc.makeGenericClientConstructor(rocketmqSchema().service, 'MessagingService');
  return new Ctor(endpoints, grpc.credentials.createInsecure()) as RawClient;
}

export function meta(clientId = 'test@1@1@x'): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('x-mq-protocol', 'v2');
  if (clientId) md.set('x-mq-client-id', clientId);
  return md;
}

export function call(client: Record<string, Rpc>, method: string, req: unknown, md = meta()): Promise<any> {
  return new Promise((resolve, reject) => {
    client[method]!.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** A server-streaming call's responses (ReceiveMessage), with a deadline. */
export function stream(client: grpc.Client, method: string, req: unknown, timeoutMs = 10_000): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const out: any[] = [];
    const s = (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions) => grpc.ClientReadableStream<any>>)[method]!.call(client, req, meta(), { deadline: Date.now() + timeoutMs });
    s.on('data', (d: any) => out.push(d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}
