// A tiny runnable store node for the HA process tests, on openNode (src/node/open-node.ts):
//   node --import tsx test/helpers/ha-node-main.ts '{"store": {<config keys>}, "ha": {<HaOptions>}}'
// Opens the node (a SLAVE first checks its log against the master's and drops diverged bytes,
// slave-rejoin.ts; no admin server), prints one JSON line {"ready": true, "haPort", "role",
// "rejoin", ...} on stdout, then answers one JSON line per stdin command, in order:
//   put <count> <bodyBytes> [topic] [queueId] [inFlight]   statuses, offsets, timing
//   status [topic] [queueId]                               HA status, store positions, queue max offset
//   role <ASYNC_MASTER|SYNC_MASTER>                        change a master's role
//   promote [ASYNC_MASTER|SYNC_MASTER]                     slave -> master
//   commit <group> <topic> <queueId> <offset>              commit a consumer offset
//   query <group> <topic> <queueId>                        the committed consumer offset
//   close                                                  close cleanly and exit 0
// SIGTERM / SIGINT close cleanly too. Logs go to stderr. The parent side is ha-node-process.ts.
import { createInterface } from 'node:readline';
import type { StoreConfigInput } from '../../src/config/load-config.js';
import type { HaOptions } from '../../src/ha/ha-service.js';
import { openNode, type StoreNode } from '../../src/node/open-node.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { consoleLogger, type LogLevel } from '../../src/util/logger.js';

const MAX_PUT_COUNT = 10_000_000;
const MAX_IN_FLIGHT = 65_536;

interface NodeArgs {
  store: StoreConfigInput;
  ha?: HaOptions;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as NodeArgs;
  const level: LogLevel = args.store.logLevel ?? 'info';
  const logger = consoleLogger('node', level);
  const node = await openNode(args.store, { logger, ha: args.ha ?? {} });
  let closing: Promise<void> | null = null;
  const shutdown = (why: string): Promise<void> => {
    closing ??= (async () => {
      logger.info(`shutting down (${why})`);
      await node.close();
    })();
    return closing;
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      shutdown(signal).then(
        () => process.exit(0),
        (err: Error) => {
          logger.error(`shutdown failed: ${err.message}`);
          process.exit(1);
        },
      );
    });
  }
  const store = node.store;
  print({ ready: true, pid: process.pid, role: store.brokerRole, haPort: node.haPort(), maxPhyOffset: store.getMaxPhyOffset(), rejoin: node.rejoin });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const words = line.trim().split(/\s+/);
    if (words[0] === '') continue;
    if (words[0] === 'close') {
      await shutdown('close command');
      print({ cmd: 'close', ok: true });
      process.exit(0);
    }
    try {
      print(await command(node, words));
    } catch (err) {
      print({ cmd: words[0], error: (err as Error).message });
    }
  }
  await shutdown('stdin closed');
  process.exit(0);
}

async function command(node: StoreNode, words: string[]): Promise<Record<string, unknown>> {
  const store = node.store;
  const [cmd, a, b, c, d, e] = words;
  if (cmd === 'status') {
    const info = store.runtimeInfo();
    const queueMaxOffset = store.getMaxOffsetInQueue(a ?? 'HaTest', b === undefined ? 0 : boundedInt(b, 0, 65_535, 'queueId'));
    return { cmd, role: store.brokerRole, ha: node.replication!.status(), maxPhyOffset: info.maxPhyOffset, wroteOffset: info.wroteOffset, minPhyOffset: info.minPhyOffset, queueMaxOffset };
  }
  if (cmd === 'role' && (a === 'ASYNC_MASTER' || a === 'SYNC_MASTER')) {
    if (store.brokerRole === 'SLAVE') throw new Error('role: use promote on a SLAVE');
    store.changeRole(a);
    return { cmd, role: store.brokerRole };
  }
  if (cmd === 'promote') {
    const promoted = await node.promote(a === 'SYNC_MASTER' ? 'SYNC_MASTER' : 'ASYNC_MASTER');
    return { cmd, role: promoted.brokerRole, haPort: promoted.haPort, maxPhyOffset: store.getMaxPhyOffset() };
  }
  if (cmd === 'commit' && a && b) {
    store.commitOffset(a, b, boundedInt(c, 0, 65_535, 'queueId'), boundedInt(d, 0, Number.MAX_SAFE_INTEGER, 'offset'));
    return { cmd, ok: true };
  }
  if (cmd === 'query' && a && b) {
    return { cmd, offset: store.queryOffset(a, b, boundedInt(c, 0, 65_535, 'queueId')) };
  }
  if (cmd === 'put') {
    const count = boundedInt(a, 1, MAX_PUT_COUNT, 'count');
    const bodyBytes = boundedInt(b, 1, 4 * 1024 * 1024, 'bodyBytes');
    const inFlight = e === undefined ? 256 : boundedInt(e, 1, MAX_IN_FLIGHT, 'inFlight');
    return { cmd, ...(await putMany(store, count, bodyBytes, c ?? 'HaTest', d === undefined ? 0 : boundedInt(d, 0, 65_535, 'queueId'), inFlight)) };
  }
  throw new Error(`unknown command: ${words.join(' ')}`);
}

/** `count` puts with at most `inFlight` outstanding; statuses counted, latency measured. */
async function putMany(store: MessageStore, count: number, bodyBytes: number, topic: string, queueId: number, inFlight: number): Promise<Record<string, unknown>> {
  const statuses: Record<string, number> = {};
  let endOffset = 0;
  let firstQueueOffset = -1;
  let maxLatencyMs = 0;
  let next = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const body = Buffer.alloc(bodyBytes, 0x61 + (i % 26));
      body.write(`m${i}-`);
      const t0 = performance.now();
      const r = await store.putMessage({ topic, queueId, body });
      maxLatencyMs = Math.max(maxLatencyMs, performance.now() - t0);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.physicalOffset >= 0) endOffset = Math.max(endOffset, r.physicalOffset + r.wroteBytes);
      if (i === 0) firstQueueOffset = r.queueOffset;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  const ms = performance.now() - started;
  return { count, statuses, endOffset, firstQueueOffset, ms, maxLatencyMs, maxPhyOffset: store.getMaxPhyOffset() };
}

function boundedInt(text: string | undefined, min: number, max: number, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be an integer in [${min}, ${max}], got ${text}`);
  return n;
}

function print(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`ha-node-main failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
