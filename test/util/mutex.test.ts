import { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { SabMutex } from '../../src/util/mutex.js';
import { helperPath, TSX_EXEC_ARGV } from '../helpers/workers.js';

describe('SabMutex', () => {
  it('tryLock fails while held and succeeds after unlock', () => {
    const m = new SabMutex();
    expect(m.tryLock()).toBe(true);
    expect(m.tryLock()).toBe(false);
    m.unlock();
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });

  it('unlock of an unlocked mutex is a broken invariant', () => {
    expect(() => new SabMutex().unlock()).toThrow(/not locked/);
  });

  it('two views of one buffer are the same lock', () => {
    const buffer = new SharedArrayBuffer(8);
    const a = new SabMutex(buffer, 4);
    const b = new SabMutex(buffer, 4);
    expect(a.tryLock()).toBe(true);
    expect(b.tryLock()).toBe(false);
    a.unlock();
    expect(b.withLock(() => 42)).toBe(42);
    expect(a.tryLock()).toBe(true);
  });

  it('keeps a counter exact when piscina worker threads increment it concurrently', async () => {
    const pool = new Piscina({
      filename: helperPath('mutex-counter.worker.ts'),
      minThreads: 4,
      maxThreads: 4,
      execArgv: TSX_EXEC_ARGV,
    });
    try {
      const lock = new SharedArrayBuffer(4);
      const counter = new SharedArrayBuffer(8);
      const times = 200_000;
      const tasks = Array.from({ length: 4 }, () => pool.run({ lock, counter, times, locked: true }));
      await Promise.all(tasks);
      expect(new Float64Array(counter)[0]).toBe(4 * times);
      expect(new Int32Array(lock)[0]).toBe(0);
    } finally {
      await pool.destroy();
    }
  });
});
