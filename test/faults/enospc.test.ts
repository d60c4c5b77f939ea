// Disk full: the SYNC_FLUSH writer child runs on a tiny tmpfs (size=6 MiB, 1 MiB segments).
// Once it writes, the test fills the file system with a filler file (leaving 192 KiB: less than
// a segment, room for ConsumeQueue entries; or leaving nothing at all), and then:
//   - puts come back with a clear non-OK status and a reason (native backend: the next segment's
//     fallocate fails -> CREATE_MAPPED_FILE_FAILED; node backend: segments are sparse, so the
//     commit's pwrite fails -> diskFull -> SERVICE_NOT_AVAILABLE), the process neither crashes
//     nor hangs (refusals keep coming);
//   - after the filler is deleted, puts succeed again (the child keeps trying: a bounded loop
//     with a deadline);
//   - after a clean stop and a reopen, no record fails its CRC, queue offsets are dense and
//     every acknowledged message is there.
// Needs root (mount); skips with the reason otherwise.
import { closeSync, openSync, rmSync, statfsSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corruptionOffset, reopenAndCheck } from '../helpers/fault-check-store.js';
import { WriterProcess } from '../helpers/fault-child.js';
import { missingPrerequisite, mountTmpfs, type MountedFs } from '../helpers/loop-fs.js';
import { hasAddon, NEEDS_ADDON } from '../helpers/native.js';
import { skipNotice } from '../helpers/skip-notice.js';

const TOPIC = 'FullTopic';
const QUEUES = 4;
const SEGMENT_BYTES = 1024 * 1024;
const FS_BYTES = 6 * 1024 * 1024;
/** Left free in the 'room for metadata' cases: ConsumeQueue entries fit, a segment does not. */
const METADATA_SLACK_BYTES = 192 * 1024;
const FILL_CHUNK_BYTES = 64 * 1024;
const MISSING = missingPrerequisite(['mount', 'umount'], false);
skipNotice('enospc.test.ts (tmpfs mount)', MISSING);
skipNotice('enospc.test.ts native-backend case', hasAddon ? null : NEEDS_ADDON);

const mounts: MountedFs[] = [];
const writers: WriterProcess[] = [];

afterAll(async () => {
  for (const w of writers) w.kill('SIGKILL');
  await Promise.all(writers.map((w) => w.finished(10_000).catch(() => undefined)));
  for (const m of mounts) m.cleanup();
});

/** Write `path` until the file system is full (bounded by its size), then free `slack` bytes. */
function fillLeaving(path: string, slack: number): number {
  const chunk = new Uint8Array(FILL_CHUNK_BYTES).fill(0xa5);
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (let i = 0; i <= FS_BYTES / FILL_CHUNK_BYTES + 1; i++) {
      try {
        written += writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        break;
      }
    }
  } finally {
    closeSync(fd);
  }
  const kept = Math.max(0, written - slack);
  truncateSync(path, kept);
  return kept;
}

const BACKENDS = [
  { name: 'native backend (fallocated segments)', store: { ioBackend: 'native' }, skip: hasAddon ? null : NEEDS_ADDON },
  { name: 'node backend (sparse segments)', store: { ioBackend: 'node' }, skip: null },
];
// 'room for metadata': only the CommitLog runs out (its next segment or its commits);
// 'completely full': every write fails, ConsumeQueue tail writes (every 50 ms here) included.
const FILLS = [
  { name: 'full except 192 KiB', slack: METADATA_SLACK_BYTES },
  { name: 'completely full', slack: 0 },
];
const VARIANTS = FILLS.flatMap((f) => BACKENDS.map((b) => ({ ...b, name: `${b.name}, ${f.name}`, slack: f.slack })));

describe.skipIf(MISSING !== null)(`disk full on a ${FS_BYTES >> 20} MiB tmpfs${MISSING ? ` — SKIPPED: ${MISSING}` : ''}`, () => {
  for (const v of VARIANTS) {
    const title = `${v.name}: clear refusals while full, puts resume after space is freed, no corrupt record`;
    it.skipIf(v.skip !== null)(v.skip ? `${title} — ${v.skip}` : title, async () => {
      const fs = mountTmpfs(FS_BYTES);
      mounts.push(fs);
      const config = {
        storePathRootDir: join(fs.mountPoint, 'store'),
        flushDiskType: 'SYNC_FLUSH',
        mappedFileSizeCommitLog: SEGMENT_BYTES,
        mappedFileSizeConsumeQueue: 20 * 1000,
        // ConsumeQueue tails are written every 50 ms, so some of those writes meet the full disk.
        flushIntervalConsumeQueue: 50,
        maxMessageSize: 4096,
        logLevel: 'warn',
        ...v.store,
      };
      const w = new WriterProcess({
        store: config,
        topic: TOPIC,
        queues: QUEUES,
        maxPadBytes: 1024,
        startSeq: 0,
        inflight: 16,
        maxPuts: 1_000_000,
        runMs: 90_000,
        stopOnStdin: true,
        closeAtEnd: true,
      });
      writers.push(w);
      await w.waitForAcks(50, 30_000);
      const filler = join(fs.mountPoint, 'filler');
      const fillerBytes = fillLeaving(filler, v.slack);
      const freeAfterFill = statfsSync(fs.mountPoint).bavail * statfsSync(fs.mountPoint).bsize;

      // Full: refusals arrive (and keep arriving: no hang), the child stays alive.
      await w.waitFor('200 refused puts', () => w.nacks.length >= 200, 30_000);
      expect(w.exit, `the writer must survive a full disk\n${w.describe()}`).toBeNull();
      const statuses = [...new Set(w.nacks.map((n) => n.status))].sort();
      const allowed = ['CREATE_MAPPED_FILE_FAILED', 'FLUSH_DISK_TIMEOUT', 'SERVICE_NOT_AVAILABLE'];
      expect(statuses.filter((s) => !allowed.includes(s)), 'unexpected statuses while the disk is full').toEqual([]);
      const first = w.nacks[0]!;
      expect(first.reason, 'the first refusal says why').toMatch(/ENOSPC|no space|disk full|space/i);
      // Native segments are fallocated, so a full disk shows up when a segment is created; when
      // the disk is completely full the store's disk check (diskSpaceWarningLevelRatio) may refuse
      // first, with SERVICE_NOT_AVAILABLE and a reason that names the disk.
      if (v.store.ioBackend === 'native') expect(statuses.some((s) => s === 'CREATE_MAPPED_FILE_FAILED' || s === 'SERVICE_NOT_AVAILABLE')).toBe(true);
      const acksWhenFull = w.acks.length;

      // Free the space: puts succeed again within the deadline.
      rmSync(filler);
      await w.waitFor('100 more acks after freeing space', () => w.acks.length >= acksWhenFull + 100, 30_000);
      w.requestStop();
      await w.waitFor('the end of the run (E and C lines)', () => w.end !== null && w.closeOutcome !== null, 30_000);
      const exit = await w.finished(15_000);
      expect(exit.code, w.describe()).toBe(0);
      expect(w.closeOutcome, 'close() after the disk-full episode').toEqual(expect.objectContaining({ ok: true }));
      const endInfo = (w.end!.info ?? {}) as { diskFull: boolean; serviceFailure: string | null };
      expect(endInfo.diskFull).toBe(false);
      expect(endInfo.serviceFailure).toBeNull();

      const check = await reopenAndCheck(config, TOPIC, QUEUES, w.acks);
      expect.soft(check.problems, check.logLines.join('\n')).toEqual([]);
      expect(corruptionOffset(check.recovery), 'recovery found a corrupt record').toBeNull();
      console.log(
        `[enospc] ${v.name}: filler ${fillerBytes} bytes (free after fill ${freeAfterFill}); ${acksWhenFull} acks before the refusals, ` +
          `${w.acks.length} in all; ${w.nacks.length} refused (${statuses.join(', ')}); first: ${first.status} ${first.reason}; ` +
          `${check.scan.records} records after reopening`,
      );
    }, 120_000);
  }
});
