// Invariant checks. A failed assert is a bug in mqstore, never a user error: it throws
// AssertionError loudly and is not meant to be caught.

export class AssertionError extends Error {
  constructor(message: string) {
    super(`mqstore invariant broken: ${message}`);
    this.name = 'AssertionError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${String(value)}`);
}
