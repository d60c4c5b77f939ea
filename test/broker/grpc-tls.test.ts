// The gRPC MessagingService over TLS (grpcTlsCertFile / grpcTlsKeyFile, issue 13): a client that
// trusts the broker's CA gets answers; a plaintext client and a client trusting another CA get
// none; a key that is not the certificate's is a ConfigError naming grpcTlsKeyFile, and a
// certificate without its key is refused at config load. Certificates are made by openssl at
// test time (skips with the reason when openssl is missing).
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { rocketmqSchema } from '../../src/broker/proto-schema.js';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { makeServerCert, opensslMissing } from '../helpers/test-certs.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { openBroker, type InProcessBroker } from './broker-harness.js';

const newDir = tempDirs('mqstore-grpc-tls-');
const missing = opensslMissing();
if (missing) console.warn(`skipping the gRPC TLS tests: ${missing}`);
const brokers: InProcessBroker[] = [];
const clients: grpc.Client[] = [];
afterAll(async () => {
  for (const c of clients) c.close();
  for (const b of brokers) await b.close();
});

function queryRoute(endpoints: string, credentials: grpc.ChannelCredentials): Promise<unknown> {
  const Ctor = grpc.makeGenericClientConstructor(rocketmqSchema().service, 'MessagingService');
  const client = new Ctor(endpoints, credentials);
  clients.push(client);
  const md = new grpc.Metadata();
  md.set('x-mq-protocol', 'v2');
  md.set('x-mq-client-id', 'tls-test@1@1@x');
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void>).QueryRoute!.call(
      client,
      { topic: { name: 'TlsTopic' }, endpoints: { scheme: 1, addresses: [{ host: '127.0.0.1', port: 0 }] } },
      md,
      { deadline: Date.now() + 10_000 },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

describe.skipIf(missing !== null)('gRPC MessagingService over TLS', () => {
  it('answers a client that trusts its CA; a plaintext client and one trusting another CA get nothing', async () => {
    const dir = newDir();
    const cert = makeServerCert(dir, 'grpc');
    const other = makeServerCert(dir, 'other');
    const b = await openBroker(dir, { grpcTlsCertFile: cert.cert, grpcTlsKeyFile: cert.key });
    brokers.push(b);
    const route = (await queryRoute(b.endpoints, grpc.credentials.createSsl(readFileSync(cert.ca)))) as { messageQueues: unknown[] };
    expect(route.messageQueues.length).toBeGreaterThan(0);
    await expect(queryRoute(b.endpoints, grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await expect(queryRoute(b.endpoints, grpc.credentials.createSsl(readFileSync(other.ca)))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('refuses a key that is not the certificate\'s, and a certificate without a key', async () => {
    const dir = newDir();
    const a = makeServerCert(dir, 'a');
    const b = makeServerCert(dir, 'b');
    await expect(openBroker(dir, { grpcTlsCertFile: a.cert, grpcTlsKeyFile: b.key })).rejects.toMatchObject({ key: 'grpcTlsKeyFile' });
    expect(() => loadStoreConfig({ storePathRootDir: dir, grpcTlsCertFile: a.cert }, { warn: () => {} })).toThrow(/grpcTlsKeyFile/);
  });
});
