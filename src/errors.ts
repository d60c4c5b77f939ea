// Operating errors with stable codes. Broken invariants use `assert` (util/assert.ts) instead;
// expected hot-path outcomes are status values, not errors.
//
// Every code is listed in ErrorCode so callers can switch on it; messages may change, codes do not.

export const ErrorCode = {
  /** A configuration key is unknown or its value is not allowed. */
  CONFIG: 'ERR_STORE_CONFIG',
  /** An API argument is malformed (wrong type, out of range). */
  INVALID_ARGUMENT: 'ERR_STORE_INVALID_ARGUMENT',
  /** The store (or a component of it) is closed. */
  CLOSED: 'ERR_STORE_CLOSED',
  /** A file system call failed; `cause` holds the errno error. */
  IO: 'ERR_STORE_IO',
  /** The native addon was required but is not available. */
  NATIVE_UNAVAILABLE: 'ERR_STORE_NATIVE_UNAVAILABLE',
  /** A feature needs a capability the chosen IO backend lacks (mmap, O_DIRECT, sendfile). */
  UNSUPPORTED: 'ERR_STORE_UNSUPPORTED',
  /** A wait on a position or event passed its deadline. */
  TIMEOUT: 'ERR_STORE_TIMEOUT',
  /** Data on disk or on the wire does not have the expected format. */
  CORRUPT: 'ERR_STORE_CORRUPT',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class StoreError extends Error {
  readonly code: ErrorCodeValue;

  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

/** A bad configuration key or value: names the key, the value and what is allowed. */
export class ConfigError extends StoreError {
  readonly key: string;

  constructor(key: string, value: unknown, allowed: string) {
    super(ErrorCode.CONFIG, `config key '${key}': value ${JSON.stringify(value)} is not allowed; allowed: ${allowed}`);
    this.name = 'ConfigError';
    this.key = key;
  }
}

/** An errno error from the file system, keeping `errno code` and `syscall` of the cause. */
export class IoError extends StoreError {
  readonly errnoCode: string;
  readonly syscall: string;

  constructor(operation: string, cause: unknown) {
    const c = cause as { code?: unknown; syscall?: unknown; message?: unknown };
    const errnoCode = typeof c?.code === 'string' ? c.code : 'EUNKNOWN';
    const syscall = typeof c?.syscall === 'string' ? c.syscall : operation;
    super(ErrorCode.IO, `${operation} failed: ${String(c?.message ?? cause)}`, { cause });
    this.name = 'IoError';
    this.errnoCode = errnoCode;
    this.syscall = syscall;
  }
}
