// Helpers for the MessageStore integration tests (test/store/): the IO backends available on
// this machine (native only when the addon loaded, else a visible skip reason), a small-segment
// config, deadline-bounded waits on store positions (no sleeps), and reading segment files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { MessageStore, type MessageStoreDependencies } from '../../src/store/message-store.js';
import { PutMessageStatus, type PutMessageInput, type PutMessageResult } from '../../src/store/statuses.js';
import { hasAddon, NEEDS_ADDON } from './native.js';

export type Backend = 'node' | 'native';

/** Every backend name, with whether it runs here and why not. */
export const BACKENDS: ReadonlyArray<{ backend: Backend; available: boolean; skipReason: string }> = [
  { backend: 'node', available: true, skipReason: '' },
  { backend: 'native', available: hasAddon, skipReason: NEEDS_ADDON },
];

/** Backends that run here (for describe.each / it.each). */
export const AVAILABLE_BACKENDS: Backend[] = BACKENDS.filter((b) => b.available).map((b) => b.backend);

/**
 * Small segments so rolls happen after a few dozen puts. The cross-check rule:
 * mappedFileSizeCommitLog (a multiple of 4096) >= maxMessageSize + 64 KiB + 8 = 69,640 -> 73,728 (18 pages).
 */
export const SMALL_SEGMENT_BYTES = 73_728;
export const SMALL_MAX_MESSAGE_BYTES = 4096;

export function smallConfig(dir: string, backend: Backend, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    storePathRootDir: dir,
    ioBackend: backend,
    mappedFileSizeCommitLog: SMALL_SEGMENT_BYTES,
    maxMessageSize: SMALL_MAX_MESSAGE_BYTES,
    // short service periods so positions move within a few ms (tests wait on them, never sleep)
    commitIntervalCommitLog: 2,
    flushIntervalCommitLog: 5,
    logLevel: 'warn',
    ...overrides,
  };
}

/** Disk usage the tests report (10 %): retention and the disk-full guard must not depend on how
 * full this machine's disk is. A test about disk pressure passes its own probe. */
export const CALM_DISK_USAGE = (): number => 0.1;

/** MessageStore.open with the calm disk probe unless `deps` brings its own. */
export function openStore(config: Record<string, unknown>, deps: MessageStoreDependencies = {}): Promise<MessageStore> {
  return MessageStore.open(config, { diskUsage: CALM_DISK_USAGE, ...deps });
}

/** Open, run `body`, and always close. */
export async function withStore<T>(
  config: Record<string, unknown>,
  body: (store: MessageStore) => Promise<T>,
  deps: MessageStoreDependencies = {},
): Promise<T> {
  const store = await openStore(config, deps);
  try {
    return await body(store);
  } finally {
    await store.close();
  }
}

/**
 * Poll `condition` until true, yielding to the event loop (setImmediate) between checks; fail
 * with `what` when `timeoutMs` passes. `tick` runs on every round (e.g. to step a ManualClock).
 */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000, tick?: () => void): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const maxRounds = 50_000_000; // a bound on the loop in addition to the deadline
  for (let round = 0; round < maxRounds; round++) {
    if (condition()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    tick?.();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up after ${maxRounds} rounds waiting for: ${what}`);
}

/** Wait until every byte written so far is readable (committed) and, optionally, flushed. */
export async function waitCommitted(store: MessageStore, opts: { flushed?: boolean; tick?: () => void } = {}): Promise<void> {
  const target = store.runtimeInfo().wroteOffset;
  await waitUntil(
    () => {
      const info = store.runtimeInfo();
      return info.committedOffset >= target && (!opts.flushed || info.flushedOffset >= target);
    },
    `committed${opts.flushed ? ' and flushed' : ''} offset reaches ${target}`,
    10_000,
    opts.tick,
  );
}

/** putMessage that must succeed. */
export async function putOk(store: MessageStore, input: PutMessageInput): Promise<PutMessageResult> {
  const r = await store.putMessage(input);
  expect(r.status, r.reason).toBe(PutMessageStatus.PUT_OK);
  return r;
}

/** Segment files of a directory (20-digit names), sorted by offset. */
export function segmentFiles(dir: string): { name: string; offset: number; path: string }[] {
  return readdirSync(dir)
    .filter((n) => /^\d{20}$/.test(n))
    .map((name) => ({ name, offset: Number(name), path: join(dir, name) }))
    .sort((a, b) => a.offset - b.offset);
}

/** Bytes [0, maxPhyOffset) of the commit log, concatenated from its segment files. */
export function commitLogBytes(rootDir: string, maxPhyOffset: number): Buffer {
  const parts: Buffer[] = [];
  for (const f of segmentFiles(join(rootDir, 'commitlog'))) {
    if (f.offset >= maxPhyOffset) break;
    const bytes = readFileSync(f.path);
    parts.push(bytes.subarray(0, Math.min(bytes.length, maxPhyOffset - f.offset)));
  }
  return Buffer.concat(parts);
}

/** A body of `n` bytes derived from `seed` (distinct per message, reproducible). */
export function bodyOf(seed: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** Record length for topic `t` (ASCII), body `n`, properties `p` bytes, IPv4 hosts, V1 (§1.1). */
export function recordBytes(topic: string, bodyBytes: number, propertiesBytes = 0): number {
  return 91 + bodyBytes + topic.length + propertiesBytes;
}
