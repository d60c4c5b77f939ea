// The store's periodic disk check (cleanResourceInterval): refuse puts while the disk is above
// diskSpaceWarningLevelRatio (StoreHealth.diskFullReason; puts resume below it), then delete what
// retention allows. Retention closes ConsumeQueue files, so it is skipped while an fdatasync of
// the last ConsumeQueue round may be running on one of them, and while a live truncation runs;
// the next check does it.
import type { DiskUsageProbe } from './disk-space.js';
import { diskPressure } from './disk-space.js';
import { runRetention } from './retention.js';
import type { StoreCore } from './store-core.js';

export function checkDiskAndRetention(core: StoreCore, diskUsage: DiskUsageProbe, retentionBlocked: boolean): void {
  const { health, logger, config } = core;
  const pressure = diskPressure(diskUsage(config.storePathCommitLog), config);
  const percent = (pressure.usedRatio * 100).toFixed(1);
  if (pressure.full && health.diskFullReason === null) {
    health.diskFullReason = `disk ${percent}% used, at or above diskSpaceWarningLevelRatio=${config.diskSpaceWarningLevelRatio}`;
    logger.error(`${health.diskFullReason}: puts are refused until space frees`);
  } else if (!pressure.full && health.diskFullReason !== null) {
    health.diskFullReason = null;
    logger.info(`disk ${percent}% used: puts resume`);
  }
  if (retentionBlocked || core.truncating) return;
  runRetention(core.commitLog, core.consumeQueues, config, pressure, new Date(core.clock.nowMs()), logger.child('retention'));
}
