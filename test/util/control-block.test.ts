import { describe, expect, it } from 'vitest';
import { ControlBlock } from '../../src/util/control-block.js';
import { firstMessage, startTsWorker } from '../helpers/workers.js';

describe('ControlBlock', () => {
  it('advance only moves forward and store sets any value', () => {
    const block = ControlBlock.create(['wrote', 'flushed'] as const);
    expect(block.advance('wrote', 100)).toBe(true);
    expect(block.advance('wrote', 50)).toBe(false);
    expect(block.load('wrote')).toBe(100);
    block.store('wrote', 10);
    expect(block.snapshot()).toEqual({ wrote: 10, flushed: 0 });
  });

  it('holds offsets beyond 32 bits exactly', () => {
    const block = ControlBlock.create(['wrote'] as const);
    const big = 2 ** 52 + 12345;
    block.advance('wrote', big);
    expect(block.load('wrote')).toBe(big);
  });

  it('rejects unknown names and unsafe values', () => {
    const block = ControlBlock.create(['wrote'] as const);
    expect(() => block.load('nope' as 'wrote')).toThrow(/unknown control block position/);
    expect(() => block.store('wrote', 2 ** 60)).toThrow(/safe integer/);
  });

  it('a wait that nobody satisfies times out', async () => {
    const block = ControlBlock.create(['flushed'] as const);
    expect(await block.waitAtLeastAsync('flushed', 1, 20)).toBe('timed-out');
    expect(block.waitAtLeast('flushed', 1, 5)).toBe('timed-out');
  });

  it('a position advanced in a worker thread wakes a waiter on the main thread', async () => {
    const block = ControlBlock.create(['ready', 'flushed'] as const);
    const worker = startTsWorker('advance-position.worker.ts', { buffer: block.buffer, target: 1_000_000, steps: 10 });
    try {
      const waiting = block.waitAtLeastAsync('flushed', 1_000_000, 15_000);
      block.bump('ready');
      expect(await waiting).toBe('ok');
      expect(block.load('flushed')).toBe(1_000_000);
      expect(await firstMessage(worker, 15_000)).toBe('ok');
    } finally {
      await worker.terminate();
    }
  });

  it('waitChangeAsync resolves on a bump', async () => {
    const block = ControlBlock.create(['wakeups'] as const);
    const changed = block.waitChangeAsync('wakeups', 0, 5_000);
    block.bump('wakeups');
    expect(await changed).toBe('ok');
  });
});
