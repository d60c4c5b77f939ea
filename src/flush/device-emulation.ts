// Emulated storage devices for benchmarks (`emulateDevice`): after each real fdatasync the
// persistence service waits until the flush has taken what it would on the device class:
// flushLatencyMs + bytes / writeBytesPerMs. The figures are typical public ones, assumptions
// rather than measurements, and every output that uses them says "emulated".
//
//   device    | fdatasync latency | sequential write | what it stands for
//   ----------+-------------------+------------------+------------------------------------------
//   hdd       | 8 ms              | 150 MB/s         | 7,200 rpm disk: seek + half a rotation
//   sata-ssd  | 1 ms              | 500 MB/s         | SATA SSD without power-loss protection
//   nvme      | 0.05 ms           | 2,000 MB/s       | data-centre NVMe with power-loss protection

export type DeviceName = 'hdd' | 'sata-ssd' | 'nvme';

export interface DeviceProfile {
  readonly name: DeviceName;
  readonly flushLatencyMs: number;
  readonly writeMBps: number;
}

export const DEVICE_PROFILES: Readonly<Record<DeviceName, DeviceProfile>> = {
  hdd: { name: 'hdd', flushLatencyMs: 8, writeMBps: 150 },
  'sata-ssd': { name: 'sata-ssd', flushLatencyMs: 1, writeMBps: 500 },
  nvme: { name: 'nvme', flushLatencyMs: 0.05, writeMBps: 2000 },
};

/** How long a flush of `bytes` takes on the device. */
export function emulatedFlushMs(profile: DeviceProfile, bytes: number): number {
  return profile.flushLatencyMs + bytes / (profile.writeMBps * 1000);
}

/** Wait out the rest of an emulated flush that really took `elapsedMs`. Blocks the calling
 * thread (the persistence worker; in-thread mode, the writer) like a slow device would. */
export function chargeFlush(profile: DeviceProfile, bytes: number, elapsedMs: number): void {
  const remainingMs = emulatedFlushMs(profile, bytes) - elapsedMs;
  if (remainingMs > 0) Atomics.wait(sleepCell, 0, 0, remainingMs);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
