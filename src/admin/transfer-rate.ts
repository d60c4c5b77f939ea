// Bytes per second of HA transfer (RocketMQ's #TransferSpeed, FlowMonitor's "bytes of the last
// second"), derived from the HA service's running byte counters: a provider decorator samples
// the status once per interval and adds, to each slave row (master) or to the slave status,
// the bytes moved during the last full interval divided by its length.
//
// Bounds: one sample per slave address, at most MAX_TRACKED addresses (rows beyond it get no
// rate); addresses that left are forgotten at the next sample. The timer is a background one
// (it never keeps a process alive), and close() stops it. Time and the timer come in through
// nowMs (monotonic ms) and the Scheduler.
import { systemClock } from '../util/clock.js';
import { realScheduler, type Cancelable, type Scheduler } from '../util/scheduler.js';
import type { HaStatus, HaStatusProvider } from './ha-status-provider.js';

const MAX_TRACKED = 256;

interface Sample {
  bytes: number;
  atMs: number;
  perSecond: number;
}

export interface TransferRateOptions {
  intervalMs?: number;
  /** Monotonic ms (default systemClock.monotonicMs). */
  nowMs?: () => number;
  /** Runs the sampling timer (default realScheduler). */
  scheduler?: Scheduler;
  /** Called when a sample fails (the HA status could not be read); the next tick tries again. */
  onError?: (err: Error) => void;
}

export function withTransferRates(inner: HaStatusProvider, options: TransferRateOptions = {}): HaStatusProvider & { sampleNow(): void } {
  const intervalMs = options.intervalMs ?? 1000;
  const nowMs = options.nowMs ?? (() => systemClock.monotonicMs());
  const scheduler = options.scheduler ?? realScheduler;
  const samples = new Map<string, Sample>();

  const update = (key: string, bytes: number, atMs: number): void => {
    const prev = samples.get(key);
    if (!prev && samples.size >= MAX_TRACKED) return;
    const elapsed = prev ? atMs - prev.atMs : 0;
    // a counter that went down is a new connection: start over
    const perSecond = prev && elapsed > 0 && bytes >= prev.bytes ? ((bytes - prev.bytes) * 1000) / elapsed : 0;
    samples.set(key, { bytes, atMs, perSecond });
  };

  const sampleNow = (): void => {
    let status: HaStatus | null;
    try {
      status = inner.status();
    } catch (err) {
      options.onError?.(err as Error);
      return;
    }
    if (status === null) return;
    const at = nowMs();
    const seen = new Set<string>();
    if (status.kind === 'master') {
      for (const s of status.slaves) {
        seen.add(s.address);
        update(s.address, s.transferredBytes, at);
      }
    } else if (status.receivedBytes !== undefined) {
      seen.add(status.masterAddress);
      update(status.masterAddress, status.receivedBytes, at);
    }
    for (const key of [...samples.keys()]) if (!seen.has(key)) samples.delete(key);
  };

  let timer: Cancelable | null = null;
  let stopped = false;
  const tick = (): void => {
    sampleNow();
    if (!stopped) timer = scheduler.after(intervalMs, tick, { background: true });
  };
  timer = scheduler.after(intervalMs, tick, { background: true });

  return {
    kind: inner.kind,
    note: inner.note,
    promote: inner.promote,
    haPort: () => inner.haPort(),
    sampleNow,
    status(): HaStatus | null {
      const status = inner.status();
      if (status === null) return null;
      if (status.kind === 'master') {
        return { ...status, slaves: status.slaves.map((s) => ({ ...s, transferredBytesPerSecond: samples.get(s.address)?.perSecond ?? 0 })) };
      }
      if (status.receivedBytes === undefined) return status;
      return { ...status, receivedBytesPerSecond: samples.get(status.masterAddress)?.perSecond ?? 0 };
    },
    async close(): Promise<void> {
      stopped = true;
      timer?.cancel();
      await inner.close();
    },
  };
}
