// The simulated world of one seed: one ManualClock and one ManualScheduler shared by every host,
// the seed's random streams, the trace, the invariant checks, and the run loop that drives them.
//
// The run loop, one step at a time: run the earliest scheduled task (moving the clock to its due
// time), let the promise continuations it started settle, then run every safety check. It stops at
// the first violation, at a step or simulated-time limit, when nothing is scheduled, or when a
// scenario calls stop(); then the final checks run.
//
// Why the settle is deterministic (Node's ordering guarantees, relied on here):
//   - after each macrotask callback (here: the setImmediate callback that resumes the loop, and
//     the synchronous task it runs), Node drains the process.nextTick queue and then the promise
//     microtask queue, again and again until both are empty, before it runs any other macrotask;
//     within each queue the order is FIFO and depends only on the program;
//   - so one `await` of a setImmediate after a task guarantees that every continuation the task
//     started *through promises, queueMicrotask or nextTick* has run, however deep the chain, and
//     in the same order on every run. A second setImmediate would find nothing new to run;
//   - what is NOT covered: a chain that waits on real IO or real time (node:fs, worker threads,
//     the native addon's async calls, setTimeout). Those complete in later event-loop phases at
//     times the simulator does not control, so code under simulation must get all of them through
//     the fakes (Transport, Scheduler, Clock, FileIO), which resolve only from scheduler tasks.
//     The tidy test (issue 9 item 9) keeps raw timers and clocks out of src/. Unrelated real IO of
//     the host process (vitest's RPC) may run between steps; it does not touch the world.
//
// Invariants: the trace and every decision depend only on the seed and the scenario; one run
// executes at most maxSteps tasks; a crashed host's timers never run (SimProcess).
import { ManualClock } from '../../src/util/clock.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import type { Cancelable } from '../../src/util/scheduler.js';
import { Invariants, type Violation } from './invariants.js';
import { Rng } from './rng.js';
import { SimProcess } from './sim-process.js';
import { Trace } from './trace.js';

export interface WorldOptions {
  seed: number;
  /** Trace lines kept for printing on failure. Default 400. */
  traceLimit?: number;
  /** Receives every trace line as it is written (replay). */
  traceSink?: (line: string) => void;
}

/** Limits of one run() call, counted from the start of that call. */
export interface RunLimits {
  maxSteps: number;
  maxSimMs: number;
  /** Stop (reason 'stopped') once this holds, checked after every step. */
  until?: () => boolean;
}

export type StopReason = 'violation' | 'step-limit' | 'time-limit' | 'idle' | 'stopped';

export interface RunResult {
  seed: number;
  steps: number;
  /** Simulated ms since the start of the world when the run ended. */
  simMs: number;
  stopReason: StopReason;
  violation: Violation | null;
  /** Hash of the whole trace (determinism checks). */
  traceHash: string;
  traceLines: number;
}

type CrashHook = (host: string, process: SimProcess) => void;

export class World {
  readonly seed: number;
  readonly clock = new ManualClock();
  readonly scheduler = new ManualScheduler(this.clock);
  readonly rng: Rng;
  readonly trace: Trace;
  readonly invariants = new Invariants();
  private readonly startWallMs = this.clock.nowMs();
  private readonly processes = new Map<string, SimProcess>();
  private readonly incarnations = new Map<string, number>();
  private readonly crashHooks: CrashHook[] = [];
  private stepCount = 0;
  private stopRequest: string | null = null;
  private crash: Violation | null = null;
  private running = false;

  constructor(options: WorldOptions) {
    this.seed = options.seed;
    this.rng = Rng.fromSeed(options.seed);
    this.trace = new Trace(() => this.simMs, { limit: options.traceLimit ?? 400, sink: options.traceSink });
  }

  /** Simulated ms since the world started. */
  get simMs(): number {
    return this.clock.nowMs() - this.startWallMs;
  }

  get steps(): number {
    return this.stepCount;
  }

  log(what: string, text: string): void {
    this.trace.log(what, text);
  }

  /** Start a new incarnation of `host`'s process (the previous one must be dead). */
  boot(host: string): SimProcess {
    const current = this.processes.get(host);
    if (current?.alive) throw new Error(`boot ${host}: incarnation ${current.incarnation} is still alive`);
    const incarnation = (this.incarnations.get(host) ?? 0) + 1;
    this.incarnations.set(host, incarnation);
    const process = new SimProcess(host, incarnation, this.clock, this.scheduler);
    this.processes.set(host, process);
    this.log('host', `${process.label} boots`);
    return process;
  }

  /** The current incarnation of `host` (alive or dead), if it ever booted. */
  process(host: string): SimProcess | undefined {
    return this.processes.get(host);
  }

  /** Kill `host`'s process at once: its timers stop, the crash hooks (network, disk) run. */
  crashHost(host: string, why: string): void {
    const process = this.processes.get(host);
    if (!process?.alive) return;
    this.log('host', `${process.label} crashes (${why})`);
    process.kill();
    for (const hook of this.crashHooks) hook(host, process);
  }

  /** Called when a host crashes (the network resets its connections, the disk loses unsynced bytes). */
  onCrash(hook: CrashHook): void {
    this.crashHooks.push(hook);
  }

  /** Run `task` at simulated time `atMs` (ms since the start), as a world event (not a host's). */
  at(atMs: number, label: string, task: () => void): Cancelable {
    return this.after(Math.max(0, atMs - this.simMs), label, task);
  }

  /** Run `task` after `delayMs`, as a world event, logging `label` when it runs (if non-empty). */
  after(delayMs: number, label: string, task: () => void): Cancelable {
    return this.scheduler.after(delayMs, () => {
      if (label !== '') this.log('world', label);
      task();
    });
  }

  /** Ask the run loop to stop after the current step (a scenario reached its goal). */
  stop(why: string): void {
    this.stopRequest ??= why;
  }

  /** Drive the world until a violation or a limit; then run the final checks. */
  async run(limits: RunLimits): Promise<RunResult> {
    if (this.running) throw new Error('World.run is already running');
    this.running = true;
    this.stopRequest = null;
    const onRejection = (reason: unknown): void => {
      this.crash ??= this.violation('unhandled-rejection', describe(reason), 'crash');
    };
    process.on('unhandledRejection', onRejection);
    let stopReason: StopReason;
    let violation: Violation | null = null;
    try {
      stopReason = await this.loop(limits);
      violation = this.crash ?? this.pendingViolation;
      if (violation === null && stopReason !== 'violation') {
        const v = this.invariants.checkFinal();
        if (v) violation = this.violation(v.check, v.message, 'final');
      }
      if (violation) {
        stopReason = 'violation';
        this.log('VIOLATED', `${violation.check}: ${violation.message}`);
      } else {
        this.log('world', `run ends: ${stopReason}${this.stopRequest ? ` (${this.stopRequest})` : ''}`);
      }
    } finally {
      process.off('unhandledRejection', onRejection);
      this.running = false;
    }
    return {
      seed: this.seed,
      steps: this.stepCount,
      simMs: this.simMs,
      stopReason,
      violation,
      traceHash: this.trace.hash,
      traceLines: this.trace.total,
    };
  }

  private pendingViolation: Violation | null = null;

  private async loop(limits: RunLimits): Promise<StopReason> {
    const endWallMs = this.clock.nowMs() + limits.maxSimMs;
    const endStep = this.stepCount + limits.maxSteps;
    for (;;) {
      if (this.stopRequest !== null) return 'stopped';
      if (this.stepCount >= endStep) return 'step-limit';
      const dueMs = this.scheduler.nextDueMs();
      if (dueMs === null || dueMs > endWallMs) {
        // Nothing more happens before the limit: the simulated time still passes.
        if (Number.isFinite(endWallMs)) this.clock.advance(endWallMs - this.clock.nowMs());
        return dueMs === null ? 'idle' : 'time-limit';
      }
      try {
        this.scheduler.runNext();
      } catch (err) {
        this.crash = this.violation('uncaught-exception', describe(err), 'crash');
      }
      await settle();
      this.stepCount++;
      if (this.crash) return 'violation';
      const v = this.invariants.checkSafety();
      if (v) {
        this.pendingViolation = this.violation(v.check, v.message, 'safety');
        return 'violation';
      }
      if (limits.until?.()) this.stop('the until condition holds');
    }
  }

  private violation(check: string, message: string, kind: Violation['kind']): Violation {
    return { check, message, step: this.stepCount, simMs: this.simMs, kind };
  }
}

/**
 * Round a simulated time or delay up to a multiple of 2^-10 ms (about 1 us). The scheduler adds
 * delays to a wall clock near 1.7e12 ms, where a double resolves 2^-12 ms: multiples of 2^-10
 * add up exactly, so "due at t" and "now is t" compare equal. Rounding up (never down) keeps a
 * timer from firing before the deadline it was computed for (which could spin at one instant).
 */
export function quantizeMs(ms: number): number {
  return Math.ceil(ms * 1024) / 1024;
}

/** Let every promise continuation started by the last task run (see the header). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const where = err.stack?.split('\n').slice(1, 4).map((l) => l.trim()).join(' < ');
    return `${err.name}: ${err.message}${where ? ` (at ${where})` : ''}`;
  }
  return String(err);
}
