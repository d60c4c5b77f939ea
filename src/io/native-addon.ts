// The one place that loads the Rust addon (build/mqstore_native.node). Everything else asks
// `loadNativeAddon()`: it returns the addon or null with the reason it is not there, and
// never throws. MQSTORE_NATIVE=off hides the addon (to run the pure-Node backend on purpose).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Data arguments the addon accepts: an ArrayBuffer, any TypedArray (incl. Buffer) or a DataView. */
export type NativeData = ArrayBuffer | ArrayBufferView;

/** The addon's JS surface, as implemented in native/src (errors carry `code`, `errno`, `syscall`). */
export interface NativeAddon {
  readonly version: string;
  readonly PAGE_SIZE: number;
  readonly O_DIRECT: number;
  readonly MADV_NORMAL: number;
  readonly MADV_RANDOM: number;
  readonly MADV_SEQUENTIAL: number;
  readonly MADV_WILLNEED: number;
  readonly MADV_DONTNEED: number;
  readonly MADV_POPULATE_READ: number;
  readonly MADV_POPULATE_WRITE: number;
  readonly FALLOC_FL_KEEP_SIZE: number;
  readonly FALLOC_FL_PUNCH_HOLE: number;
  readonly FALLOC_FL_ZERO_RANGE: number;
  open(path: string, flags: number, mode: number): number;
  close(fd: number): void;
  fdatasync(fd: number): void;
  fsync(fd: number): void;
  ftruncate(fd: number, length: number): void;
  fallocate(fd: number, mode: number, offset: number, length: number): void;
  pread(fd: number, data: NativeData, position: number): number;
  pwrite(fd: number, data: NativeData, position: number): number;
  mmap(fd: number, offset: number, length: number, writable: boolean): ArrayBuffer;
  munmap(mapping: ArrayBuffer): void;
  msync(mapping: NativeData, offset: number, length: number, sync: boolean): void;
  madvise(mapping: NativeData, offset: number, length: number, advice: number): void;
  mlock(mapping: NativeData, offset: number, length: number): void;
  munlock(mapping: NativeData, offset: number, length: number): void;
  allocAligned(size: number, align: number): ArrayBuffer;
  alignedId(buffer: ArrayBuffer): number;
  attachAligned(id: number): ArrayBuffer;
  releaseAligned(buffer: ArrayBuffer): void;
  sendfile(outFd: number, inFd: number, offset: number, length: number): { bytes: number; wouldBlock: boolean };
  /** write(2) of all of `data` to a non-blocking fd; stops early with wouldBlock on EAGAIN.
   * more: `fd` is a socket and more bytes follow at once (send(2) with MSG_MORE | MSG_NOSIGNAL:
   * a frame header is not pushed as its own TCP segment). */
  writeFd(fd: number, data: NativeData, more?: boolean): { bytes: number; wouldBlock: boolean };
  /** poll(2) for POLLOUT, blocking this thread up to timeoutMs (0..60000; worker threads only).
   * false = timed out; a dead fd throws (POLLERR: the socket's error, POLLHUP: EPIPE, POLLNVAL: EBADF). */
  pollWritable(fd: number, timeoutMs: number): boolean;
  /** A new close-on-exec descriptor for the same open file; the caller closes it. */
  dupFd(fd: number): number;
  crc32(data: NativeData, initial?: number): number;
  crc32c(data: NativeData, initial?: number): number;
  cpuFeatures(): { sse42: boolean; pclmulqdq: boolean; crc32Hardware: boolean; crc32cHardware: boolean };
  noop(): void;
}

export interface AddonLoad {
  addon: NativeAddon | null;
  /** Where the addon was looked for. */
  path: string;
  /** Why it is not loaded (null when it is). */
  error: string | null;
}

let cached: AddonLoad | undefined;

export function loadNativeAddon(): AddonLoad {
  cached ??= tryLoad();
  return cached;
}

function tryLoad(): AddonLoad {
  const root = packageRoot();
  const path = join(root, 'build', 'mqstore_native.node');
  if (process.env.MQSTORE_NATIVE === 'off') return { addon: null, path, error: 'disabled by MQSTORE_NATIVE=off' };
  if (!existsSync(path)) return { addon: null, path, error: `${path} does not exist (${buildReason(root)})` };
  try {
    const require = createRequire(import.meta.url);
    return { addon: require(path) as NativeAddon, path, error: null };
  } catch (err) {
    return { addon: null, path, error: `loading ${path} failed: ${(err as Error).message}` };
  }
}

/** The reason the install step recorded for a missing addon. */
function buildReason(root: string): string {
  const statusFile = join(root, 'build', 'native-build.json');
  if (!existsSync(statusFile)) return 'the addon was never built: run `npm run build:native`';
  try {
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as { reason?: string };
    return `build said: ${status.reason ?? 'no reason recorded'}`;
  } catch (err) {
    return `build status unreadable: ${(err as Error).message}`;
  }
}

/** The directory holding mqstore's package.json, from src/ or dist/src/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && readFileSync(manifest, 'utf8').includes('"name": "mqstore"')) return dir;
    dir = dirname(dir);
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
