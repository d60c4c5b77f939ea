// Child process of ha-sendfile-rss.test.ts (run with --expose-gc --import tsx): a sendfile-mode
// master (native backend) and a loop of raw HA connections, each opened, read up to its first
// data frame (so a sender and its worker really ran), and closed. Prints one JSON line:
//   {"connections": n, "baselineRss": bytes, "finalRss": bytes, "ms": elapsed, "threads": k,
//    "threadsBooted": threads started during the measured connections}
// RSS is read after a GC, the baseline after WARMUP connections (RSS climbs ~40-50 MB to a plateau over the first ~1000 connections in both transfer modes: allocator and V8 space growth, not per-connection); the loop stops at `count`
// connections or after `budgetMs` (whichever comes first).
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeReport } from '../../src/ha/ha-protocol.js';
import { liveSendfileWorkers } from '../../src/ha/ha-sendfile-sender.js';
import { sendfileThreads, sendfileThreadsBooted } from '../../src/ha/ha-sendfile-spare.js';
import { openNode } from '../../src/node/open-node.js';
import { memoryLogger } from '../../src/util/logger.js';

const WARMUP = 1000;
const [count, budgetMs, mode] = [Number(process.argv[2] ?? 3000), Number(process.argv[3] ?? 120_000), process.argv[4] ?? 'sendfile'];
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const dir = mkdtempSync(join(tmpdir(), 'mqstore-sendfile-rss-'));
const node = await openNode(
  { storePathRootDir: dir, brokerRole: 'ASYNC_MASTER', ioBackend: 'native', haTransferMode: mode as 'sendfile' | 'socket', mappedFileSizeCommitLog: 1 << 20, maxMessageSize: 4096, logLevel: 'error' },
  { logger: memoryLogger(100), ha: { listenPort: 0 } },
);
for (let i = 0; i < 20; i++) await node.store.putMessage({ topic: 'Rss', queueId: 0, body: 'r'.repeat(200) });
const port = node.haPort()!;

/** One connection: epoch frame, report 0, the first data bytes, close. */
async function once(): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    const timer = setTimeout(() => reject(new Error('no data within 30 s')), 30_000);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (got === 0) socket.write(encodeReport(0));
      got += chunk.byteLength;
      if (got > 200) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  socket.destroy();
  await new Promise((resolve) => socket.once('close', resolve));
}

async function settledRss(): Promise<number> {
  for (let k = 0; k < 250 && liveSendfileWorkers() > 0; k++) await new Promise((r) => setTimeout(r, 20));
  gc!();
  await new Promise((r) => setTimeout(r, 50));
  gc!();
  return process.memoryUsage().rss;
}

// RSS readings jump by tens of MB between GCs: the baseline is the highest of three readings at
// the end of the warm-up, the final value the lowest of three at the end (a leak of L bytes per
// connection still shows as ~(count - 2 * SAMPLE_EVERY) * L)
const SAMPLE_EVERY = 100;
const baselineSamples: number[] = [];
for (let i = 1; i <= WARMUP; i++) {
  await once();
  if (i > WARMUP - 3 * SAMPLE_EVERY && i % SAMPLE_EVERY === 0) baselineSamples.push(await settledRss());
}
const baselineRss = Math.max(...baselineSamples);
const finalSamples: number[] = [];
const bootedBefore = sendfileThreadsBooted();
const t0 = performance.now();
let connections = 0;
while (connections < count && performance.now() - t0 < budgetMs) {
  await once();
  connections++;
  if (connections > count - 3 * SAMPLE_EVERY && connections % SAMPLE_EVERY === 0) finalSamples.push(await settledRss());
  if (process.env.RSS_TRACE && connections % 500 === 0) {
    gc!();
    process.stderr.write(`${connections} ${(process.memoryUsage().rss / 1e6).toFixed(1)} MB heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(1)} MB\n`);
  }
}
const ms = Math.round(performance.now() - t0);
const finalRss = Math.min(...finalSamples, await settledRss());
const threads = sendfileThreads();
const threadsBooted = sendfileThreadsBooted() - bootedBefore;
await node.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ connections, baselineRss, finalRss, ms, threads, threadsBooted })}\n`);
