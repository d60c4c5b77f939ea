// The store's periodic disk check (cleanResourceInterval): refuse puts while the disk is above
// diskSpaceWarningLevelRatio (StoreHealth.diskFullReason; puts resume below it), then delete what
// retention allows (retention.ts: by default never a segment with unconsumed messages that has
// not expired). Retention closes ConsumeQueue files, so it is skipped while an fdatasync of
// the last ConsumeQueue round may be running on one of them, and while a live truncation runs;
// the next check does it. Why retention keeps a segment under pressure is logged when it starts
// to, and is part of the refusal's reason.
import type { MessageStoreConfig } from '../config/store-config.js';
import type { Logger } from '../util/logger.js';
import type { DiskUsageProbe } from './disk-space.js';
import { diskPressure } from './disk-space.js';
import { runRetention } from './retention.js';
import type { StoreCore } from './store-core.js';

/** Per store: why retention last kept a segment under pressure (logged once per change). */
const keptBecause = new WeakMap<StoreCore, string | null>();

export function checkDiskAndRetention(core: StoreCore, diskUsage: DiskUsageProbe, retentionBlocked: boolean): void {
  const { health, logger, config } = core;
  const pressure = diskPressure(diskUsage(config.storePathCommitLog), config);
  const percent = (pressure.usedRatio * 100).toFixed(1);
  if (pressure.full && health.diskFullReason === null) {
    const kept = keptBecause.get(core);
    health.diskFullReason =
      `disk ${percent}% used, at or above diskSpaceWarningLevelRatio=${config.diskSpaceWarningLevelRatio}` +
      (kept ? `; nothing can be deleted without losing messages (${kept})` : '');
    logger.error(`${health.diskFullReason}: puts are refused until space frees`);
  } else if (!pressure.full && health.diskFullReason !== null) {
    health.diskFullReason = null;
    logger.info(`disk ${percent}% used: puts resume`);
  }
  if (retentionBlocked || core.truncating) return;
  const r = runRetention(core.commitLog, core.consumeQueues, core.offsets, config, pressure, new Date(core.clock.nowMs()), logger.child('retention'));
  const before = keptBecause.get(core) ?? null;
  keptBecause.set(core, r.keptBecause);
  if (r.keptBecause !== null && before === null) {
    logger.warn(
      `retention: disk ${percent}% used (diskSpaceCleanForciblyRatio=${config.diskSpaceCleanForciblyRatio}) but ${r.keptBecause}; ` +
        `puts are refused at diskSpaceWarningLevelRatio=${config.diskSpaceWarningLevelRatio}: free space, let consumers catch up, or set cleanFileForciblyEnable=true to delete unconsumed messages`,
    );
  }
}

/** The loud start-up warning for RocketMQ's forced cleanup. */
export function warnIfForcedCleanup(config: Readonly<MessageStoreConfig>, logger: Logger): void {
  if (!config.cleanFileForciblyEnable) return;
  logger.warn(
    `cleanFileForciblyEnable=true: above diskSpaceCleanForciblyRatio=${config.diskSpaceCleanForciblyRatio}% disk use the oldest CommitLog ` +
      'segments are deleted even when they hold acknowledged messages no consumer has read (RocketMQ behaviour); set it to false to refuse puts instead',
  );
}
