// The shape of a disk profile: what was measured (measurements), what to set (recommendations,
// RocketMQ key names) and what to expect (estimates). `mqstore disk-profile --json` prints a
// DiskProfileReport as one JSON object; the text output is formatted from the same object.
// Units are in the field names: Ms = milliseconds, Bytes, MiBPerS = 2^20 bytes per second,
// MsgPerS = messages per second.
import type { FilesystemInfo } from '../../io/filesystem-info.js';
import type { IoBackendName } from '../../io/file-io.js';
import type { MessageStoreConfig } from '../../config/store-config.js';

export interface SequentialWrite {
  /** Bytes written (less than asked for when the time budget ran out). */
  bytes: number;
  elapsedMs: number;
  mibPerS: number;
}

export interface LatencyDistribution {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface DirectIoMeasurement {
  works: boolean;
  /** Why not, when it does not. */
  reason: string | null;
  /** Sequential O_DIRECT write (aligned 1 MiB writes + one fdatasync); null when O_DIRECT does not work. */
  write: SequentialWrite | null;
}

export interface AllocationMeasurement {
  fileBytes: number;
  /** false: no fallocate (node backend, or the file system refused it); "preallocated" means written with zeros. */
  fallocateSupported: boolean;
  createPreallocatedMs: number;
  createSparseMs: number;
  /** First write (1 MiB writes + fdatasync) into each kind of new file. */
  firstWritePreallocated: SequentialWrite;
  firstWriteSparse: SequentialWrite;
  /** A second write over the same (now written) pages: what a warmed segment gives. */
  overwrite: SequentialWrite;
}

export interface PutRateMeasurement {
  payloadBytes: number;
  /** Average CommitLog record size of those puts (body + header, topic, properties). */
  recordBytes: number;
  inFlight: number;
  puts: number;
  elapsedMs: number;
  msgPerS: number;
}

export interface DiskMeasurements {
  ioBackend: IoBackendName;
  sequentialWrite: SequentialWrite;
  /** 4 KiB append into a preallocated file + fdatasync: the least one group commit costs. */
  fdatasync: LatencyDistribution;
  directIo: DirectIoMeasurement;
  allocation: AllocationMeasurement;
  /** In-process ASYNC_FLUSH put rate of the store on this machine (CPU bound, not disk bound). */
  putRate: PutRateMeasurement;
  memoryBytes: number;
}

export type ConfigKey = keyof MessageStoreConfig;

export interface Recommendation {
  key: ConfigKey;
  /** As written in broker.conf. */
  value: string;
  reason: string;
}

export interface ModeEstimate {
  mode: string;
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  brokerRole: 'ASYNC_MASTER' | 'SYNC_MASTER' | null;
  inFlight: number;
  msgPerS: number;
  /** What limits it in the model: cpu (the put rate), disk bandwidth, fdatasync latency, network. */
  boundBy: 'cpu' | 'disk bandwidth' | 'fdatasync latency' | 'network';
}

export interface Estimates {
  note: string;
  recordBytes: number;
  modes: ModeEstimate[];
  groupCommit: {
    /** Puts in flight for SYNC_FLUSH to reach `targetFraction` of ASYNC_FLUSH; null: the disk bandwidth cannot. */
    inFlightForTarget: number | null;
    targetFraction: number;
    /** Time of one group commit of `inFlight` puts: fdatasync p50 + transfer of the group. */
    groupCommitMsAt256: number;
  };
  assumptions: { networkGbps: number; rttMs: number; note: string };
}

export interface DiskProfileReport {
  dir: string;
  quick: boolean;
  filesystem: FilesystemInfo;
  measurements: DiskMeasurements;
  recommendations: Recommendation[];
  estimates: Estimates;
}
