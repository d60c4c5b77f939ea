// Driving a store that runs on simulated time (in-thread persistence, a ManualScheduler): run the
// scheduled tasks due within `ms` of simulated time, letting promise continuations settle after
// each, then move the clock to the end of the span. Bounded by a task count.
import type { ManualClock } from '../../src/util/clock.js';
import type { ManualScheduler } from '../../src/util/scheduler.js';

const TASKS_MAX = 100_000;

/** One turn of the event loop: pending promise continuations run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function drive(scheduler: ManualScheduler, clock: ManualClock, ms: number): Promise<void> {
  const endMs = clock.nowMs() + ms;
  for (let i = 0; i < TASKS_MAX; i++) {
    await settle();
    const due = scheduler.nextDueMs();
    if (due === null || due > endMs) break;
    scheduler.runNext();
  }
  clock.advance(Math.max(0, endMs - clock.nowMs()));
  await settle();
}
