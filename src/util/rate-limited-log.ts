// Log lines that can repeat fast (a peer refused on every reconnect, a bad frame on every
// attempt) go through a RateLimitedLog: per key, the first line is written; lines with the same
// key within intervalMs after it are counted, not written; the first line after the interval is
// written with the count of what was suppressed since the last written one
// ("... [12 similar suppressed in 30.0 s]"). flush() writes one summary line per key with a count
// still pending (call it on close so the count is not lost).
// No timers: a suppressed count shows up with the key's next line, or at flush().
// Bounds: at most MAX_KEYS keys are remembered (the least recently written is forgotten, its
// pending count written as a summary first), so a stream of distinct keys cannot grow it.
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

type Level = 'info' | 'warn' | 'error';

interface KeyState {
  /** Monotonic ms of the last written line. */
  lastMs: number;
  suppressed: number;
  level: Level;
  lastMessage: string;
}

export const MAX_KEYS = 256;

export class RateLimitedLog {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly logger: Pick<Logger, Level>,
    private readonly clock: Pick<Clock, 'monotonicMs'>,
    readonly intervalMs: number,
  ) {}

  info(key: string, message: string): boolean {
    return this.write('info', key, message);
  }

  warn(key: string, message: string): boolean {
    return this.write('warn', key, message);
  }

  error(key: string, message: string): boolean {
    return this.write('error', key, message);
  }

  /** Lines of `key` suppressed since its last written line. */
  suppressed(key: string): number {
    return this.keys.get(key)?.suppressed ?? 0;
  }

  /** Write a summary for every key with suppressed lines (and forget all keys). */
  flush(): void {
    for (const [key, state] of this.keys) this.summarize(key, state);
    this.keys.clear();
  }

  /** Returns whether the line was written. */
  private write(level: Level, key: string, message: string): boolean {
    const now = this.clock.monotonicMs();
    const state = this.keys.get(key);
    if (state !== undefined && now - state.lastMs < this.intervalMs) {
      state.suppressed++;
      state.level = level;
      state.lastMessage = message;
      return false;
    }
    const suffix = state !== undefined && state.suppressed > 0 ? ` [${state.suppressed} similar suppressed in ${((now - state.lastMs) / 1000).toFixed(1)} s]` : '';
    this.logger[level](message + suffix);
    this.keys.delete(key); // re-inserted last: the map's order is least recently written first
    this.remember(key, { lastMs: now, suppressed: 0, level, lastMessage: message });
    return true;
  }

  private remember(key: string, state: KeyState): void {
    if (this.keys.size >= MAX_KEYS) {
      const [oldestKey, oldest] = this.keys.entries().next().value as [string, KeyState];
      this.summarize(oldestKey, oldest);
      this.keys.delete(oldestKey);
    }
    this.keys.set(key, state);
  }

  private summarize(key: string, state: KeyState): void {
    if (state.suppressed === 0) return;
    this.logger[state.level](`${state.lastMessage} [${state.suppressed} similar suppressed (${key}), last one shown]`);
    state.suppressed = 0;
  }
}
