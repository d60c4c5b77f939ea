// What the echo scenario's programs tell the checks: the first broken promise they saw (a safety
// violation, read by the scenario's check after every step) and notes for the trace.
export class EchoReport {
  private first: string | null = null;

  constructor(private readonly log: (what: string, text: string) => void) {}

  /** The first failure reported, or null. */
  get failure(): string | null {
    return this.first;
  }

  fail(message: string): void {
    if (this.first !== null) return;
    this.first = message;
    this.log('app', `FAIL ${message}`);
  }

  note(message: string): void {
    this.log('app', message);
  }
}
