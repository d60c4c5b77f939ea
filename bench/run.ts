// Benchmark runner: `npm run bench -- [--suite crc|append|fdatasync|store|ha|broker|failover|all] [--smoke] [--dir D]`.
// Prints markdown tables (ratios to a baseline measured in the same run) and, with --json,
// writes them to a file. --smoke runs a tiny size so CI keeps the suites from rotting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendSuite } from './append.bench.js';
import { batchSuite } from './batch.bench.js';
import { brokerSuite } from './broker.bench.js';
import { crcSuite } from './crc.bench.js';
import { failoverSuite } from './dledger-failover.bench.js';
import { fdatasyncSuite } from './fdatasync.bench.js';
import { haTransferSuite } from './ha-transfer.bench.js';
import { DEFAULT_TIMING, SMOKE_TIMING } from './lib/harness.js';
import { putStagesSuite } from './put-stages.bench.js';
import { readSuite } from './read.bench.js';
import { recoverySuite } from './recovery.bench.js';
import { replicationSecuritySuite } from './repl-security.bench.js';
import { rssSuite } from './rss.bench.js';
import { formatStoreTable, storeCases, storeSuite } from './store.bench.js';

const HELP = `usage: npm run bench -- [options]
  --suite <name>   crc | append | fdatasync | stages | batch | read | recovery | store | ha | security | rss | broker | failover | all (default all; rss, broker and failover only when named)
  --gib <n>        rss: GiB to write (default 4)
  --ha-mb <n>      ha: MB the catching-up slave starts behind (default 512)
  --rounds <n>     ha: runs per sender, alternating (default 2); read: rounds (at least 3); failover: leader kills (default 20)
  --broker-ms <n>  broker: ms per phase (send, then receive) of each case (default 3000)
  --flush <mode>   failover: ASYNC_FLUSH (default) or SYNC_FLUSH
  --smoke          tiny sizes and times (CI)
  --dir <dir>      directory for bench files (default: a new temp dir, removed after)
  --out <file>     also write the tables to this markdown file
  --help           this text`;

const SUITES = ['crc', 'append', 'fdatasync', 'stages', 'batch', 'read', 'recovery', 'store', 'ha', 'security', 'rss', 'broker', 'failover', 'all'] as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      suite: { type: 'string', default: 'all' },
      smoke: { type: 'boolean', default: false },
      dir: { type: 'string' },
      out: { type: 'string' },
      gib: { type: 'string', default: '4' },
      'ha-mb': { type: 'string', default: '512' },
      rounds: { type: 'string' },
      'broker-ms': { type: 'string', default: '3000' },
      flush: { type: 'string', default: 'ASYNC_FLUSH' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void console.log(HELP);
  const suite = values.suite as (typeof SUITES)[number];
  if (!SUITES.includes(suite)) throw new Error(`--suite must be one of ${SUITES.join(', ')}, got '${values.suite}'`);
  const timing = values.smoke ? SMOKE_TIMING : DEFAULT_TIMING;
  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'mqstore-bench-'));
  const sections: string[] = [];
  try {
    if (suite === 'crc' || suite === 'all') sections.push(await crcSuite(timing));
    if (suite === 'append' || suite === 'all') sections.push(await appendSuite(timing, dir, values.smoke ? 4 << 20 : 256 << 20));
    if (suite === 'fdatasync' || suite === 'all') sections.push(await fdatasyncSuite(timing, dir));
    if (suite === 'stages' || suite === 'all') sections.push(await putStagesSuite(timing));
    if (suite === 'batch' || suite === 'all') {
      sections.push(
        await batchSuite({
          dir,
          timeMs: values.smoke ? 200 : 1500,
          rounds: values.smoke ? 1 : 3,
          segmentBytes: values.smoke ? 16 << 20 : 256 << 20,
          onProgress: (line) => console.error(`bench: ${line}`),
        }),
      );
    }
    if (suite === 'read' || suite === 'all') {
      const rounds = Number(values.rounds ?? 2);
      if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new Error(`--rounds must be an integer in 1..20, got '${values.rounds}'`);
      sections.push(
        await readSuite({
          dir,
          putMs: values.smoke ? 200 : 1500,
          rounds: values.smoke ? 1 : Math.max(3, rounds),
          oneQueueMessages: values.smoke ? 2000 : 100_000,
          segmentBytes: values.smoke ? 8 << 20 : 256 << 20,
          onProgress: (line) => console.error(`bench: ${line}`),
        }),
      );
    }
    if (suite === 'recovery' || suite === 'all') {
      sections.push(
        await recoverySuite({
          dir,
          segmentBytes: values.smoke ? 8 << 20 : 64 << 20,
          segments: 4,
          rounds: values.smoke ? 1 : 5,
          onProgress: (line) => console.error(`bench: ${line}`),
        }),
      );
    }
    if (suite === 'store' || suite === 'all') {
      const result = await storeSuite({
        dir,
        timeMs: values.smoke ? 200 : 2000,
        segmentBytes: values.smoke ? 16 << 20 : 256 << 20,
        cases: storeCases(values.smoke),
        onProgress: (line) => console.error(`bench: ${line}`),
      });
      sections.push(formatStoreTable(result));
    }
    if (suite === 'ha' || suite === 'all') {
      const mb = Number(values['ha-mb']);
      const rounds = Number(values.rounds ?? 2);
      if (!(mb > 0 && mb <= 100_000)) throw new Error(`--ha-mb must be in (0, 100000], got '${values['ha-mb']}'`);
      if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) throw new Error(`--rounds must be an integer in 1..20, got '${values.rounds}'`);
      sections.push(
        await haTransferSuite({
          dir,
          catchUpBytes: values.smoke ? 16e6 : mb * 1e6,
          segmentBytes: values.smoke ? 8 << 20 : 256 << 20,
          rounds: values.smoke ? 1 : rounds,
          putMs: values.smoke ? 300 : 3000,
          onProgress: (line) => console.error(`bench: ${line}`),
        }),
      );
    }
    if (suite === 'security' || suite === 'all') {
      sections.push(
        await replicationSecuritySuite({
          dir,
          connections: values.smoke ? 20 : 500,
          catchUpBytes: values.smoke ? 8e6 : Number(values['ha-mb']) * 1e6,
          segmentBytes: values.smoke ? 8 << 20 : 256 << 20,
          onProgress: (line) => console.error(`bench: ${line}`),
        }),
      );
    }
    if (suite === 'broker') {
      const brokerMs = Number(values['broker-ms']);
      if (!(Number.isInteger(brokerMs) && brokerMs >= 100 && brokerMs <= 600_000)) throw new Error(`--broker-ms must be an integer in 100..600000, got '${values['broker-ms']}'`);
      sections.push(await brokerSuite({ dir, timeMs: values.smoke ? 300 : brokerMs, inflight: 32, bodyBytes: 1024, onProgress: (line) => console.error(`bench: ${line}`) }));
    }
    if (suite === 'failover') {
      const flush = values.flush;
      if (flush !== 'ASYNC_FLUSH' && flush !== 'SYNC_FLUSH') throw new Error(`--flush must be ASYNC_FLUSH or SYNC_FLUSH, got '${flush}'`);
      const rounds = values.smoke ? 2 : Number(values.rounds ?? 20);
      sections.push(await failoverSuite({ dir, rounds, flushDiskType: flush, onProgress: (line) => console.error(`bench: ${line}`) }));
    }
    if (suite === 'rss') {
      const totalBytes = Number(values.gib) * 2 ** 30;
      if (!(totalBytes > 0)) throw new Error(`--gib must be a positive number, got '${values.gib}'`);
      for (const transientStorePoolEnable of [false, true]) {
        sections.push(await rssSuite({ dir, totalBytes, segmentBytes: 256 << 20, transientStorePoolEnable }));
      }
    }
  } finally {
    if (!values.dir) rmSync(dir, { recursive: true, force: true });
  }
  const text = sections.join('\n\n');
  console.log(text);
  if (values.out) writeFileSync(values.out, text + '\n');
}

await main();
