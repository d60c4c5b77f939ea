// One background job run step by step on the Scheduler, never two steps at once: a step returns
// how long to wait before the next one; wake(ms) brings the next step forward (a wake during a
// step runs another step right after it). A step that throws is logged and retried after
// RETRY_MS (the error line at most once per FAILURE_LOG_INTERVAL_MS, with a count of the
// suppressed ones). close() stops scheduling and waits for the step in progress.
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import type { Cancelable, Scheduler } from '../util/scheduler.js';

export const RETRY_MS = 1000;
export const FAILURE_LOG_INTERVAL_MS = 30_000;

export class SerialLoop {
  private timer: Cancelable | null = null;
  private plannedAt = Infinity;
  private running: Promise<void> | null = null;
  private wokenWhileRunning = false;
  private closed = false;
  private readonly failures: RateLimitedLog;

  constructor(
    private readonly what: string,
    private readonly clock: Clock,
    private readonly scheduler: Scheduler,
    logger: Logger,
    private readonly step: () => Promise<number>,
  ) {
    this.failures = new RateLimitedLog(logger, clock, FAILURE_LOG_INTERVAL_MS);
  }

  /** Run a step within `delayMs` (sooner if one is already planned sooner). */
  wake(delayMs = 0): void {
    if (this.closed) return;
    if (this.running) {
      if (delayMs <= 0) this.wokenWhileRunning = true;
      else this.plan(delayMs);
      return;
    }
    this.plan(delayMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running;
    this.failures.flush();
  }

  private plan(delayMs: number): void {
    const at = this.clock.monotonicMs() + Math.max(0, delayMs);
    if (this.timer && at >= this.plannedAt) return;
    this.timer?.cancel();
    this.plannedAt = at;
    this.timer = this.scheduler.after(Math.max(0, delayMs), () => this.run(), { background: true });
  }

  private run(): void {
    this.timer = null;
    this.plannedAt = Infinity;
    if (this.closed) return;
    if (this.running) {
      this.wokenWhileRunning = true;
      return;
    }
    this.wokenWhileRunning = false;
    this.running = this.step()
      .catch((err: unknown) => {
        this.failures.error('step', `${this.what} failed (retried in ${RETRY_MS} ms): ${(err as Error).stack ?? (err as Error).message}`);
        return RETRY_MS;
      })
      .then((next) => {
        this.running = null;
        if (this.closed) return;
        this.plan(this.wokenWhileRunning ? 0 : next);
      });
  }
}
