// RateLimitedLog on a ManualClock: the first line of a key is written, repeats within the
// interval are counted, the next line after it carries the count; keys are independent and
// bounded; flush() writes what is pending.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { MAX_KEYS, RateLimitedLog } from '../../src/util/rate-limited-log.js';

describe('RateLimitedLog', () => {
  it('first line, then one line per interval with the suppressed count', () => {
    const clock = new ManualClock();
    const logger = memoryLogger();
    const log = new RateLimitedLog(logger, clock, 10_000);
    expect(log.warn('peer-a', 'refused a')).toBe(true);
    for (let i = 0; i < 50; i++) {
      clock.advance(100);
      expect(log.warn('peer-a', `refused a #${i}`)).toBe(false);
    }
    expect(log.suppressed('peer-a')).toBe(50);
    expect(log.warn('peer-b', 'refused b')).toBe(true); // another key is not held back
    clock.advance(5000);
    expect(log.warn('peer-a', 'refused a again')).toBe(true);
    expect(logger.lines).toEqual(['WARN [mqstore] refused a', 'WARN [mqstore] refused b', 'WARN [mqstore] refused a again [50 similar suppressed in 10.0 s]']);
    expect(log.suppressed('peer-a')).toBe(0);
  });

  it('flush() writes the pending counts once; distinct keys stay bounded', () => {
    const clock = new ManualClock();
    const logger = memoryLogger();
    const log = new RateLimitedLog(logger, clock, 1000);
    log.error('k', 'bad frame');
    log.error('k', 'bad frame 2');
    log.error('k', 'bad frame 3');
    log.flush();
    log.flush();
    expect(logger.lines).toEqual(['ERROR [mqstore] bad frame', 'ERROR [mqstore] bad frame 3 [2 similar suppressed (k), last one shown]']);
    logger.lines.length = 0;
    log.warn('first', 'x');
    log.warn('first', 'x'); // suppressed, pending
    for (let i = 0; i < MAX_KEYS; i++) log.warn(`key-${i}`, `line ${i}`);
    // 'first' was evicted and its count written; it is new again
    expect(logger.lines).toContain('WARN [mqstore] x [1 similar suppressed (first), last one shown]');
    expect(log.suppressed('first')).toBe(0);
    expect(log.warn('first', 'x again')).toBe(true);
  });
});
