// The apache.rocketmq.v2 schema, loaded at run time from the .proto files that the official
// client package (rocketmq-client-nodejs, a pinned dependency) publishes: the broker and the
// client it serves agree on the schema by construction, and the repository holds no copy of it.
// Loaded once per process (the files are static). Messages are plain objects with camelCase
// field names, int64 as JS numbers, enums as numbers, oneofs named by a virtual field
// (`content`, `command`, `pubSub`, ...); well-known types (Duration, Timestamp) are {seconds, nanos}.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_PACKAGE = 'rocketmq-client-nodejs';
const SERVICE_PROTO = 'apache/rocketmq/v2/service.proto';
const CODE_ENUM = 'apache.rocketmq.v2.Code';

export interface RocketmqSchema {
  /** The MessagingService definition for grpc.Server.addService. */
  readonly service: grpc.ServiceDefinition;
  /** Where the .proto files were read from. */
  readonly protoDir: string;
  /** Every value of the v2 Code enum, by name. */
  readonly codes: ReadonlyMap<string, number>;
}

let cached: RocketmqSchema | null = null;

export function rocketmqSchema(): RocketmqSchema {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const protoDir = join(dirname(require.resolve(`${PROTO_PACKAGE}/package.json`)), 'proto');
  const definition = protoLoader.loadSync(SERVICE_PROTO, {
    includeDirs: [protoDir],
    keepCase: false,
    longs: Number,
    enums: Number,
    defaults: false,
    oneofs: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { apache: { rocketmq: { v2: { MessagingService: { service: grpc.ServiceDefinition } } } } };
  const codeEnum = definition[CODE_ENUM] as unknown as { type: { value: { name: string; number: number }[] } };
  const codes = new Map(codeEnum.type.value.map((v) => [v.name, v.number] as const));
  cached = { service: loaded.apache.rocketmq.v2.MessagingService.service, protoDir, codes };
  return cached;
}
