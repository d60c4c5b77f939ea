// relateLogs (src/cli/verify/log-relation.ts), the core of `mqstore verify`, over a group of N
// logs as a DLedger group check will use it: every member is related to logs[0] in one call
// (identical, prefix = behind, ahead, different at the first differing byte), in process.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readLogExtent } from '../../src/cli/verify/commit-log-dir.js';
import { relateLogs } from '../../src/cli/verify/log-relation.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { bodyOf, putOk, SMALL_SEGMENT_BYTES, smallConfig, waitCommitted, withStore } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-verify-group-');
const OPTIONS = { chunkBytes: 8192, threads: 2 };

async function writeStore(puts: number): Promise<{ dir: string; end: number }> {
  const dir = newDir();
  const clock = new ManualClock(1_700_000_000_000);
  let end = 0;
  await withStore(
    smallConfig(dir, 'node'),
    async (store) => {
      for (let i = 0; i < puts; i++) {
        await putOk(store, { topic: 'G', queueId: i % 2, body: bodyOf(i, 400 + ((i * 131) % 900)) });
        clock.advance(1);
      }
      await waitCommitted(store, { flushed: true });
      end = store.getMaxPhyOffset();
    },
    { clock, logger: memoryLogger() },
  );
  return { dir, end };
}

describe('relateLogs over a group', () => {
  let short: { dir: string; end: number };
  let long: { dir: string; end: number };

  beforeAll(async () => {
    short = await writeStore(60);
    long = await writeStore(100);
  }, 60_000);

  it('relates each member to the reference in one call', async () => {
    const copy = newDir();
    cpSync(long.dir, copy, { recursive: true });
    const flipped = newDir();
    cpSync(long.dir, flipped, { recursive: true });
    const at = short.end + 123;
    const name = String(Math.floor(at / SMALL_SEGMENT_BYTES) * SMALL_SEGMENT_BYTES).padStart(20, '0');
    const path = join(flipped, 'commitlog', name);
    const bytes = readFileSync(path);
    bytes[at - Number(name)] = bytes[at - Number(name)]! ^ 0x01;
    writeFileSync(path, bytes);

    const verdicts = await relateLogs([readLogExtent(long.dir), readLogExtent(copy), readLogExtent(short.dir), readLogExtent(flipped)], OPTIONS);
    expect(verdicts.map((v) => v.relation)).toEqual(['identical', 'prefix', 'different']);
    expect(verdicts[0]).toMatchObject({ identicalUpTo: long.end, referenceEnd: long.end, memberEnd: long.end, aheadBytes: 0 });
    expect(verdicts[1]).toMatchObject({ identicalUpTo: short.end, memberEnd: short.end, aheadBytes: long.end - short.end, difference: null });
    expect(verdicts[2]!.difference).toMatchObject({ offset: at, kind: 'bytes' });
    expect(verdicts[2]!.identicalUpTo).toBe(at);

    const [ahead] = await relateLogs([readLogExtent(short.dir), readLogExtent(long.dir)], OPTIONS);
    expect(ahead).toMatchObject({ relation: 'ahead', identicalUpTo: short.end, aheadBytes: long.end - short.end });
  });

  it('needs a reference and at least one member', async () => {
    await expect(relateLogs([readLogExtent(short.dir)], OPTIONS)).rejects.toThrow(/at least one member/);
  });
});
