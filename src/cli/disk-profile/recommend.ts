// Recommended store settings for the measured device, one per RocketMQ key, each with a one-line
// reason built from the measured figures. The set is consistent: pasted together into broker.conf
// it loads without a warning (commitMode=direct only with the pool, and only where O_DIRECT
// works). The ASYNC_FLUSH keys are given even when SYNC_FLUSH is recommended, so switching modes
// later keeps tuned values.
//
//   key                        rule (thresholds are the constants below)
//   flushDiskType              SYNC_FLUSH when its estimate at 256 in flight >= 50% of ASYNC_FLUSH's
//   flushIntervalCommitLog     smallest of 50..1000 ms where a flush at the full ASYNC rate takes
//                              <= 50% of the interval and fdatasync p99 <= 10% of it
//   flushCommitLogLeastPages   fdatasync p50 x bandwidth in 4 KiB pages, clamped to [4, 1024]
//   transientStorePoolEnable   O_DIRECT works, reaches >= 80% of buffered bandwidth, pool <= 25% RAM
//   commitMode                 direct exactly when the pool is recommended, else pwrite
//   writeWithoutMmap           native backend, no pool, and one ASYNC flush at full rate >= 5 ms
//   warmMapedFileEnable        mmap writes in use and overwrite >= 1.5x first write into a new segment
//   syncFlushTimeout           max(default, 20 x the slowest fdatasync seen)
import { DEFAULT_STORE_CONFIG, OS_PAGE_SIZE_BYTES } from '../../config/store-config.js';
import { assert } from '../../util/assert.js';
import { asyncFlushRate, modelInputs, type ModelInputs } from './estimates.js';
import { fmtCount, fmtGiB, fmtMiB, fmtMiBPerS, fmtMs, fmtPercent } from './format-units.js';
import type { DiskMeasurements, Estimates, Recommendation } from './report-types.js';

/** SYNC_FLUSH is recommended when it keeps at least this share of ASYNC_FLUSH's msg/s. */
export const SYNC_FLUSH_WORTH_FRACTION = 0.5;
const FLUSH_INTERVAL_MAX_MS = 1000;
const FLUSH_INTERVAL_CANDIDATES_MS = [50, 100, 200, 500, FLUSH_INTERVAL_MAX_MS] as const;
/** A periodic flush at full rate should take at most this share of its interval... */
const FLUSH_BUSY_SHARE_MAX = 0.5;
/** ...and its fdatasync (p99) at most this share. */
const FDATASYNC_SHARE_MAX = 0.1;
const LEAST_PAGES_MIN = 4;
const LEAST_PAGES_MAX = 1024;
/** O_DIRECT commits are recommended when they reach this share of buffered bandwidth. */
const DIRECT_MIN_SHARE = 0.8;
/** The TransientStorePool (pool size x segment size, pinned) may take at most this share of RAM. */
const POOL_RAM_SHARE_MAX = 0.25;
/** An ASYNC_FLUSH flush longer than this makes mmap puts that touch pages under writeback stall. */
const WRITEBACK_STALL_MS = 5;
/** Warm-up pays when written pages take writes this many times faster than a new segment. */
const WARM_SPEEDUP_MIN = 1.5;
/** syncFlushTimeout should be at least this many worst-case fdatasyncs. */
const SYNC_TIMEOUT_FDATASYNCS = 20;

const defaults = {
  flushIntervalMs: DEFAULT_STORE_CONFIG.flushIntervalCommitLog.default as number,
  thoroughMs: DEFAULT_STORE_CONFIG.flushCommitLogThoroughInterval.default as number,
  commitIntervalMs: DEFAULT_STORE_CONFIG.commitIntervalCommitLog.default as number,
  poolSize: DEFAULT_STORE_CONFIG.transientStorePoolSize.default as number,
  segmentBytes: DEFAULT_STORE_CONFIG.mappedFileSizeCommitLog.default as number,
  syncFlushTimeoutMs: DEFAULT_STORE_CONFIG.syncFlushTimeout.default as number,
};

interface FlushPlan {
  intervalMs: number;
  flushMs: number;
  flushBytes: number;
  reason: string;
}

export function recommend(m: DiskMeasurements, e: Estimates): Recommendation[] {
  const x = modelInputs(m);
  const flush = flushIntervalPlan(m, x);
  const sync = syncFlushChoice(m, e);
  const pool = poolChoice(m);
  const withoutMmap = writeWithoutMmapChoice(m, flush, pool.enable);
  return [
    sync,
    { key: 'flushIntervalCommitLog', value: String(flush.intervalMs), reason: flush.reason },
    leastPagesChoice(m, x),
    { key: 'transientStorePoolEnable', value: String(pool.enable), reason: pool.reason },
    commitModeChoice(m, pool.enable),
    withoutMmap,
    warmChoice(m, sync.value === 'ASYNC_FLUSH' && !pool.enable && withoutMmap.value === 'false'),
    syncFlushTimeoutChoice(m),
  ];
}

function estimate(e: Estimates, mode: string): number {
  const found = e.modes.find((r) => r.mode === mode);
  assert(found !== undefined, `disk-profile: no estimate for mode ${mode}`);
  return found.msgPerS;
}

function syncFlushChoice(m: DiskMeasurements, e: Estimates): Recommendation {
  const asyncRate = estimate(e, 'ASYNC_FLUSH');
  const syncRate = estimate(e, 'SYNC_FLUSH');
  const share = syncRate / asyncRate;
  const worth = share >= SYNC_FLUSH_WORTH_FRACTION;
  const inFlight = e.groupCommit.inFlightForTarget;
  const sizing = inFlight === null ? 'the disk bandwidth caps SYNC_FLUSH below that' : `~${fmtCount(inFlight)} puts in flight reach ${fmtPercent(e.groupCommit.targetFraction)} of it`;
  return {
    key: 'flushDiskType',
    value: worth ? 'SYNC_FLUSH' : 'ASYNC_FLUSH',
    reason:
      `one group commit costs an fdatasync (p50 ${fmtMs(m.fdatasync.p50Ms)} ms): SYNC_FLUSH ~${fmtCount(syncRate)} msg/s at 256 in flight = ` +
      `${fmtPercent(share)} of ASYNC_FLUSH ~${fmtCount(asyncRate)} msg/s (estimates; ${sizing}); ` +
      (worth ? 'per-put durability is cheap on this device' : `below ${fmtPercent(SYNC_FLUSH_WORTH_FRACTION)}: use ASYNC_FLUSH and SYNC_MASTER replication for durability`),
  };
}

function flushIntervalPlan(m: DiskMeasurements, x: ModelInputs): FlushPlan {
  const writeBytesPerMs = asyncFlushRate(x).perMs * x.recordBytes;
  const share = writeBytesPerMs / x.bandwidthBytesPerMs;
  const f99 = m.fdatasync.p99Ms;
  const plan = (intervalMs: number): Omit<FlushPlan, 'reason'> => ({ intervalMs, flushMs: f99 + intervalMs * share, flushBytes: intervalMs * writeBytesPerMs });
  const rateText = `${fmtMiBPerS((writeBytesPerMs * 1000) / 2 ** 20)} of records (estimated ASYNC_FLUSH rate)`;
  const fits = FLUSH_INTERVAL_CANDIDATES_MS.map(plan).find((p) => p.flushMs <= FLUSH_BUSY_SHARE_MAX * p.intervalMs && f99 <= FDATASYNC_SHARE_MAX * p.intervalMs);
  if (fits) {
    return {
      ...fits,
      reason:
        `ASYNC_FLUSH: at ${rateText} a flush every ${fits.intervalMs} ms writes ~${fmtMiB(fits.flushBytes)} in ~${fmtMs(fits.flushMs)} ms ` +
        `(fdatasync p99 ${fmtMs(f99)} ms + transfer at ${fmtMiBPerS(m.sequentialWrite.mibPerS)}), within half the interval; ` +
        `data at risk on power loss ~${fmtMiB(fits.flushBytes)} (default ${defaults.flushIntervalMs} ms: ~${fmtMiB(defaults.flushIntervalMs * writeBytesPerMs)})`,
    };
  }
  if (share >= FLUSH_BUSY_SHARE_MAX) {
    const p = plan(defaults.flushIntervalMs);
    return {
      ...p,
      reason: `ASYNC_FLUSH: ${rateText} is ${fmtPercent(share)} of the disk's ${fmtMiBPerS(m.sequentialWrite.mibPerS)}, so the flusher is busy at any interval; keep the default (data at risk ~${fmtMiB(p.flushBytes)})`,
    };
  }
  const p = plan(FLUSH_INTERVAL_MAX_MS);
  return {
    ...p,
    reason: `ASYNC_FLUSH: fdatasync p99 ${fmtMs(f99)} ms is long, so flush at most once a second to keep the fdatasync share low (data at risk ~${fmtMiB(p.flushBytes)})`,
  };
}

function leastPagesChoice(m: DiskMeasurements, x: ModelInputs): Recommendation {
  const bdpBytes = m.fdatasync.p50Ms * x.bandwidthBytesPerMs;
  const pages = Math.min(LEAST_PAGES_MAX, Math.max(LEAST_PAGES_MIN, Math.ceil(bdpBytes / OS_PAGE_SIZE_BYTES)));
  return {
    key: 'flushCommitLogLeastPages',
    value: String(pages),
    reason:
      `ASYNC_FLUSH: a flush smaller than fdatasync p50 x bandwidth = ${fmtMs(m.fdatasync.p50Ms)} ms x ${fmtMiBPerS(m.sequentialWrite.mibPerS)} = ${fmtMiB(bdpBytes)} ` +
      `is mostly latency; ${pages} pages (${fmtMiB(pages * OS_PAGE_SIZE_BYTES)}, clamped to [${LEAST_PAGES_MIN}, ${LEAST_PAGES_MAX}]) per flush; ` +
      `less than that waits at most flushCommitLogThoroughInterval (${defaults.thoroughMs} ms)`,
  };
}

function poolChoice(m: DiskMeasurements): { enable: boolean; reason: string } {
  const poolBytes = defaults.poolSize * defaults.segmentBytes;
  const poolText = `${defaults.poolSize} x ${fmtGiB(defaults.segmentBytes)} = ${fmtGiB(poolBytes)} of ${fmtGiB(m.memoryBytes)} RAM`;
  const d = m.directIo;
  if (!d.works || !d.write) {
    return { enable: false, reason: `O_DIRECT does not work here (${d.reason}), so the pool would only add a copy; writeWithoutMmap gives the staging-buffer path without pinning ${fmtGiB(poolBytes)}` };
  }
  const share = d.write.mibPerS / m.sequentialWrite.mibPerS;
  const directText = `O_DIRECT writes ${fmtMiBPerS(d.write.mibPerS)} = ${fmtPercent(share)} of buffered ${fmtMiBPerS(m.sequentialWrite.mibPerS)}`;
  if (share < DIRECT_MIN_SHARE) {
    return { enable: false, reason: `${directText} (< ${fmtPercent(DIRECT_MIN_SHARE)}): a direct-commit pool would slow the commit; writeWithoutMmap gives the staging-buffer path without the pool` };
  }
  if (poolBytes > POOL_RAM_SHARE_MAX * m.memoryBytes) {
    return { enable: false, reason: `${directText}, but the pool (${poolText}) is more than ${fmtPercent(POOL_RAM_SHARE_MAX)} of RAM; lower transientStorePoolSize/mappedFileSizeCommitLog to use it` };
  }
  return {
    enable: true,
    reason: `${directText}: puts fill pooled buffers and the commit service writes them with O_DIRECT, keeping the page cache for readers; pool ${poolText}; a process crash can lose up to commitIntervalCommitLog (${defaults.commitIntervalMs} ms) of acknowledged puts`,
  };
}

function commitModeChoice(m: DiskMeasurements, poolEnabled: boolean): Recommendation {
  const direct = m.directIo.write;
  if (poolEnabled && direct) {
    return { key: 'commitMode', value: 'direct', reason: `O_DIRECT works in this directory (${fmtMiBPerS(direct.mibPerS)}) and the pool is recommended: commit pool buffers with O_DIRECT` };
  }
  const why = direct ? `O_DIRECT works (${fmtMiBPerS(direct.mibPerS)}) but without the TransientStorePool commitMode has no effect` : `O_DIRECT does not work here (${m.directIo.reason})`;
  return { key: 'commitMode', value: 'pwrite', reason: `${why}: positional writes into the page cache` };
}

function writeWithoutMmapChoice(m: DiskMeasurements, flush: FlushPlan, poolEnabled: boolean): Recommendation {
  const base = `SYNC_FLUSH always writes through a staging buffer; for ASYNC_FLUSH`;
  const slow = flush.flushMs >= WRITEBACK_STALL_MS;
  if (m.ioBackend !== 'native') {
    return {
      key: 'writeWithoutMmap',
      value: 'false',
      reason: `the ${m.ioBackend} IO backend has no mmap, so every write already goes through a staging buffer (with the native addon: ${slow}, as one flush at full rate takes ~${fmtMs(flush.flushMs)} ms)`,
    };
  }
  if (poolEnabled) {
    return {
      key: 'writeWithoutMmap',
      value: 'false',
      reason: `${base} the recommended TransientStorePool already writes through buffers, so this key has no effect (without the pool: ${slow}, as one flush at full rate takes ~${fmtMs(flush.flushMs)} ms ${slow ? '>=' : '<'} ${WRITEBACK_STALL_MS} ms)`,
    };
  }
  return {
    key: 'writeWithoutMmap',
    value: String(slow),
    reason: slow
      ? `${base} one flush at full rate takes ~${fmtMs(flush.flushMs)} ms (>= ${WRITEBACK_STALL_MS} ms): an mmap put touching a page under writeback waits that long, a staging-buffer put does not; cost: a process crash can lose up to commitIntervalCommitLog (${defaults.commitIntervalMs} ms) of acknowledged puts`
      : `${base} one flush at full rate takes only ~${fmtMs(flush.flushMs)} ms (< ${WRITEBACK_STALL_MS} ms): mmap puts seldom wait on writeback, and mmap keeps acknowledged puts safe from a process crash`,
  };
}

function warmChoice(m: DiskMeasurements, mmapWrites: boolean): Recommendation {
  const a = m.allocation;
  const newFile = a.fallocateSupported ? a.firstWritePreallocated : a.firstWriteSparse;
  const kind = a.fallocateSupported ? 'fallocated' : 'sparse';
  const speedup = a.overwrite.mibPerS / newFile.mibPerS;
  const pays = speedup >= WARM_SPEEDUP_MIN;
  const figures =
    `first write into a new ${kind} segment ${fmtMiBPerS(newFile.mibPerS)} vs ${fmtMiBPerS(a.overwrite.mibPerS)} into written pages (x${speedup.toFixed(2)}` +
    `${pays ? '' : ` < x${WARM_SPEEDUP_MIN}`})`;
  if (!mmapWrites || m.ioBackend !== 'native') {
    return {
      key: 'warmMapedFileEnable',
      value: 'false',
      reason: `warm-up pre-touches mmap'd segments and the recommended settings write without mmap, so it has no effect; with mmap writes: ${pays ? 'enable it' : 'leave it off'}, ${figures}`,
    };
  }
  return {
    key: 'warmMapedFileEnable',
    value: String(pays),
    reason: pays
      ? `${figures}: touching each new segment off the put path pays for its extra write of the segment`
      : `${figures}: warming would cost an extra write of each segment for little`,
  };
}

function syncFlushTimeoutChoice(m: DiskMeasurements): Recommendation {
  const neededMs = Math.ceil((SYNC_TIMEOUT_FDATASYNCS * m.fdatasync.maxMs) / 1000) * 1000;
  const value = Math.max(defaults.syncFlushTimeoutMs, neededMs);
  return {
    key: 'syncFlushTimeout',
    value: String(value),
    reason: `SYNC_FLUSH: the slowest fdatasync seen was ${fmtMs(m.fdatasync.maxMs)} ms; ${value} ms covers ${fmtCount(value / Math.max(m.fdatasync.maxMs, 0.001))} of them before a put returns FLUSH_DISK_TIMEOUT`,
  };
}
