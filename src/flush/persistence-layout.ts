// What the writer thread and the persistence service (commit + flush) share.
//
// Control block positions (absolute CommitLog offsets unless noted):
//   wrote       end of the bytes the writer has appended (into a write buffer or the mapping)
//   committed   end of the bytes in the page cache (= wrote in mmap mode; the commit service
//               advances it in buffer mode)
//   flushed     end of the bytes known durable (fdatasync returned); never passes committed
//   wakeups     counter the writer bumps to wake the service early
//   wakeupsSeen the `wakeups` value the service read before its current step: while the two
//               differ a wake-up is already pending, so the writer does not bump (or futex-wake)
//               again: one wake per service step, not one per put (RocketMQ's hasNotified)
//   stop        1 when the service must do its final commit + flush and exit
//   failed      0, or an errno-like number once the service met an unrecoverable IO error
//   diskFull    1 while commits fail with ENOSPC (they are retried; nothing is lost)
//   commitRequest  commit up to here now, whatever the commit interval (SYNC_MASTER puts: the
//               HA service can only ship committed bytes)
//   prefaultRequest  mmap mode: fault the file's pages in up to here, through the service's own
//               mapping, ahead of the writer (page-cache allocation off the writer thread)
// Invariant: flushed <= committed <= wrote.
import type { SharedMemoryHandle } from '../segment/write-buffer.js';
import type { DeviceProfile } from './device-emulation.js';

export const PERSISTENCE_POSITIONS = ['wrote', 'committed', 'flushed', 'wakeups', 'stop', 'failed', 'diskFull', 'commitRequest', 'prefaultRequest', 'wakeupsSeen'] as const;
export type PersistencePosition = (typeof PERSISTENCE_POSITIONS)[number];

/** A segment the service may commit to and flush. Sent in offset order, before any byte of it is written. */
export interface SegmentAnnouncement {
  type: 'segment';
  fromOffset: number;
  sizeBytes: number;
  path: string;
  fd: number;
  /** The write buffer to commit from; 'none' in mmap mode. */
  memory: SharedMemoryHandle;
}

export interface PersistenceSettings {
  flushDiskType: 'SYNC_FLUSH' | 'ASYNC_FLUSH';
  flushIntervalMs: number;
  flushLeastPages: number;
  flushThoroughIntervalMs: number;
  /** true: the async flush period is a plain sleep; false: a put may wake it early. */
  flushTimed: boolean;
  commitIntervalMs: number;
  commitLeastPages: number;
  commitThoroughIntervalMs: number;
  /** How buffered bytes reach the file: positional write, or O_DIRECT aligned writes. */
  commitMode: 'pwrite' | 'direct';
  ioBackend: 'native' | 'node';
  /** Benchmarks: make each flush cost what it would on this device (null: the real device only). */
  emulatedDevice: DeviceProfile | null;
}

export type PersistenceEvent =
  | { type: 'ready' }
  | { type: 'failed'; operation: string; code: string; message: string }
  | { type: 'disk-full'; message: string }
  | { type: 'disk-space-ok' }
  | { type: 'stopped' };

/** Errno-like numbers stored in `failed` (0 = healthy). */
export const FAILURE_CODES: Record<string, number> = { EIO: 5, ENOSPC: 28, EROFS: 30, EDQUOT: 122 };
export const OTHER_FAILURE = 1;

export const OS_PAGE_BYTES = 4096;
