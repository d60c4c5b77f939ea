// How full the store's disk is, and what that means (RocketMQ §2.7): above
// diskSpaceWarningLevelRatio the store refuses puts (SERVICE_NOT_AVAILABLE) until usage falls
// again; above diskMaxUsedSpaceRatio expired files may be deleted outside `deleteWhen`; above
// diskSpaceCleanForciblyRatio the oldest files go even before they expire when every consumer
// group has consumed them, or whatever they hold with cleanFileForciblyEnable=true (RocketMQ's
// rule, off by default here: see retention.ts).
import { statfsSync } from 'node:fs';

/** Used fraction (0..1) of the file system holding `dir`. */
export type DiskUsageProbe = (dir: string) => number;

export const statfsUsage: DiskUsageProbe = (dir) => {
  const st = statfsSync(dir);
  return st.blocks === 0 ? 0 : 1 - st.bavail / st.blocks;
};

export interface DiskPressure {
  usedRatio: number;
  /** Puts must be refused. */
  full: boolean;
  /** Expired files may be deleted now, whatever the hour. */
  cleanNow: boolean;
  /** Above diskSpaceCleanForciblyRatio: unexpired files every consumer group has consumed may go. */
  overForciblyRatio: boolean;
  /** cleanFileForciblyEnable and above the ratio: the oldest files go even if not expired or consumed. */
  cleanForcibly: boolean;
}

export interface DiskThresholds {
  diskMaxUsedSpaceRatio: number;
  diskSpaceWarningLevelRatio: number;
  diskSpaceCleanForciblyRatio: number;
  cleanFileForciblyEnable: boolean;
}

export function diskPressure(usedRatio: number, t: DiskThresholds): DiskPressure {
  const percent = usedRatio * 100;
  return {
    usedRatio,
    full: percent >= t.diskSpaceWarningLevelRatio,
    cleanNow: percent >= t.diskMaxUsedSpaceRatio,
    overForciblyRatio: percent >= t.diskSpaceCleanForciblyRatio,
    cleanForcibly: t.cleanFileForciblyEnable && percent >= t.diskSpaceCleanForciblyRatio,
  };
}
