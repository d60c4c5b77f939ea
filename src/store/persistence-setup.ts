// Building the CommitLog's persistence service (commit + flush) from the config: the write mode,
// its settings, and where it runs (a worker thread by default — flushServiceInWorker — or on this thread,
// driven by the store's scheduler and clock, which is what the simulator uses).
import type { MessageStoreConfig } from '../config/store-config.js';
import { DEVICE_PROFILES } from '../flush/device-emulation.js';
import type { PersistenceListener, PersistenceRunner } from '../flush/persistence-runner.js';
import { InThreadPersistenceRunner, WorkerPersistenceRunner } from '../flush/persistence-runner.js';
import type { PersistenceSettings } from '../flush/persistence-layout.js';
import type { FileIO } from '../io/file-io.js';
import type { StoreCore } from './store-core.js';

export function persistenceSettings(config: Readonly<MessageStoreConfig>, directIo: boolean, ioBackend: PersistenceSettings['ioBackend']): PersistenceSettings {
  return {
    flushDiskType: config.flushDiskType,
    flushIntervalMs: config.flushIntervalCommitLog,
    flushLeastPages: config.flushCommitLogLeastPages,
    flushThoroughIntervalMs: config.flushCommitLogThoroughInterval,
    flushTimed: config.flushCommitLogTimed,
    commitIntervalMs: config.commitIntervalCommitLog,
    commitLeastPages: config.commitCommitLogLeastPages,
    commitThoroughIntervalMs: config.commitCommitLogThoroughInterval,
    commitMode: config.commitMode === 'direct' && directIo ? 'direct' : 'pwrite',
    ioBackend,
    emulatedDevice: config.emulateDevice === 'none' ? null : DEVICE_PROFILES[config.emulateDevice],
  };
}

/** A new runner for the store's CommitLog (not yet attached to it). */
export function createPersistenceRunner(core: StoreCore, listener: PersistenceListener): PersistenceRunner {
  const { config, io, commitLog } = core;
  const settings = persistenceSettings(config, io.capabilities.directIo, io.backend);
  if (config.flushServiceInWorker) {
    return new WorkerPersistenceRunner(new URL('../workers/persistence-worker' + moduleExtension(), import.meta.url), commitLog.block, settings, listener);
  }
  // the service measures its intervals on this reading: monotonic, so a wall-clock step back cannot stall flushing
  return new InThreadPersistenceRunner(io, commitLog.block, settings, listener, core.scheduler, () => core.clock.monotonicMs());
}

/** mmap only for ASYNC_FLUSH without the pool or writeWithoutMmap: under SYNC_FLUSH a write to a
 * mapped page that the last fdatasync is writing back waits for it, which halves throughput
 * here (docs/BENCH_STORE.md); the staging buffer + worker pwrite path does not. */
export function chooseWriteMode(config: Readonly<MessageStoreConfig>, io: FileIO, pooled: boolean): 'mmap' | 'buffer' {
  if (!io.capabilities.mmap || pooled || config.writeWithoutMmap) return 'buffer';
  return config.flushDiskType === 'SYNC_FLUSH' ? 'buffer' : 'mmap';
}

/** '.ts' when running from source (tests), '.js' from dist/. */
function moduleExtension(): string {
  return import.meta.url.endsWith('.ts') ? '.ts' : '.js';
}
