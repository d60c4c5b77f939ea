// The store's status snapshot (runtimeInfo): positions, backlogs, put counters, health, and the
// last recovery, as one plain JSON object for the CLI, admin and metrics.
import type { RecoveryResult } from '../commitlog/recovery.js';
import type { StoreCore } from './store-core.js';

export interface StoreRuntimeInfo {
  brokerRole: string;
  ioBackend: string;
  writeMode: string;
  persistencePlacement: string;
  /** Benchmarks: the emulated device class, or 'none'. */
  emulatedDevice: string;
  flushDiskType: string;
  transientStorePoolEnable: boolean;
  transientStorePoolAvailable: number | null;
  minPhyOffset: number;
  maxPhyOffset: number;
  wroteOffset: number;
  committedOffset: number;
  flushedOffset: number;
  /** The replication policy's confirm offset (consumers see records below it), or null when it sets none. */
  confirmOffset: number | null;
  commitBehindBytes: number;
  flushBehindBytes: number;
  dispatchBehindMessages: number;
  putMessageTimesTotal: number;
  putTps: number;
  diskFull: boolean;
  serviceFailure: string | null;
  lastRecovery: RecoveryResult | null;
}

export function runtimeInfo(core: StoreCore): StoreRuntimeInfo {
  const { commitLog, config, pool, health } = core;
  const block = commitLog.block;
  // Read in the order the positions move (flushed <= committed <= wrote) so a snapshot taken
  // while they move never shows flushed ahead of committed.
  const flushed = block.load('flushed');
  const committed = block.load('committed');
  const wrote = block.load('wrote');
  const diskFull = block.load('diskFull');
  return {
    brokerRole: core.policy.role,
    ioBackend: core.io.backend,
    writeMode: commitLog.writeMode,
    persistencePlacement: core.runner?.placement ?? 'not started',
    emulatedDevice: config.emulateDevice,
    flushDiskType: config.flushDiskType,
    transientStorePoolEnable: pool !== null,
    transientStorePoolAvailable: pool?.available ?? null,
    minPhyOffset: commitLog.minOffset,
    maxPhyOffset: committed,
    wroteOffset: wrote,
    committedOffset: committed,
    flushedOffset: flushed,
    confirmOffset: core.policy.confirmOffset(),
    commitBehindBytes: wrote - committed,
    flushBehindBytes: committed - flushed,
    dispatchBehindMessages: core.dispatch.pending,
    putMessageTimesTotal: core.putCount,
    putTps: core.timers.putTps(core.putCount),
    diskFull: health.diskFullReason !== null || diskFull !== 0,
    serviceFailure: health.serviceFailure,
    lastRecovery: core.lastRecovery,
  };
}
