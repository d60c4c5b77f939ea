// Runs a disk profile: checks the directory and its free space, then the measurements one after
// another in a scratch directory (each removes its own file; the scratch directory is removed at
// the end whatever happens), then the estimates and recommendations. An errno failure during a
// measurement becomes an IoError naming the phase.
import { totalmem } from 'node:os';
import { ErrorCode, IoError, StoreError } from '../../errors.js';
import type { FileIO } from '../../io/file-io.js';
import { filesystemInfo } from '../../io/filesystem-info.js';
import { estimateModes } from './estimates.js';
import { fmtMiB } from './format-units.js';
import { measureAllocation } from './measure-allocation.js';
import { measureDirectIo } from './measure-direct-io.js';
import { measurePutRate } from './measure-put-rate.js';
import { measureFdatasync, measureSequentialWrite } from './measure-sync.js';
import { peakDiskBytes, type MeasurePlan } from './plan.js';
import { recommend } from './recommend.js';
import type { DiskMeasurements, DiskProfileReport } from './report-types.js';
import { checkProfileDir, withScratchDir } from './scratch-dir.js';
import { randomChunk } from './write-loop.js';

/** Room left free beyond the largest phase, so a profile never fills a disk. */
const FREE_SPACE_MARGIN_BYTES = 256 * 2 ** 20;

export interface ProfileOptions {
  io: FileIO;
  plan: MeasurePlan;
  quick: boolean;
  /** One line per phase as it starts (progress); may be a no-op. */
  progress: (line: string) => void;
}

export async function runProfile(dir: string, options: ProfileOptions): Promise<DiskProfileReport> {
  checkProfileDir(dir);
  const filesystem = filesystemInfo(dir);
  const neededBytes = peakDiskBytes(options.plan) + FREE_SPACE_MARGIN_BYTES;
  if (filesystem.freeBytes < neededBytes) {
    throw new StoreError(ErrorCode.IO, `disk-profile: ${fmtMiB(filesystem.freeBytes)} free in '${dir}', the profile needs ${fmtMiB(neededBytes)} (try --quick)`);
  }
  const measurements = await withScratchDir(dir, (scratch) => measureAll(scratch, options));
  const estimates = estimateModes(measurements);
  return { dir, quick: options.quick, filesystem, measurements, recommendations: recommend(measurements, estimates), estimates };
}

async function measureAll(scratch: string, { io, plan, progress }: ProfileOptions): Promise<DiskMeasurements> {
  const chunk = randomChunk(io);
  progress(`sequential write (${fmtMiB(plan.sequentialWriteBytes)})`);
  const sequentialWrite = phase('sequential write', () => measureSequentialWrite(io, scratch, chunk, plan.sequentialWriteBytes, plan.sequentialWriteBudgetMs));
  progress(`fdatasync latency (${plan.fdatasyncSamples} x 4 KiB)`);
  const fdatasync = phase('fdatasync latency', () => measureFdatasync(io, scratch, plan.fdatasyncSamples, plan.fdatasyncBudgetMs));
  progress('O_DIRECT');
  const directIo = phase('O_DIRECT write', () => measureDirectIo(io, scratch, chunk, plan.directWriteBytes, plan.passBudgetMs));
  progress(`preallocated vs sparse files (${fmtMiB(plan.allocationFileBytes)})`);
  const allocation = phase('preallocated vs sparse', () => measureAllocation(io, scratch, chunk, plan.allocationFileBytes, plan.passBudgetMs));
  progress('store put rate (ASYNC_FLUSH, in-process)');
  const putRate = await measurePutRate(scratch, {
    payloadBytes: plan.putPayloadBytes,
    inFlight: plan.putInFlight,
    segmentBytes: plan.putSegmentBytes,
    maxBytes: plan.putMaxBytes,
    warmupMs: plan.putWarmupMs,
    durationMs: plan.putDurationMs,
  });
  return { ioBackend: io.backend, sequentialWrite, fdatasync, directIo, allocation, putRate, memoryBytes: totalmem() };
}

function phase<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== undefined && !(err instanceof StoreError)) throw new IoError(`disk-profile: ${name}`, err);
    throw err;
  }
}
