// The checker API: named checks run by the world after every step ("safety": must hold at every
// instant) and named final checks run once when a run ends without a violation ("liveness": after
// the faults stop, the system got somewhere).
//
// A check reports a violation by returning a message string or by throwing; returning
// undefined/null/void means it holds. The first violation stops the run. Checks must be cheap
// (they run after every step) and must not change the world (no scheduling, no randomness).

export type Check = () => string | null | undefined | void;

export interface Violation {
  /** The name the check was registered under. */
  check: string;
  message: string;
  /** The step after which it was found (0-based count of steps run). */
  step: number;
  /** Simulated ms since the start of the run. */
  simMs: number;
  /** 'safety' (after a step), 'final' (at the end), or 'crash' (an uncaught exception). */
  kind: 'safety' | 'final' | 'crash';
}

/** Bound on registered checks: a scenario that registers per message is a bug. */
const MAX_CHECKS = 1_000;

export class Invariants {
  private readonly safety: { name: string; check: Check }[] = [];
  private readonly finals: { name: string; check: Check }[] = [];

  /** A check that must hold after every step. */
  register(name: string, check: Check): void {
    this.add(this.safety, name, check);
  }

  /** A check that must hold at the end of a run (the run stopped at its limits, not by a violation). */
  registerFinal(name: string, check: Check): void {
    this.add(this.finals, name, check);
  }

  get names(): string[] {
    return [...this.safety.map((c) => c.name), ...this.finals.map((c) => `${c.name} (final)`)];
  }

  /** Run the safety checks; the first violation (without step/time, the world adds them). */
  checkSafety(): { check: string; message: string } | null {
    return firstViolation(this.safety);
  }

  checkFinal(): { check: string; message: string } | null {
    return firstViolation(this.finals);
  }

  private add(list: { name: string; check: Check }[], name: string, check: Check): void {
    if (this.safety.length + this.finals.length >= MAX_CHECKS) throw new Error(`more than ${MAX_CHECKS} checks registered`);
    if (list.some((c) => c.name === name)) throw new Error(`check ${name} registered twice`);
    list.push({ name, check });
  }
}

function firstViolation(list: readonly { name: string; check: Check }[]): { check: string; message: string } | null {
  for (const { name, check } of list) {
    let message: string | null | undefined | void;
    try {
      message = check();
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    if (typeof message === 'string') return { check: name, message };
  }
  return null;
}
