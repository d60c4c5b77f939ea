// getMessage throughput with and without checkCRCOnRead (the body CRC check on every message
// read), to decide its default. Fills one store, then reads every message back in batches of 32
// with the key off and on, alternating store reopenings, and reports the median of each and
// the ratio. Run: `npx tsx bench/get-crc.bench.ts [messages] [bodyBytes...]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
}

await main();
