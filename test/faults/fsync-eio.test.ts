// fdatasync EIO: the SYNC_FLUSH writer child runs under libfiu's POSIX preload (fiu-run -x);
// after some acks the test switches fdatasync to fail with EIO at run time (fiu-ctrl; it
// reaches every thread of the process, including the persistence worker). An fdatasync error
// is final: from then on no put may be acknowledged past the flushed position, every later put
// is refused with SERVICE_NOT_AVAILABLE, runtimeInfo().serviceFailure names fdatasync and EIO,
// and close() still finishes. Reopened without injection, recovery is clean and every
// acknowledged message is there. Needs fiu-utils (apt); skips with the reason otherwise.
//
// Why libfiu and not strace: `strace -e inject=fdatasync:when=N` counts per thread, and the
// flushes run in a worker thread, so a run-time switch is the reliable way (see the reference).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultSeed, prng } from '../helpers/fault-body.js';
import { corruptionOffset, reopenAndCheck } from '../helpers/fault-check-store.js';
import { WriterProcess } from '../helpers/fault-child.js';
import { checkPrefix } from '../helpers/fault-verify.js';
import { missingPrerequisite } from '../helpers/loop-fs.js';
import { hasAddon, NEEDS_ADDON } from '../helpers/native.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { tempDirs } from '../helpers/temp-dir.js';

const SEED = faultSeed();
const TOPIC = 'EioTopic';
const QUEUES = 4;
const SEGMENT_BYTES = 128 * 1024;
/** Puts the child makes after it first sees the failure (all must be refused). */
const PUTS_AFTER_FAILURE = 300;
/** The store's default syncFlushTimeout (ms), set explicitly here. */
const SYNC_FLUSH_TIMEOUT_MS = 5000;
const MISSING = missingPrerequisite(['fiu-run', 'fiu-ctrl'], false);
skipNotice('fsync-eio.test.ts (libfiu)', MISSING);
skipNotice('fsync-eio.test.ts native-backend case', hasAddon ? null : NEEDS_ADDON);
const newDir = tempDirs('mqstore-eio-');
const writers: WriterProcess[] = [];

afterAll(async () => {
  for (const w of writers) w.kill('SIGKILL');
  await Promise.all(writers.map((w) => w.finished(10_000).catch(() => undefined)));
});

const VARIANTS = [
  { name: 'native backend (mmap)', store: { ioBackend: 'native' }, skip: hasAddon ? null : NEEDS_ADDON },
  { name: 'node backend', store: { ioBackend: 'node' }, skip: null },
];

describe.skipIf(MISSING !== null)(`fdatasync EIO under SYNC_FLUSH (libfiu; seed ${SEED})${MISSING ? ` — SKIPPED: ${MISSING}` : ''}`, () => {
  for (const [i, v] of VARIANTS.entries()) {
    const title = `${v.name}: after the first EIO nothing more is acknowledged, and recovery keeps every ack`;
    it.skipIf(v.skip !== null)(v.skip ? `${title} — ${v.skip}` : title, async () => {
      const rand = prng(SEED + i);
      const dir = newDir();
      const ctl = join(newDir(), 'fiuctl');
      const config = {
        storePathRootDir: dir,
        flushDiskType: 'SYNC_FLUSH',
        mappedFileSizeCommitLog: SEGMENT_BYTES,
        mappedFileSizeConsumeQueue: 20 * 1000,
        maxMessageSize: 4096,
        syncFlushTimeout: SYNC_FLUSH_TIMEOUT_MS,
        logLevel: 'warn',
        ...v.store,
      };
      const w = new WriterProcess(
        {
          store: config,
          topic: TOPIC,
          queues: QUEUES,
          maxPadBytes: 512,
          startSeq: 0,
          inflight: 128,
          maxPuts: 5_000_000,
          runMs: 60_000,
          stopAfterFailure: PUTS_AFTER_FAILURE,
          closeAtEnd: true,
        },
        { wrapper: ['fiu-run', '-x', '-f', ctl] },
      );
      writers.push(w);
      await w.waitForAcks(300 + Math.floor(rand() * 1200), 45_000);
      const acksAtInjection = w.acks.length;
      // Every fdatasync of the process fails with EIO (errno 5) from now on.
      execFileSync('fiu-ctrl', ['-f', ctl, '-c', 'enable name=posix/io/sync/fdatasync,failinfo=5', String(w.pid)], { timeout: 10_000 });
      await w.waitFor('the end of the run (E and C lines)', () => w.end !== null && w.closeOutcome !== null, 45_000);
      const exit = await w.finished(15_000);
      expect(exit.code, w.describe()).toBe(0);

      // The failure is reported, and names the call and the error.
      expect(w.failure, 'the child saw runtimeInfo().serviceFailure').not.toBeNull();
      const info = (w.end!.info ?? {}) as { serviceFailure: string | null; flushedOffset: number; wroteOffset: number };
      expect(info.serviceFailure).toMatch(/fdatasync/);
      expect(info.serviceFailure).toMatch(/EIO/);
      // Nothing acknowledged past the last successful flush; everything else refused.
      const flushed = info.flushedOffset;
      const lateAcks = w.acks.filter((a) => a.physicalOffset + a.wroteBytes > flushed);
      expect(lateAcks, `acks past the flushed position ${flushed}`).toEqual([]);
      expect(w.nacks.length, 'puts were refused after the failure').toBeGreaterThanOrEqual(PUTS_AFTER_FAILURE / 2);
      const statuses = [...new Set(w.nacks.map((n) => n.status))];
      expect(statuses, 'every put after the failure is refused with SERVICE_NOT_AVAILABLE').toEqual(['SERVICE_NOT_AVAILABLE']);
      const firstFailedSeq = Math.min(...w.nacks.map((n) => n.seq));
      expect(w.acks.filter((a) => a.seq > firstFailedSeq), 'PUT_OK for a put issued after one that failed').toEqual([]);
      // The puts in flight when the flush failed learn it promptly, not at syncFlushTimeout.
      const slowestRefusalMs = Number(w.end!.maxNotOkLatencyMs);
      expect.soft(slowestRefusalMs, 'slowest refused put (ms): in-flight puts wait for the whole syncFlushTimeout').toBeLessThan(SYNC_FLUSH_TIMEOUT_MS / 2);
      // close() must finish (bounded in the child); that it also must not throw is a soft check,
      // so the recovery checks below still run when it does.
      expect(w.closeOutcome).not.toBeNull();
      expect.soft(w.closeOutcome, 'close() after the failure finishes and does not throw').toEqual(expect.objectContaining({ ok: true }));

      // Reopen without the fault: a clean recovery that keeps every acknowledged message.
      const check = await reopenAndCheck(config, TOPIC, QUEUES, w.acks);
      expect.soft(check.problems, `after reopening (seed ${SEED})\n${check.logLines.join('\n')}`).toEqual([]);
      expect(corruptionOffset(check.recovery), 'recovery found a corrupt record').toBeNull();
      expect(checkPrefix(check.scan, 0, Number.MAX_SAFE_INTEGER).problems).toEqual([]);
      expect(check.scan.records).toBeGreaterThanOrEqual(w.acks.length);
      console.log(
        `[fsync-eio] ${v.name}: injected after ${acksAtInjection} acks; ${w.acks.length} acked in all, ${w.nacks.length} refused ` +
          `(${statuses.join(',')}, slowest ${slowestRefusalMs.toFixed(0)} ms); flushed ${flushed} of wrote ${info.wroteOffset}; failure: ${info.serviceFailure}; ` +
          `close: ${JSON.stringify(w.closeOutcome)}; ${check.scan.records} records after reopening`,
      );
    }, 90_000);
  }
});
