// Expected msg/s per flush/replication mode, computed from the measured figures with a simple
// model; these are estimates, not measurements of the store in each mode (`npm start` measures
// those). Units inside: ms, bytes, and rates per ms; msg/s only in the results.
//
//   R   store put rate, ASYNC_FLUSH, in-process (CPU bound)        measured
//   rb  bytes per CommitLog record                                 measured
//   B   sequential write bandwidth, bytes/ms                       measured
//   f   fdatasync p50 of a 4 KiB append (one group commit)         measured
//   N   network bytes/ms, rtt round trip                           ASSUMED (not measured)
//
//   ASYNC_FLUSH                 min(R, B / rb)                     sustained: the flusher must keep up
//   SYNC_FLUSH, C in flight     min(R, C / (f + C*rb/B))           one fdatasync per group of C puts
//   SYNC_FLUSH, 1 in flight     1 / (1/R + f + rb/B)
//   + ASYNC_MASTER              min(mode, N / rb)                  replication off the put path
//   + SYNC_MASTER               min(mode, N / rb, C / max(flush of a group, rtt + C*rb/N))
//                               (flush and slave ack of a group run side by side; no flush
//                               wait under ASYNC_FLUSH)
//   in flight for a fraction q of ASYNC_FLUSH under SYNC_FLUSH (Little's law with transfer):
//                               C = q*A*f / (1 - q*A*rb/B),  A = ASYNC_FLUSH rate; none when q*A*rb/B >= 1
import type { DiskMeasurements, Estimates, ModeEstimate } from './report-types.js';

type Rate = { perMs: number; boundBy: ModeEstimate['boundBy'] };

export const ESTIMATE_IN_FLIGHT = 256;
export const GROUP_COMMIT_TARGET_FRACTION = 0.8;
export const ASSUMED_NETWORK_GBPS = 1;
export const ASSUMED_RTT_MS = 0.2;

export interface ModelInputs {
  putRatePerMs: number;
  recordBytes: number;
  bandwidthBytesPerMs: number;
  fdatasyncMs: number;
  networkBytesPerMs: number;
  rttMs: number;
}

export function modelInputs(m: DiskMeasurements): ModelInputs {
  return {
    putRatePerMs: m.putRate.msgPerS / 1000,
    recordBytes: m.putRate.recordBytes,
    bandwidthBytesPerMs: (m.sequentialWrite.mibPerS * 2 ** 20) / 1000,
    fdatasyncMs: m.fdatasync.p50Ms,
    networkBytesPerMs: (ASSUMED_NETWORK_GBPS * 1e9) / 8 / 1000,
    rttMs: ASSUMED_RTT_MS,
  };
}

/** ASYNC_FLUSH msg per ms and what bounds it. */
export function asyncFlushRate(x: ModelInputs): Rate {
  const diskPerMs = x.bandwidthBytesPerMs / x.recordBytes;
  return x.putRatePerMs <= diskPerMs ? { perMs: x.putRatePerMs, boundBy: 'cpu' } : { perMs: diskPerMs, boundBy: 'disk bandwidth' };
}

/** Time of one group commit of `inFlight` records: fdatasync + their transfer. */
export function groupCommitMs(x: ModelInputs, inFlight: number): number {
  return x.fdatasyncMs + (inFlight * x.recordBytes) / x.bandwidthBytesPerMs;
}

export function syncFlushRate(x: ModelInputs, inFlight: number): Rate {
  if (inFlight === 1) {
    const perMs = 1 / (1 / x.putRatePerMs + groupCommitMs(x, 1));
    return { perMs, boundBy: 'fdatasync latency' };
  }
  const diskPerMs = inFlight / groupCommitMs(x, inFlight);
  if (x.putRatePerMs <= diskPerMs) return { perMs: x.putRatePerMs, boundBy: 'cpu' };
  const transferShare = (inFlight * x.recordBytes) / x.bandwidthBytesPerMs / groupCommitMs(x, inFlight);
  return { perMs: diskPerMs, boundBy: transferShare > 0.5 ? 'disk bandwidth' : 'fdatasync latency' };
}

/** Puts in flight for SYNC_FLUSH to reach `fraction` of the ASYNC_FLUSH rate; null if the bandwidth cannot. */
export function inFlightForFraction(x: ModelInputs, fraction: number): number | null {
  const target = fraction * asyncFlushRate(x).perMs;
  const bandwidthShare = (target * x.recordBytes) / x.bandwidthBytesPerMs;
  if (bandwidthShare >= 1) return null;
  return Math.max(1, Math.ceil((target * x.fdatasyncMs) / (1 - bandwidthShare)));
}

function networkBound(x: ModelInputs, e: Rate): Rate {
  const netPerMs = x.networkBytesPerMs / x.recordBytes;
  return netPerMs < e.perMs ? { perMs: netPerMs, boundBy: 'network' } : e;
}

/** SYNC_MASTER on top of a flush mode: a group of `inFlight` puts also waits for the slave's ack
 *  (round trip + the group over the link), side by side with its flush (`flushGroupMs`, 0 under
 *  ASYNC_FLUSH). */
function syncMasterRate(x: ModelInputs, inFlight: number, base: Rate, flushGroupMs: number): Rate {
  const ackMs = x.rttMs + (inFlight * x.recordBytes) / x.networkBytesPerMs;
  const ackPerMs = inFlight / Math.max(flushGroupMs, ackMs);
  const net = networkBound(x, base);
  if (net.perMs <= ackPerMs) return net;
  return { perMs: ackPerMs, boundBy: ackMs >= flushGroupMs ? 'network' : 'fdatasync latency' };
}

export function estimateModes(m: DiskMeasurements): Estimates {
  const x = modelInputs(m);
  const c = ESTIMATE_IN_FLIGHT;
  const mode = (name: string, flushDiskType: ModeEstimate['flushDiskType'], brokerRole: ModeEstimate['brokerRole'], inFlight: number, e: Rate): ModeEstimate => ({
    mode: name,
    flushDiskType,
    brokerRole,
    inFlight,
    msgPerS: Math.round(e.perMs * 1000),
    boundBy: e.boundBy,
  });
  const asyncFlush = asyncFlushRate(x);
  const syncFlush = syncFlushRate(x, c);
  const syncFlushGroupMs = groupCommitMs(x, c);
  return {
    note:
      'estimates from the measured figures (model in src/cli/disk-profile/estimates.ts), not measurements of each mode: the extra CPU of the ' +
      'SYNC_FLUSH and SYNC_MASTER paths (waking waiters, acks) is not modelled, so those rows are upper bounds; `npm start` measures the modes',
    recordBytes: x.recordBytes,
    modes: [
      mode('ASYNC_FLUSH', 'ASYNC_FLUSH', null, c, asyncFlush),
      mode('SYNC_FLUSH', 'SYNC_FLUSH', null, c, syncFlush),
      mode('SYNC_FLUSH, 1 in flight', 'SYNC_FLUSH', null, 1, syncFlushRate(x, 1)),
      mode('ASYNC_FLUSH + ASYNC_MASTER', 'ASYNC_FLUSH', 'ASYNC_MASTER', c, networkBound(x, asyncFlush)),
      mode('SYNC_FLUSH + ASYNC_MASTER', 'SYNC_FLUSH', 'ASYNC_MASTER', c, networkBound(x, syncFlush)),
      mode('ASYNC_FLUSH + SYNC_MASTER', 'ASYNC_FLUSH', 'SYNC_MASTER', c, syncMasterRate(x, c, asyncFlush, 0)),
      mode('SYNC_FLUSH + SYNC_MASTER', 'SYNC_FLUSH', 'SYNC_MASTER', c, syncMasterRate(x, c, syncFlush, syncFlushGroupMs)),
    ],
    groupCommit: {
      inFlightForTarget: inFlightForFraction(x, GROUP_COMMIT_TARGET_FRACTION),
      targetFraction: GROUP_COMMIT_TARGET_FRACTION,
      groupCommitMsAt256: syncFlushGroupMs,
    },
    assumptions: {
      networkGbps: ASSUMED_NETWORK_GBPS,
      rttMs: ASSUMED_RTT_MS,
      note: `replication rows assume a ${ASSUMED_NETWORK_GBPS} Gbit/s link with ${ASSUMED_RTT_MS} ms round trip (not measured); the slave's own disk is assumed no slower than this one`,
    },
  };
}
