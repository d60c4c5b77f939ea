// Runs the persistence service either in a worker thread (default) or on the writer thread
// (in-thread mode, for comparison in the bench and for tiny embedded uses). Both give the
// writer the same surface: announce a segment, wake the service, stop it with a final drain,
// and events (failure, disk full) delivered on the writer thread. Timers go through the
// Scheduler; the in-thread service steps on the `nowMs` it is given (the store's monotonic
// clock), the worker on systemClock.monotonicMs() (workers/persistence-worker.ts): the same kind
// of reading on both placements, never the wall clock (its intervals are durations).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { FileIO } from '../io/file-io.js';
import { realScheduler, type Cancelable, type Scheduler } from '../util/scheduler.js';
import type { ControlBlock } from '../util/control-block.js';
import { spawnWorker } from '../util/spawn-worker.js';
import { OTHER_FAILURE, type PersistenceEvent, type PersistencePosition, type PersistenceSettings, type SegmentAnnouncement } from './persistence-layout.js';
import { PersistenceService } from './persistence-service.js';

export interface PersistenceRunner {
  readonly placement: 'worker' | 'in-thread';
  announce(segment: SegmentAnnouncement): void;
  /** Wake the service now (new bytes to commit or flush). */
  wake(): void;
  /** Resolves once the service runs (a worker has loaded); rejects if it could not start. */
  ready(): Promise<void>;
  /** Final commit + flush, then stop. */
  stop(): Promise<void>;
}

export type PersistenceListener = (event: PersistenceEvent) => void;

/** Upper bound on waiting for the worker's final drain at shutdown. */
const STOP_TIMEOUT_MS = 60_000;

export class WorkerPersistenceRunner implements PersistenceRunner {
  readonly placement = 'worker' as const;
  private readonly port: MessagePort;
  private readonly stopped: Promise<void>;
  private readonly started: Promise<void>;
  private readonly worker;

  constructor(
    entry: URL,
    private readonly block: ControlBlock<PersistencePosition>,
    settings: PersistenceSettings,
    listener: PersistenceListener,
    private readonly scheduler: Scheduler = realScheduler,
  ) {
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = spawnWorker(entry, {
      workerData: { blockBuffer: block.buffer, settings, port: channel.port2 },
      transferList: [channel.port2],
    });
    let markStarted: () => void = () => {};
    this.started = new Promise<void>((resolve) => (markStarted = resolve));
    this.stopped = new Promise<void>((resolve, reject) => {
      this.port.on('message', (event: PersistenceEvent) => {
        if (event.type === 'stopped') resolve();
        else if (event.type === 'ready') markStarted();
        else listener(event);
      });
      this.worker.once('error', (err) => {
        // Waiting puts watch the shared flag: set it so they are released now, not at their timeout.
        block.store('failed', OTHER_FAILURE);
        block.notify('flushed');
        block.notify('committed');
        listener({ type: 'failed', operation: 'persistence worker', code: 'EWORKER', message: err.message });
        reject(err);
      });
      this.worker.once('exit', (code) => {
        if (code !== 0) reject(new Error(`persistence worker exited with code ${code}`));
        else resolve();
      });
    });
    this.stopped.catch(() => {}); // surfaced through the listener; stop() re-throws
    this.started = Promise.race([this.started, this.stopped.then(() => Promise.reject(new Error('persistence worker exited before it was ready')))]);
    this.worker.unref();
    this.port.unref();
  }

  ready(): Promise<void> {
    return this.started;
  }

  announce(segment: SegmentAnnouncement): void {
    this.port.postMessage(segment);
    this.block.bump('wakeups');
  }

  /** Wake the worker unless a wake-up since its last look is still pending (one per step). */
  wake(): void {
    if (this.block.loadFlag('wakeups') !== this.block.loadFlag('wakeupsSeen')) return;
    this.block.bump('wakeups');
  }

  async stop(): Promise<void> {
    this.block.store('stop', 1);
    this.block.bump('wakeups');
    let timer: Cancelable | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.scheduler.after(STOP_TIMEOUT_MS, () => reject(new Error(`persistence worker did not stop within ${STOP_TIMEOUT_MS} ms`)));
    });
    try {
      await Promise.race([this.stopped, timeout]);
    } finally {
      timer?.cancel();
      this.port.close();
      await this.worker.terminate();
    }
  }
}

export class InThreadPersistenceRunner implements PersistenceRunner {
  readonly placement = 'in-thread' as const;
  private readonly service: PersistenceService;
  private timer: Cancelable | null = null;
  private immediate: Cancelable | null = null;
  private stopping = false;

  constructor(
    io: FileIO,
    block: ControlBlock<PersistencePosition>,
    settings: PersistenceSettings,
    listener: PersistenceListener,
    private readonly scheduler: Scheduler,
    private readonly nowMs: () => number,
  ) {
    this.service = new PersistenceService(io, block, settings, listener);
    this.schedule(0);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  announce(segment: SegmentAnnouncement): void {
    this.service.addSegment(segment);
  }

  wake(): void {
    if (this.stopping || this.immediate) return;
    this.immediate = this.scheduler.soon(() => {
      this.immediate = null;
      this.run();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.timer?.cancel();
    this.immediate?.cancel();
    this.service.drain();
    this.service.close();
  }

  private run(): void {
    if (this.stopping) return;
    this.timer?.cancel();
    this.schedule(this.service.step(this.nowMs()));
  }

  private schedule(delayMs: number): void {
    this.timer = this.scheduler.after(delayMs, () => this.run());
  }
}
