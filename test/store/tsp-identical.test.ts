// The write path must not change what lands on disk: the same sequence of puts (same ManualClock,
// so store and born timestamps match) gives byte-identical CommitLog segment files whether
// records go straight into the mapping (native mmap, ASYNC_FLUSH), through a staging buffer (node
// backend, and native SYNC_FLUSH),
// or through TransientStorePool buffers (which are reused: pool of 2), and under ASYNC_FLUSH or
// SYNC_FLUSH. ConsumeQueue files must match as well.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { PutMessageStatus, type PutMessageInput, type PutMessageResult } from '../../src/store/statuses.js';
import {
  AVAILABLE_BACKENDS,
  type Backend,
  BACKENDS,
  bodyOf,
  commitLogBytes,
  recordBytes,
  segmentFiles,
  SMALL_SEGMENT_BYTES,
  smallConfig,
  waitCommitted,
  withStore,
} from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-tsp-');

for (const b of BACKENDS.filter((x) => !x.available)) {
  describe.skip(`identical files on the ${b.backend} backend (${b.skipReason})`, () => it('needs the addon', () => {}));
}

interface Variant {
  name: string;
  backend: Backend;
  tsp: boolean;
  flush: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
}

interface Outcome {
  dir: string;
  maxPhyOffset: number;
  writeMode: string;
  segmentNames: string[];
}

const VARIANTS: Variant[] = AVAILABLE_BACKENDS.flatMap((backend) =>
  [false, true].flatMap((tsp) =>
    (['ASYNC_FLUSH', 'SYNC_FLUSH'] as const).map((flush) => ({ name: `${backend}${tsp ? ' + TSP' : ''} ${flush}`, backend, tsp, flush })),
  ),
);

/** The fixed workload: ~5.5 segments of singles and batches over two topics and three queues. */
function* workload(): Generator<PutMessageInput | PutMessageInput[]> {
  for (let i = 0; i < 260; i++) {
    const topic = i % 5 === 0 ? 'Other' : 'Main';
    const queueId = i % 3;
    if (i % 17 === 0) {
      yield Array.from({ length: 4 }, (_, j) => ({ topic, queueId, body: bodyOf(i * 10 + j, 200 + j * 50), tags: `batch${j}` }));
    } else {
      yield { topic, queueId, body: bodyOf(i, 100 + ((i * 613) % 2900)), tags: `t${i % 4}`, keys: [`k${i}`, `x${i % 9}`], properties: { n: String(i) } };
    }
  }
}

async function runVariant(v: Variant): Promise<Outcome> {
  const dir = newDir();
  const clock = new ManualClock(1_700_000_000_000);
  const config = smallConfig(dir, v.backend, {
    transientStorePoolEnable: v.tsp,
    transientStorePoolSize: 2,
    flushDiskType: v.flush,
    flushCommitLogLeastPages: 0,
  });
  let maxPhyOffset = 0;
  let writeMode = '';
  await withStore(
    config,
    async (store) => {
      writeMode = store.runtimeInfo().writeMode;
      expect(store.runtimeInfo().transientStorePoolEnable).toBe(v.tsp);
      let n = 0;
      for (const put of workload()) {
        const r = Array.isArray(put) ? await store.putMessages(put) : await store.putMessage(put);
        expect(r.status, `${v.name}: put ${n}: ${r.reason}`).toBe(PutMessageStatus.PUT_OK);
        clock.advance(1 + (n % 7));
        // let the commit service catch up now and then, so two pool buffers are enough
        if (++n % 10 === 0) await waitCommitted(store);
      }
      await waitCommitted(store, { flushed: true });
      maxPhyOffset = store.getMaxPhyOffset();
      expect(maxPhyOffset).toBe(store.runtimeInfo().wroteOffset);
    },
    { clock, logger: memoryLogger() }, // the pool of 2 warns 'low' on every roll
  );
  return { dir, maxPhyOffset, writeMode, segmentNames: segmentFiles(join(dir, 'commitlog')).map((f) => f.name) };
}

/** Relative paths and bytes of every ConsumeQueue file. */
function consumeQueueFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const root = join(dir, 'consumequeue');
  for (const topic of readdirSync(root).sort()) {
    for (const q of readdirSync(join(root, topic)).sort()) {
      for (const f of segmentFiles(join(root, topic, q))) out.set(`${topic}/${q}/${f.name}`, readFileSync(f.path));
    }
  }
  return out;
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** [from, to) ranges of the log that hold records or a blank's 8-byte header, walking TOTALSIZE. */
function recordRanges(log: Buffer, segmentBytes: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let base = 0; base < log.length; base += segmentBytes) {
    const segmentEnd = Math.min(log.length, base + segmentBytes);
    let at = base;
    for (let n = 0; n < segmentBytes / 8 && at < segmentEnd; n++) {
      const size = log.readInt32BE(at);
      const blank = log.readUInt32BE(at + 4) === 0xcbd43194;
      if (size <= 0) throw new Error(`no record at ${at}`);
      ranges.push([at, blank ? at + 8 : at + size]);
      if (blank) break;
      at += size;
    }
  }
  return ranges;
}

describe('same puts, same bytes: mmap / staging buffer / TransientStorePool, ASYNC / SYNC flush', () => {
  let reference: Outcome;
  const referenceVariant = VARIANTS[0]!; // node backend, no pool, ASYNC_FLUSH
  const outcomes = new Map<string, Promise<Outcome>>();
  /** Each variant runs once; both tests below look at its directory. */
  const outcomeOf = (v: Variant): Promise<Outcome> => {
    let o = outcomes.get(v.name);
    if (!o) outcomes.set(v.name, (o = runVariant(v)));
    return o;
  };

  beforeAll(async () => {
    reference = await outcomeOf(referenceVariant);
  });

  it('the reference run spans several segments', () => {
    expect(reference.segmentNames.length).toBeGreaterThanOrEqual(5);
    expect(reference.maxPhyOffset).toBeGreaterThan(4 * SMALL_SEGMENT_BYTES);
  });

  const others = VARIANTS.slice(1).map((v) => [v.name, v] as const);

  it.each(others)('%s writes the same records, blanks and ConsumeQueue files as the reference', async (_name, v) => {
    const out = await outcomeOf(v);
    // Native writes go through the mapping under ASYNC_FLUSH only (SYNC_FLUSH uses the staging buffer).
    if (v.backend === 'native' && !v.tsp && v.flush === 'ASYNC_FLUSH') expect(out.writeMode).toBe('mmap');
    else expect(out.writeMode).toBe('buffer');
    expect(out.maxPhyOffset).toBe(reference.maxPhyOffset);
    expect(out.segmentNames).toEqual(reference.segmentNames);
    for (const name of out.segmentNames) expect(statSync(join(out.dir, 'commitlog', name)).size).toBe(SMALL_SEGMENT_BYTES);
    const mine = commitLogBytes(out.dir, out.maxPhyOffset);
    const theirs = commitLogBytes(reference.dir, reference.maxPhyOffset);
    expect(mine.length).toBe(reference.maxPhyOffset);
    const ranges = recordRanges(theirs, SMALL_SEGMENT_BYTES);
    expect(ranges.length).toBeGreaterThan(250);
    for (const [from, to] of ranges) {
      const at = firstDifference(mine.subarray(from, to), theirs.subarray(from, to));
      expect(at, `record or blank at ${from} differs at byte ${from + at}`).toBe(-1);
    }
    // beyond the log end the last segment holds nothing in any mode
    const lastName = out.segmentNames.at(-1)!;
    const tail = readFileSync(join(out.dir, 'commitlog', lastName)).subarray(out.maxPhyOffset - Number(lastName));
    expect(tail.every((x) => x === 0)).toBe(true);
    const cqMine = consumeQueueFiles(out.dir);
    const cqTheirs = consumeQueueFiles(reference.dir);
    expect([...cqMine.keys()]).toEqual([...cqTheirs.keys()]);
    for (const [path, bytes] of cqMine) expect(firstDifference(bytes, cqTheirs.get(path)!), `ConsumeQueue file ${path}`).toBe(-1);
  });

  const withoutPool = others.filter(([, v]) => !v.tsp);

  it.each(withoutPool)('%s: every segment byte up to the max offset is the same (also after each blank)', async (_name, v) => {
    const out = await outcomeOf(v);
    const mine = commitLogBytes(out.dir, out.maxPhyOffset);
    const theirs = commitLogBytes(reference.dir, reference.maxPhyOffset);
    expect(mine.length).toBe(theirs.length);
    const at = firstDifference(mine, theirs);
    expect(at, `first differing CommitLog byte: offset ${at} (segment ${Math.floor(at / SMALL_SEGMENT_BYTES)})`).toBe(-1);
  });
});

/**
 * Segments 0 and 1 filled with records to exactly 8 bytes before their end (8-byte blanks), then
 * segment 2 rolled with a 3000-byte blank. The service runs in-thread so the buffer reuse is
 * deterministic: at each roll the sealed segment's buffer is still uncommitted (its commit runs
 * on a later event-loop turn), so with a pool of two, segment 2 reuses segment 0's buffer, which
 * held records where segment 2 has its blank. (With the worker, a sealed segment may be
 * committed before the writer reclaims buffers, and which buffer comes back depends on timing.)
 */
async function runBlankWorkload(v: Variant): Promise<{ dir: string; blankAt: number }> {
  const dir = newDir();
  const config = smallConfig(dir, v.backend, {
    transientStorePoolEnable: v.tsp,
    transientStorePoolSize: 2,
    flushDiskType: v.flush,
    flushServiceInWorker: false,
    flushCommitLogLeastPages: 0,
  });
  const SEG = SMALL_SEGMENT_BYTES;
  let blankAt = -1;
  await withStore(
    config,
    async (store) => {
      let seq = 0;
      const put = async (bodyBytes: number): Promise<PutMessageResult> => {
        const r = await store.putMessage({ topic: 'Blank', body: bodyOf(seq++, bodyBytes) });
        expect(r.status, r.reason).toBe(PutMessageStatus.PUT_OK);
        return r;
      };
      const left = (segmentEnd: number): number => segmentEnd - store.runtimeInfo().wroteOffset;
      for (const segmentEnd of [SEG, 2 * SEG]) {
        while (left(segmentEnd) - recordBytes('Blank', 3000) >= 1000) await put(3000); // left: [1000, 4094)
        await put(left(segmentEnd) - 8 - recordBytes('Blank', 0)); // ends 8 bytes before the segment end
        await waitCommitted(store);
      }
      const third = 3 * SEG;
      // wrote is at 2 * SEG - 8 now: the next put rolls into segment 2
      while (left(third) - recordBytes('Blank', 3000) >= 4000) await put(3000); // left: [4000, 7094)
      await put(left(third) - 3000 - recordBytes('Blank', 0)); // leaves exactly 3000 bytes
      expect(left(third)).toBe(3000);
      await waitCommitted(store); // segment 1 committed: its buffer can come back at the next roll
      const rolled = await put(4000); // 4095 bytes: does not fit, 3000-byte blank
      expect(rolled.physicalOffset).toBe(third);
      blankAt = SEG - 3000;
      await waitCommitted(store, { flushed: true });
    },
    { logger: memoryLogger() },
  );
  return { dir, blankAt };
}

describe('the bytes after an end-of-file blank are the same in every write mode (zeros)', () => {
  const expectZerosAfterBlanks = async (v: Variant): Promise<void> => {
    const { dir, blankAt } = await runBlankWorkload(v);
    const files = segmentFiles(join(dir, 'commitlog'));
    expect(files.map((f) => f.offset)).toEqual([0, SMALL_SEGMENT_BYTES, 2 * SMALL_SEGMENT_BYTES, 3 * SMALL_SEGMENT_BYTES]);
    const third = readFileSync(files[2]!.path);
    expect(third.readInt32BE(blankAt)).toBe(3000);
    expect(third.readUInt32BE(blankAt + 4)).toBe(0xcbd43194);
    const after = third.subarray(blankAt + 8);
    const nonZero = after.reduce((n, x) => n + (x !== 0 ? 1 : 0), 0);
    expect(nonZero, `non-zero bytes after the blank of segment 2 (${v.name})`).toBe(0);
  };

  it.each(VARIANTS.filter((v) => !v.tsp).map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    await expectZerosAfterBlanks(v);
  });

  // TransientStorePool buffers are reused without clearing. seal() (src/commitlog/commit-log.ts)
  // writes the 8-byte blank and sets wrotePos to the segment size, so the commit service copies
  // the rest of the reused buffer -- records of an older segment -- into the file after the
  // blank, where the mmap and staging modes leave zeros. Reads skip the blank, so no reader sees
  // them, but the CommitLog differs with the pool on/off and old data leaks into new segments.
  const pooled = VARIANTS.filter((v) => v.tsp).map((v) => [v.name, v] as const);
  if (pooled.length > 0) {
    it.each(pooled)('%s', async (_name, v) => {
      await expectZerosAfterBlanks(v);
    });
  }
});
