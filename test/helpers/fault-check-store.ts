// Reopen a store directory in this process after a fault and check it (fault-verify.ts):
// recovery result, raw CRC/gap/density scan up to the max physical offset, read-back of every
// queue, every acknowledged message present. Closes the store before returning.
import { basename, join } from 'node:path';
import { memoryLogger } from '../../src/util/logger.js';
import { MessageStore } from '../../src/store/message-store.js';
import { parseSegmentFileName } from '../../src/segment/segment-name.js';
import type { RecoveryResult } from '../../src/commitlog/recovery.js';
import { checkAcked, checkReadBack, scanCommitLog, type Ack, type LogScan } from './fault-verify.js';

export interface StoreCheck {
  recovery: RecoveryResult | null;
  maxPhyOffset: number;
  scan: LogScan;
  problems: string[];
  logLines: string[];
}

export async function reopenAndCheck(
  storeConfig: Record<string, unknown> & { storePathRootDir: string; mappedFileSizeCommitLog: number },
  topic: string,
  queues: number,
  acked: Iterable<Ack>,
): Promise<StoreCheck> {
  const logger = memoryLogger(500);
  const store = await MessageStore.open(storeConfig, { logger });
  try {
    const maxPhyOffset = store.getMaxPhyOffset();
    const scan = scanCommitLog(join(storeConfig.storePathRootDir, 'commitlog'), storeConfig.mappedFileSizeCommitLog, {
      topic,
      queues,
      upTo: maxPhyOffset,
      tailMustBeZero: true,
    });
    const problems = [...scan.problems, ...checkAcked(scan, acked), ...(await checkReadBack(store, scan, topic))];
    const recovery = store.runtimeInfo().lastRecovery;
    return { recovery, maxPhyOffset, scan, problems, logLines: logger.lines };
  } finally {
    await store.close();
  }
}

/** Absolute CommitLog offset of a recovery corruption report (file name + position). */
export function corruptionOffset(recovery: RecoveryResult | null): number | null {
  const c = recovery?.corruption;
  if (!c) return null;
  return (parseSegmentFileName(basename(c.file)) ?? Number.NaN) + c.position;
}

/** End (physical offset + size) of the furthest acknowledged record. */
export function ackedEnd(acked: Iterable<Ack>): number {
  let end = 0;
  for (const a of acked) end = Math.max(end, a.physicalOffset + a.wroteBytes);
  return end;
}
