// The broker's own share of a send, stage by stage, without the network: decode a
// SendMessageRequest as the official client encodes it (protobufjs through proto-loader, the
// server's deserializer), convert and check it (toPutInput), the store's put (ASYNC_FLUSH, 32
// in flight), the whole SendHandler.send (topic lookup, checks, conversion, put, status), and
// encode the response. `npx tsx bench/broker/send-stages.ts [--n N]`; also part of the broker
// suite's report (sendStagesTable). Numbers are per message, in microseconds: the mean of N
// calls, the fastest of ROUNDS runs after a warm-up (the machine may be shared).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { toPutInput, type ProtoMessage } from '../../src/broker/message-convert.js';
import { brokerContext } from '../../src/broker/broker.js';
import { rocketmqSchema } from '../../src/broker/proto-schema.js';
import { SendHandler } from '../../src/broker/send-handler.js';
import { TopicRegistry } from '../../src/broker/topic-registry.js';
import { MessageStore } from '../../src/store/message-store.js';
import { systemClock } from '../../src/util/clock.js';
import { consoleLogger } from '../../src/util/logger.js';
import { realScheduler } from '../../src/util/scheduler.js';

const IN_FLIGHT = 32;
const ROUNDS = 3;

export interface StageRow {
  stage: string;
  usPerMessage: number;
}

/** A request shaped like the Node client's SendMessage for a 1 KiB NORMAL message. */
function clientLikeRequest(i: number, bodyBytes: number): Record<string, unknown> {
  const now = Date.now();
  return {
    messages: [
      {
        topic: { name: 'BenchTopic', resourceNamespace: '' },
        userProperties: {},
        systemProperties: {
          keys: [],
          messageId: `01A0B1C2D3E4F5${String(i).padStart(12, '0')}`,
          bodyDigest: { type: 3, checksum: 'E2C3C0A2' },
          bodyEncoding: 1,
          messageType: 1,
          bornTimestamp: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
          bornHost: 'bench-host',
          queueId: 0,
        },
        body: Buffer.alloc(bodyBytes, 0x61),
      },
    ],
  };
}

async function timeEach(n: number, one: (i: number) => unknown): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < n; i++) await one(i);
  return ((performance.now() - t) * 1000) / n;
}

async function timeInFlight(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) await one(next++);
    }),
  );
  return ((performance.now() - t) * 1000) / n;
}

export async function sendStages(n: number, bodyBytes = 1024): Promise<StageRow[]> {
  const method = rocketmqSchema().service.SendMessage as grpc.MethodDefinition<unknown, unknown>;
  const bytes = Array.from({ length: 64 }, (_, i) => method.requestSerialize(clientLikeRequest(i, bodyBytes)));
  const decoded = bytes.map((b) => method.requestDeserialize(b) as { messages: ProtoMessage[] });
  const dir = mkdtempSync(join(tmpdir(), 'mqstore-send-stages-'));
  const store = await MessageStore.open({ storePathRootDir: dir, listenPort: 0, flushDiskType: 'ASYNC_FLUSH', mappedFileSizeCommitLog: 256 << 20, logLevel: 'warn' });
  try {
    const logger = consoleLogger('bench', 'warn');
    const { ctx } = await brokerContext(store, systemClock, realScheduler, logger);
    const handler = new SendHandler(ctx);
    const put = toPutInput(decoded[0]!.messages[0]!, 0, store.config.maxMessageSize);
    const response = await handler.send(decoded[0]!);
    const rows: StageRow[] = [];
    // each stage: a warm-up run, then ROUNDS runs; the fastest is kept (the machine may be shared)
    const best = async (run: () => Promise<number>): Promise<number> => {
      await run();
      let min = Infinity;
      for (let r = 0; r < ROUNDS; r++) min = Math.min(min, await run());
      return min;
    };
    rows.push({ stage: 'decode SendMessageRequest (protobufjs + toObject)', usPerMessage: await best(() => timeEach(n, (i) => method.requestDeserialize(bytes[i % 64]!))) });
    rows.push({ stage: 'toPutInput (checks + conversion)', usPerMessage: await best(() => timeEach(n, (i) => toPutInput(decoded[i % 64]!.messages[0]!, 0, store.config.maxMessageSize))) });
    rows.push({ stage: 'store.putMessage, ASYNC_FLUSH, 32 in flight', usPerMessage: await best(() => timeInFlight(n, () => store.putMessage(put))) });
    rows.push({ stage: 'SendHandler.send (all of the above but decode)', usPerMessage: await best(() => timeInFlight(n, (i) => handler.send(decoded[i % 64]!))) });
    rows.push({ stage: 'encode SendMessageResponse', usPerMessage: await best(() => timeEach(n, () => method.responseSerialize(response))) });
    ctx.waiters.close();
    return rows;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sendStagesTable(rows: StageRow[]): string {
  return ['| broker send stage (no network) | us per message |', '|---|---:|', ...rows.map((r) => `| ${r.stage} | ${r.usPerMessage.toFixed(1)} |`)].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
  console.log(sendStagesTable(await sendStages(Number(values.n))));
}
