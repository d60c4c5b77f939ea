// Issue 14 item 3 on a real file system: a 64 MiB tmpfs that another file fills to 87 % (above
// diskSpaceCleanForciblyRatio=85, below diskSpaceWarningLevelRatio=90) while a SYNC_FLUSH store
// keeps putting, with the real statfs probe and 1 MiB segments.
//   default (cleanFileForciblyEnable=false): no segment is deleted, puts are refused with a
//     clear status and reason once the disk passes 90 %, and after a reopen every PUT_OK
//     message is there;
//   cleanFileForciblyEnable=true: RocketMQ's behaviour, the oldest segments (acknowledged,
//     never consumed) are deleted with a WARN each.
// Needs root (mount); skips with the reason otherwise.
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { GetMessageStatus, PutMessageStatus, type PutMessageResult } from '../../src/store/statuses.js';
import { memoryLogger } from '../../src/util/logger.js';
import { missingPrerequisite, mountTmpfs, type MountedFs } from '../helpers/loop-fs.js';
import { hasAddon } from '../helpers/native.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { bodyOf, waitCommitted, waitUntil } from '../helpers/store-harness.js';

const FS_BYTES = 64 * 1024 * 1024;
const TOPIC = 'Full';
const QUEUES = 4;
const BODY_BYTES = 1024;
const MISSING = missingPrerequisite(['mount', 'umount'], false);
skipNotice('disk-full-retention.test.ts (tmpfs mount)', MISSING);

const mounts: MountedFs[] = [];
afterAll(() => {
  for (const m of mounts) m.cleanup();
});

function storeConfig(root: string, forcibly: boolean): Record<string, unknown> {
  return {
    storePathRootDir: root,
    ioBackend: hasAddon ? 'native' : 'node',
    flushDiskType: 'SYNC_FLUSH',
    mappedFileSizeCommitLog: 1024 * 1024,
    maxMessageSize: 64 * 1024,
    mappedFileSizeConsumeQueue: 20 * 4096,
    flushServiceInWorker: false,
    cleanResourceInterval: 20,
    flushIntervalCommitLog: 5,
    cleanFileForciblyEnable: forcibly,
    logLevel: 'warn',
  };
}

function usedRatio(dir: string): number {
  const st = statfsSync(dir);
  return 1 - st.bavail / st.blocks;
}

/** Grow `path` until the file system holding it is `ratio` used (bounded by its size). */
function fillTo(path: string, ratio: number): void {
  const chunk = new Uint8Array(256 * 1024).fill(0xa5);
  const fd = openSync(path, 'a');
  try {
    for (let i = 0; i < FS_BYTES / chunk.byteLength && usedRatio(join(path, '..')) < ratio; i++) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

async function put(store: MessageStore, seq: number): Promise<PutMessageResult> {
  return store.putMessage({ topic: TOPIC, queueId: seq % QUEUES, body: bodyOf(seq, BODY_BYTES) });
}

describe.skipIf(MISSING !== null)(`disk full on a 64 MiB tmpfs, retention${MISSING ? ` — SKIPPED: ${MISSING}` : ''}`, () => {
  it('default: nothing acknowledged is deleted, puts are refused with a reason, every PUT_OK message reads back after reopen', async () => {
    const fs = mountTmpfs(FS_BYTES);
    mounts.push(fs);
    const root = join(fs.mountPoint, 'store');
    mkdirSync(root);
    const logger = memoryLogger();
    const config = storeConfig(root, false);
    const acked = new Map<number, PutMessageResult>();
    const refusals: PutMessageResult[] = [];
    const store = await MessageStore.open(config, { logger });
    try {
      let seq = 0;
      for (; seq < 3000; seq++) {
        const r = await put(store, seq);
        expect(r.status).toBe(PutMessageStatus.PUT_OK);
        acked.set(seq, r);
      }
      fillTo(join(fs.mountPoint, 'other-file'), 0.87);
      const deadline = performance.now() + 60_000;
      for (; refusals.length < 50 && seq < 100_000 && performance.now() < deadline; seq++) {
        const r = await put(store, seq);
        if (r.status === PutMessageStatus.PUT_OK) acked.set(seq, r);
        else refusals.push(r);
      }
      expect(refusals.length).toBe(50);
      expect([PutMessageStatus.SERVICE_NOT_AVAILABLE, PutMessageStatus.CREATE_MAPPED_FILE_FAILED]).toContain(refusals.at(-1)!.status);
      expect(refusals.at(-1)!.reason ?? '').not.toBe('');
      expect(store.getMinPhyOffset()).toBe(0);
      await waitUntil(() => logger.lines.some((l) => l.includes('holds unconsumed messages')), 'retention says why it keeps the oldest segment');
      expect(logger.lines.some((l) => /retention: deleting|FORCED/.test(l))).toBe(false);
    } finally {
      await store.close();
    }
    rmSync(join(fs.mountPoint, 'other-file'));
    const reopened = await MessageStore.open(config, { logger: memoryLogger() });
    try {
      await waitCommitted(reopened);
      const bySeq = [...acked.keys()];
      for (let q = 0; q < QUEUES; q++) {
        const mine = bySeq.filter((s) => s % QUEUES === q);
        const got: number[] = [];
        for (let offset = 0; offset < reopened.getMaxOffsetInQueue(TOPIC, q); ) {
          const r = await reopened.getMessage({ group: 'check', topic: TOPIC, queueId: q, offset, maxMsgNums: 32 });
          expect(r.status).toBe(GetMessageStatus.FOUND);
          for (const m of r.messages) {
            const s = mine[m.queueOffset]!;
            expect(Buffer.from(m.body!).equals(Buffer.from(bodyOf(s, BODY_BYTES)))).toBe(true);
            got.push(s);
          }
          offset = r.nextBeginOffset;
        }
        // every acknowledged message of the queue, in order (a refused put never took a queue offset)
        expect(got.slice(0, mine.length)).toEqual(mine);
      }
    } finally {
      await reopened.close();
    }
  }, 120_000);

  it('cleanFileForciblyEnable=true: the oldest (unconsumed) segments are deleted, with a WARN each', async () => {
    const fs = mountTmpfs(FS_BYTES);
    mounts.push(fs);
    const root = join(fs.mountPoint, 'store');
    mkdirSync(root);
    const logger = memoryLogger();
    const store = await MessageStore.open(storeConfig(root, true), { logger });
    try {
      expect(logger.lines.some((l) => l.startsWith('WARN') && l.includes('cleanFileForciblyEnable=true'))).toBe(true);
      let seq = 0;
      for (; seq < 3000; seq++) expect((await put(store, seq)).status).toBe(PutMessageStatus.PUT_OK);
      fillTo(join(fs.mountPoint, 'other-file'), 0.87);
      const deadline = performance.now() + 60_000;
      for (; store.getMinPhyOffset() === 0 && seq < 100_000 && performance.now() < deadline; seq++) await put(store, seq);
      expect(store.getMinPhyOffset()).toBeGreaterThan(0);
      expect(logger.lines.some((l) => l.startsWith('WARN') && l.includes('FORCED deletion') && l.includes('never consumed'))).toBe(true);
      const r = await store.getMessage({ group: 'g', topic: TOPIC, queueId: 0, offset: 0, maxMsgNums: 1 });
      expect(r.status).toBe(GetMessageStatus.OFFSET_TOO_SMALL); // acknowledged messages are gone
    } finally {
      await store.close();
    }
  }, 120_000);
});
