// Process crash: a SYNC_FLUSH writer child (test/helpers/fault-writer.ts) keeps 64..256 puts in
// flight and reports each PUT_OK after its promise resolved; the test SIGKILLs it after a random
// number of acks, several rounds on the same directory (each round's child recovers abnormally
// and first verifies the store against every ack so far). After every kill the raw files are
// checked (acked records present, torn tail only after the last ack, the run is a prefix with
// no holes); at the end the test reopens the store itself and checks CRCs from offset 0 to the
// max physical offset, no gap, dense queue offsets and every acked message read back intact.
//
// SIGKILL keeps the page cache, so this tests the process-crash path (recovery, redispatch,
// tail zeroing), not power loss (see power-loss.test.ts). FAULT_SEED=<n> replays a run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultSeed, prng } from '../helpers/fault-body.js';
import { ackedEnd, corruptionOffset, reopenAndCheck } from '../helpers/fault-check-store.js';
import { WriterProcess } from '../helpers/fault-child.js';
import { checkAcked, checkPrefix, scanCommitLog, type Ack } from '../helpers/fault-verify.js';
import { hasAddon, NEEDS_ADDON } from '../helpers/native.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { tempDirs } from '../helpers/temp-dir.js';

const SEED = faultSeed();
const TOPIC = 'CrashTopic';
const QUEUES = 8;
const SEGMENT_BYTES = 128 * 1024;
const SEQ_PER_ROUND = 10_000_000;
const newDir = tempDirs('mqstore-crash-');
skipNotice('crash-sigkill.test.ts native-backend case', hasAddon ? null : NEEDS_ADDON);
const writers: WriterProcess[] = [];

afterAll(async () => {
  // A failed round may leave its writer running: end it (only our own children).
  for (const w of writers) w.kill('SIGKILL');
  await Promise.all(writers.map((w) => w.finished(10_000).catch(() => undefined)));
});

interface Variant {
  name: string;
  rounds: number;
  store: Record<string, unknown>;
  skip: string | false;
  /** Kill after a random number of acks in [min, max). */
  killAcks?: [number, number];
}

const VARIANTS: Variant[] = [
  { name: 'native backend (mmap writes)', rounds: 5, store: { ioBackend: 'native' }, skip: hasAddon ? false : NEEDS_ADDON },
  { name: 'node backend (buffer + pwrite commits)', rounds: 5, store: { ioBackend: 'node' }, skip: false },
  {
    name: 'TransientStorePool (auto backend)',
    rounds: 3,
    store: { ioBackend: 'auto', transientStorePoolEnable: true, transientStorePoolSize: 4 },
    skip: false,
  },
  {
    // Queue 0 (60% of the traffic) fills its 4096-entry ConsumeQueue tail and writes it; the
    // other queues' tails are only written by the periodic task, which is made rare here.
    // The kill then leaves the queues' files at different CommitLog positions.
    name: 'node backend, ConsumeQueue tails written at different times (flushIntervalConsumeQueue 60 s)',
    rounds: 2,
    store: { ioBackend: 'node', flushIntervalConsumeQueue: 60_000 },
    skip: false,
    killAcks: [7000, 8000],
  },
];

function storeConfig(dir: string, extra: Record<string, unknown>) {
  return {
    storePathRootDir: dir,
    flushDiskType: 'SYNC_FLUSH',
    mappedFileSizeCommitLog: SEGMENT_BYTES,
    mappedFileSizeConsumeQueue: 20 * 1000,
    maxMessageSize: 4096,
    logLevel: 'warn',
    ...extra,
  };
}

describe(`crash by SIGKILL under SYNC_FLUSH (seed ${SEED})`, () => {
  for (const [index, variant] of VARIANTS.entries()) {
    const title = `${variant.name}: ${variant.rounds} kill rounds, every acked message survives intact`;
    it.skipIf(variant.skip !== false)(variant.skip === false ? title : `${title} — ${variant.skip}`, async () => {
      const rand = prng(SEED + index);
      const dir = newDir();
      const work = newDir();
      const config = storeConfig(dir, variant.store);
      const acked: Ack[] = [];
      let rawEnd = 0;
      const log: string[] = [];
      for (let round = 0; round < variant.rounds; round++) {
        const where = `round ${round} (seed ${SEED})`;
        const ackedFile = join(work, `acked-${round}.json`);
        writeFileSync(ackedFile, JSON.stringify(acked));
        const [killMin, killMax] = variant.killAcks ?? [200, 3000];
        const killAfter = killMin + Math.floor(rand() * (killMax - killMin));
        const base = round * SEQ_PER_ROUND;
        const w = new WriterProcess({
          store: config,
          topic: TOPIC,
          queues: QUEUES,
          maxPadBytes: 1024,
          startSeq: base,
          inflight: 64 + Math.floor(rand() * 193),
          maxPuts: SEQ_PER_ROUND - 1,
          runMs: 60_000,
          ...(round > 0 ? { verifyAckedFile: ackedFile } : {}),
        });
        writers.push(w);
        await w.waitForAcks(killAfter, 45_000);
        // The experiment: a random extra moment inside the next group commit(s).
        await new Promise((resolve) => setTimeout(resolve, rand() * 8));
        w.kill('SIGKILL');
        const exit = await w.finished(15_000);
        expect(exit.signal, `${where}: the writer must die by our SIGKILL\n${w.describe()}`).toBe('SIGKILL');

        if (round > 0) {
          // The child recovered what the previous kill left and checked it before writing.
          const recovery = (w.opened?.recovery ?? null) as Parameters<typeof corruptionOffset>[0];
          expect(w.verify, `${where}: the child verified the recovered store`).not.toBeNull();
          expect.soft(w.verify!.problems, `${where}: child's check of the recovered store`).toEqual([]);
          expect(recovery?.endOffset, `${where}: recovery ends where the raw records end`).toBe(rawEnd);
          // The abort file survived the kill: the recovery was the abnormal one (it zeroes the tail).
          expect(recovery?.zeroedTail, `${where}: abnormal recovery after the kill`).toBe(true);
          const torn = corruptionOffset(recovery);
          if (torn !== null) expect(torn, `${where}: recovery met a bad record before the last ack`).toBeGreaterThanOrEqual(ackedEnd(acked));
        }
        acked.push(...w.acks);

        // The files as the crash left them (no recovery yet).
        const raw = scanCommitLog(join(dir, 'commitlog'), SEGMENT_BYTES, { topic: TOPIC, queues: QUEUES });
        expect(raw.problems, `${where}: raw scan after the kill`).toEqual([]);
        expect(checkAcked(raw, acked), `${where}: acked messages in the raw files`).toEqual([]);
        const prefix = checkPrefix(raw, base, base + SEQ_PER_ROUND);
        expect(prefix.problems, `${where}: this run's messages are a prefix (no holes)`).toEqual([]);
        expect(prefix.count).toBeGreaterThanOrEqual(w.acks.length);
        rawEnd = raw.endOffset;
        log.push(`${where}: killed after ${w.acks.length} acks (target ${killAfter}), ${prefix.count} of the run on disk, log end ${rawEnd}, stop: ${raw.stopReason}`);
      }

      const check = await reopenAndCheck(config, TOPIC, QUEUES, acked);
      expect(check.recovery?.endOffset, 'final recovery ends where the raw records end').toBe(rawEnd);
      expect(check.maxPhyOffset).toBe(rawEnd);
      expect.soft(check.problems, `final check (seed ${SEED})\n${check.logLines.join('\n')}`).toEqual([]);
      expect(check.scan.records).toBeGreaterThanOrEqual(acked.length);
      for (let round = 0; round < variant.rounds; round++) {
        expect(checkPrefix(check.scan, round * SEQ_PER_ROUND, (round + 1) * SEQ_PER_ROUND).problems).toEqual([]);
      }
      // A clean close after the check: the next open is normal and sees the same log.
      const again = await reopenAndCheck(config, TOPIC, QUEUES, acked);
      expect(again.maxPhyOffset).toBe(rawEnd);
      expect.soft(again.problems, 'after a clean close and a normal reopen').toEqual([]);
      console.log(`[crash-sigkill] ${variant.name}: ${acked.length} acked, ${check.scan.records} records, ${check.scan.files.length} segments\n  ${log.join('\n  ')}`);
    }, 120_000);
  }
});
