// How much disk-profile measures: the full plan (a real profile, ~10-20 s on an SSD) and the
// quick plan (tiny sizes for tests and smoke runs). Every measurement is bounded twice: by its
// bytes or samples here and by a time budget, whichever ends first.
const MIB = 1024 * 1024;

export interface MeasurePlan {
  sequentialWriteBytes: number;
  sequentialWriteBudgetMs: number;
  fdatasyncSamples: number;
  fdatasyncBudgetMs: number;
  directWriteBytes: number;
  allocationFileBytes: number;
  /** Per write pass of the allocation test and of the O_DIRECT write. */
  passBudgetMs: number;
  putPayloadBytes: number;
  putInFlight: number;
  putSegmentBytes: number;
  /** Most bytes of bodies put (warm-up included); keeps the store's files bounded. */
  putMaxBytes: number;
  putWarmupMs: number;
  putDurationMs: number;
}

export const FULL_PLAN: MeasurePlan = {
  sequentialWriteBytes: 256 * MIB,
  sequentialWriteBudgetMs: 30_000,
  fdatasyncSamples: 300,
  fdatasyncBudgetMs: 15_000,
  directWriteBytes: 64 * MIB,
  allocationFileBytes: 64 * MIB,
  passBudgetMs: 15_000,
  putPayloadBytes: 1024,
  putInFlight: 256,
  putSegmentBytes: 128 * MIB,
  putMaxBytes: 96 * MIB,
  putWarmupMs: 500,
  putDurationMs: 2000,
};

export const QUICK_PLAN: MeasurePlan = {
  sequentialWriteBytes: 8 * MIB,
  sequentialWriteBudgetMs: 5000,
  fdatasyncSamples: 20,
  fdatasyncBudgetMs: 3000,
  directWriteBytes: 4 * MIB,
  allocationFileBytes: 4 * MIB,
  passBudgetMs: 3000,
  putPayloadBytes: 1024,
  putInFlight: 256,
  putSegmentBytes: 8 * MIB,
  putMaxBytes: 6 * MIB,
  putWarmupMs: 100,
  putDurationMs: 300,
};

/** Most bytes on disk at one time (phases run one after another and remove their files). */
export function peakDiskBytes(plan: MeasurePlan): number {
  return Math.max(plan.sequentialWriteBytes, plan.directWriteBytes, 2 * plan.allocationFileBytes, 2 * plan.putSegmentBytes);
}
