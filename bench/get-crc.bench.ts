// getMessage throughput with and without checkCRCOnRead (the body CRC check on every message
// read), to decide its default. Fills one store, then reads every message back in batches of 32
// with the key off and on, alternating store reopenings, and reports the median of each and
// the ratio. Then, as a load-robust bound, the in-memory record decode (readRecord, what
// getMessage adds per message on top of the pread) with and without the CRC: the fastest of
// interleaved rounds. Run: `npx tsx bench/get-crc.bench.ts [messages] [bodyBytes...]`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRecord } from '../src/codec/read-record.js';
import { MessageStore } from '../src/store/message-store.js';
import { memoryLogger } from '../src/util/logger.js';

const ROUNDS = 5;

async function fill(root: string, count: number, bodyBytes: number): Promise<void> {
  const store = await MessageStore.open({ storePathRootDir: root, mappedFileSizeCommitLog: 64 << 20, logLevel: 'error' }, { logger: memoryLogger(100) });
  const body = new Uint8Array(bodyBytes).map((_, i) => (i * 31) & 0xff);
  for (let i = 0; i < count; i++) await store.putMessage({ topic: 'Bench', queueId: i % 4, body });
  await store.close();
}

/** Messages per second reading every message of the store once. */
async function readAll(root: string, checkCRCOnRead: boolean): Promise<number> {
  const store = await MessageStore.open(
    { storePathRootDir: root, mappedFileSizeCommitLog: 64 << 20, logLevel: 'error', checkCRCOnRead },
    { logger: memoryLogger(100) },
  );
  try {
    let read = 0;
    const started = performance.now();
    for (let q = 0; q < 4; q++) {
      const max = store.getMaxOffsetInQueue('Bench', q);
      for (let offset = 0; offset < max; ) {
        const r = await store.getMessage({ group: 'G', topic: 'Bench', queueId: q, offset, maxMsgNums: 32 });
        if (r.status !== 'FOUND') throw new Error(`read ${q}@${offset}: ${r.status}`);
        read += r.messages.length;
        offset = r.nextBeginOffset;
      }
    }
    return read / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** One real record of `bodyBytes`: the first record of a fresh store's first segment. */
async function oneRecord(bodyBytes: number): Promise<Uint8Array> {
  const root = mkdtempSync(join(tmpdir(), 'mqstore-getcrc-'));
  try {
    const store = await MessageStore.open({ storePathRootDir: root, mappedFileSizeCommitLog: 64 << 20, logLevel: 'error' }, { logger: memoryLogger(100) });
    const r = await store.putMessage({ topic: 'Bench', queueId: 0, body: new Uint8Array(bodyBytes).fill(7) });
    await store.close();
    const segment = readFileSync(join(root, 'commitlog', '00000000000000000000'));
    return new Uint8Array(segment.subarray(r.physicalOffset, r.physicalOffset + r.wroteBytes));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Nanoseconds per readRecord of `record`, fastest of interleaved rounds. */
function decodeCost(record: Uint8Array): { offNs: number; onNs: number } {
  const n = 20_000;
  let off = Infinity;
  let on = Infinity;
  for (let round = 0; round < 15; round++) {
    for (const checkCrc of [false, true]) {
      const t = performance.now();
      for (let i = 0; i < n; i++) if (readRecord(record, 0, { checkCrc, readBody: true }).kind !== 'message') throw new Error('bad record');
      const ns = ((performance.now() - t) * 1e6) / n;
      if (checkCrc) on = Math.min(on, ns);
      else off = Math.min(off, ns);
    }
  }
  return { offNs: off, onNs: on };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 40_000);
  const sizes = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [256, 1024, 4096];
  console.log('| body bytes | messages | off msg/s | on msg/s | on/off |');
  console.log('|---|---|---|---|---|');
  for (const bodyBytes of sizes) {
    const root = mkdtempSync(join(tmpdir(), 'mqstore-getcrc-'));
    try {
      await fill(root, count, bodyBytes);
      const off: number[] = [];
      const on: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        off.push(await readAll(root, false));
        on.push(await readAll(root, true));
      }
      const a = median(off);
      const b = median(on);
      console.log(`| ${bodyBytes} | ${count} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(3)} |`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  console.log('\n| body bytes | decode ns (no CRC) | decode ns (CRC) | CRC adds ns |');
  console.log('|---|---|---|---|');
  for (const bodyBytes of sizes) {
    const { offNs, onNs } = decodeCost(await oneRecord(bodyBytes));
    console.log(`| ${bodyBytes} | ${offNs.toFixed(0)} | ${onNs.toFixed(0)} | ${(onNs - offNs).toFixed(0)} |`);
  }
}

await main();
