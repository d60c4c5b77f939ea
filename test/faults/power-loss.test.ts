// Power loss: the writer child (test/helpers/fault-writer.ts) runs on a small xfs on a loop
// device; while puts are in flight the test shuts the file system down WITHOUT flushing its
// journal (`xfs_io -x -c shutdown`, fstests' godown: what is not durable is lost, as in a power
// cut), kills the child, unmounts, mounts again (journal replay) and reopens the store.
//   SYNC_FLUSH: every acknowledged message is there, intact, readable through its queue.
//   ASYNC_FLUSH: what survives is a clean prefix (no holes, every CRC valid, queue offsets
//   dense) that covers at least everything the store had reported flushed before the cut.
// Needs root, loop devices and xfsprogs; skips with the reason otherwise. FAULT_SEED replays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { faultSeed, prng } from '../helpers/fault-body.js';
import { ackedEnd, corruptionOffset, reopenAndCheck } from '../helpers/fault-check-store.js';
import { WriterProcess } from '../helpers/fault-child.js';
import { checkPrefix } from '../helpers/fault-verify.js';
import { missingPrerequisite, mountLoopFs, type MountedFs } from '../helpers/loop-fs.js';
import { hasAddon, NEEDS_ADDON } from '../helpers/native.js';
import { skipNotice } from '../helpers/skip-notice.js';

const SEED = faultSeed();
const TOPIC = 'PowerTopic';
const QUEUES = 8;
const SEGMENT_BYTES = 256 * 1024;
/** xfs refuses file systems below 300 MB; the image is sparse, so this costs little. */
const XFS_IMAGE_MIB = 320;
const MISSING = missingPrerequisite(['mkfs.xfs', 'xfs_io', 'losetup', 'mount', 'umount'], true);
skipNotice('power-loss.test.ts (xfs on a loop device)', MISSING);
skipNotice('power-loss.test.ts native-backend case', hasAddon ? null : NEEDS_ADDON);

let fs: MountedFs | null = null;
const writers: WriterProcess[] = [];

function storeConfig(name: string, extra: Record<string, unknown>) {
  return {
    storePathRootDir: join(fs!.mountPoint, name),
    mappedFileSizeCommitLog: SEGMENT_BYTES,
    mappedFileSizeConsumeQueue: 20 * 1000,
    maxMessageSize: 4096,
    logLevel: 'warn',
    ...extra,
  };
}

/** The third ConsumeQueue file of queue 0: its entries reached the files (not only memory). */
function thirdCqFileOfQueue0(config: ReturnType<typeof storeConfig>): string {
  return join(config.storePathRootDir, 'consumequeue', TOPIC, '0', String(2 * 20 * 1000).padStart(20, '0'));
}

/**
 * Start a writer; once it has `acks` acks AND queue 0's ConsumeQueue has three files on disk
 * AND a CommitLog flush happened after that (so the journal holds the ConsumeQueue files'
 * creation while their data may still be only in the page cache), cut the power while puts are
 * in flight, kill the writer and remount.
 */
async function cutPowerDuringWrites(config: ReturnType<typeof storeConfig>, acks: number, async: boolean) {
  const w = new WriterProcess({
    store: config,
    topic: TOPIC,
    queues: QUEUES,
    maxPadBytes: 1024,
    startSeq: 0,
    inflight: 128,
    maxPuts: 150_000, // bounded: the 320 MiB file system must not fill before the cut
    runMs: 60_000,
    reportFlushed: async,
  });
  writers.push(w);
  const cqFile = thirdCqFileOfQueue0(config);
  let mark: number | null = null; // acks (SYNC) or flushed position (ASYNC) when the CQ file was seen
  const progress = (): number => (async ? w.flushedReported : w.acks.length);
  await w.waitForAcks(acks, 45_000, () => {
    if (mark === null && existsSync(cqFile)) mark = progress();
    return mark !== null && progress() > mark + (async ? 0 : 100);
  });
  const acksBefore = w.acks.length;
  const flushedBefore = w.flushedReported;
  fs!.shutdown(); // puts are in flight right now
  w.kill('SIGKILL');
  const exit = await w.finished(15_000);
  fs!.remount();
  return { w, acksBefore, flushedBefore, exit };
}

describe.skipIf(MISSING !== null)(`power loss on xfs (xfs_io shutdown without log flush; seed ${SEED})${MISSING ? ` — SKIPPED: ${MISSING}` : ''}`, () => {
  beforeAll(() => {
    fs = mountLoopFs('xfs', XFS_IMAGE_MIB);
  });

  afterAll(async () => {
    for (const w of writers) w.kill('SIGKILL');
    await Promise.all(writers.map((w) => w.finished(10_000).catch(() => undefined)));
    fs?.cleanup();
  });

  const syncVariants = [
    { name: 'native backend (mmap)', store: { ioBackend: 'native' }, skip: hasAddon ? null : NEEDS_ADDON },
    { name: 'node backend', store: { ioBackend: 'node' }, skip: null },
    { name: 'TransientStorePool', store: { ioBackend: 'auto', transientStorePoolEnable: true, transientStorePoolSize: 4 }, skip: null },
  ];
  for (const [i, v] of syncVariants.entries()) {
    const title = `SYNC_FLUSH, ${v.name}: every acknowledged message survives the power cut`;
    it.skipIf(v.skip !== null)(v.skip ? `${title} — ${v.skip}` : title, async () => {
      const rand = prng(SEED + i);
      const config = storeConfig(`sync-${i}`, { flushDiskType: 'SYNC_FLUSH', ...v.store });
      const { w, acksBefore, exit } = await cutPowerDuringWrites(config, 1500 + Math.floor(rand() * 2500), false);
      expect(exit.code === 0 && exit.signal === null, `the writer should not end by itself\n${w.describe()}`).toBe(false);
      const check = await reopenAndCheck(config, TOPIC, QUEUES, w.acks);
      expect.soft(check.problems, `after the power cut (seed ${SEED})\n${check.logLines.join('\n')}`).toEqual([]);
      const torn = corruptionOffset(check.recovery);
      if (torn !== null) expect(torn, 'a bad record before the last acknowledged one').toBeGreaterThanOrEqual(ackedEnd(w.acks));
      expect(check.scan.records).toBeGreaterThanOrEqual(w.acks.length);
      expect(checkPrefix(check.scan, 0, Number.MAX_SAFE_INTEGER).problems).toEqual([]);
      console.log(
        `[power-loss] SYNC ${v.name}: cut after ${acksBefore} acks (${w.acks.length} in all, ${w.nacks.length} refused after the cut); ` +
          `${check.scan.records} messages survive, log end ${check.maxPhyOffset}, recovery corruption ${JSON.stringify(check.recovery?.corruption ?? null)}`,
      );
    }, 90_000);
  }

  it('ASYNC_FLUSH: a clean prefix survives, covering everything reported flushed before the cut', async () => {
    const rand = prng(SEED + 100);
    const config = storeConfig('async', { flushDiskType: 'ASYNC_FLUSH', ioBackend: 'auto', flushIntervalCommitLog: 100 });
    const { w, acksBefore, flushedBefore } = await cutPowerDuringWrites(config, 2000 + Math.floor(rand() * 6000), true);
    expect(flushedBefore).toBeGreaterThan(0);
    const durable = w.acks.filter((a) => a.physicalOffset + a.wroteBytes <= flushedBefore);
    const check = await reopenAndCheck(config, TOPIC, QUEUES, durable);
    expect.soft(check.problems, `after the power cut (seed ${SEED})\n${check.logLines.join('\n')}`).toEqual([]);
    const prefix = checkPrefix(check.scan, 0, Number.MAX_SAFE_INTEGER);
    expect(prefix.problems, 'the surviving messages are a prefix with no holes').toEqual([]);
    expect(check.maxPhyOffset, 'the log keeps at least what was reported flushed').toBeGreaterThanOrEqual(flushedBefore);
    console.log(
      `[power-loss] ASYNC: cut after ${acksBefore} acks (flushed reported ${flushedBefore}); ${prefix.count} messages survive as a prefix ` +
        `(${durable.length} were below the flushed mark), log end ${check.maxPhyOffset}, corruption ${JSON.stringify(check.recovery?.corruption ?? null)}`,
    );
  }, 90_000);
});
