// The store's own ASYNC_FLUSH put rate on this machine: a MessageStore in a subdirectory of the
// scratch directory, `inFlight` producers putting `payloadBytes` bodies in a closed loop, first
// for a warm-up (not counted), then for the measured duration, and never more than `maxBytes` of
// bodies in all. Under ASYNC_FLUSH a put does not wait for the disk, so this is the CPU-bound
// rate that the flush and replication estimates are capped by. The average record size comes
// from the CommitLog's end offset. The store is closed (and its directory left to the caller's
// scratch cleanup) whatever happens.
import { join } from 'node:path';
import { ErrorCode, StoreError } from '../../errors.js';
import { MessageStore } from '../../store/message-store.js';
import { memoryLogger } from '../../util/logger.js';
import type { PutRateMeasurement } from './report-types.js';

export interface PutRatePlan {
  payloadBytes: number;
  inFlight: number;
  segmentBytes: number;
  maxBytes: number;
  warmupMs: number;
  durationMs: number;
}

interface LoopResult {
  ok: number;
  failed: number;
  firstFailure: string | null;
}

export async function measurePutRate(dir: string, plan: PutRatePlan): Promise<PutRateMeasurement> {
  const logger = memoryLogger(200);
  const store = await MessageStore.open(
    {
      storePathRootDir: join(dir, 'put-rate-store'),
      flushDiskType: 'ASYNC_FLUSH',
      mappedFileSizeCommitLog: plan.segmentBytes,
      maxMessageSize: 64 * 1024,
      listenPort: 0,
      logLevel: 'error',
    },
    // the profile checked free space itself; a nearly full disk must not refuse these few puts
    { logger, diskUsage: () => 0 },
  );
  try {
    const body = new Uint8Array(plan.payloadBytes).fill(0x6d);
    const maxPuts = Math.max(1, Math.floor(plan.maxBytes / plan.payloadBytes));
    const warm = await putLoop(store, body, plan.inFlight, Math.ceil(maxPuts / 4), plan.warmupMs);
    const startOffset = store.getMaxPhyOffset();
    const started = performance.now();
    const measured = await putLoop(store, body, plan.inFlight, maxPuts - warm.ok - warm.failed, plan.durationMs);
    const elapsedMs = performance.now() - started;
    const failure = warm.firstFailure ?? measured.firstFailure;
    if (measured.ok === 0 || failure !== null) {
      const lines = logger.lines.slice(-3).join(' | ');
      throw new StoreError(ErrorCode.IO, `disk-profile: the store refused puts while measuring its put rate (${failure ?? 'no put completed'})${lines ? `: ${lines}` : ''}`);
    }
    return {
      payloadBytes: plan.payloadBytes,
      recordBytes: (store.getMaxPhyOffset() - startOffset) / measured.ok,
      inFlight: plan.inFlight,
      puts: measured.ok,
      elapsedMs,
      msgPerS: measured.ok / (elapsedMs / 1000),
    };
  } finally {
    await store.close();
  }
}

/** `inFlight` producers putting until `maxPuts` have been issued or `durationMs` has passed. */
async function putLoop(store: MessageStore, body: Uint8Array, inFlight: number, maxPuts: number, durationMs: number): Promise<LoopResult> {
  const result: LoopResult = { ok: 0, failed: 0, firstFailure: null };
  const deadline = performance.now() + durationMs;
  let issued = 0;
  const producer = async (): Promise<void> => {
    while (issued < maxPuts && performance.now() < deadline && result.firstFailure === null) {
      issued++;
      const r = await store.putMessage({ topic: 'DiskProfile', queueId: 0, body });
      if (r.status === 'PUT_OK') result.ok++;
      else {
        result.failed++;
        result.firstFailure ??= r.status;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, producer));
  return result;
}
