// Shared by the config tests: a warning collector and "run this, return the ConfigError it throws".
import { expect } from 'vitest';
import { ConfigError, ErrorCode } from '../../src/errors.js';

export function collect(): { warn: (m: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { warn: (m) => lines.push(m), lines };
}

/** Runs fn and returns the ConfigError it throws (fails the test otherwise). */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe(ErrorCode.CONFIG);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}
