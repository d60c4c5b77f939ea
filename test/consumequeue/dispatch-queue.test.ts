// DispatchQueue: records come out in append order with their numbers intact, also when the ring
// grows while it has wrapped around (the growth copies the wrapped part in two pieces).
import { describe, expect, it } from 'vitest';
import type { ConsumeQueue } from '../../src/consumequeue/consume-queue.js';
import { DispatchQueue } from '../../src/consumequeue/dispatch-queue.js';

function recordingQueue(): { queue: ConsumeQueue; seen: number[][] } {
  const seen: number[][] = [];
  const queue = { append: (queueOffset: number, physicalOffset: number, size: number, tagsCode: number) => void seen.push([queueOffset, physicalOffset, size, tagsCode]) };
  return { queue: queue as unknown as ConsumeQueue, seen };
}

describe('DispatchQueue', () => {
  it('keeps append order and every field across growth of a wrapped ring', () => {
    const { queue, seen } = recordingQueue();
    const q = new DispatchQueue(1_000_000);
    let next = 0;
    const push = (): void => {
      q.push(queue, next, next * 100, 100, next * 7);
      next++;
    };
    for (let i = 0; i < 1000; i++) push();
    expect(q.drain(600 * 100)).toBe(600); // head moves to 600
    for (let i = 0; i < 1000; i++) push(); // wraps around the first 1024 slots, then grows
    for (let i = 0; i < 5000; i++) push(); // grows again
    expect(q.pending).toBe(6400);
    expect(q.drain(Number.MAX_SAFE_INTEGER)).toBe(6400);
    expect(seen).toHaveLength(7000);
    seen.forEach((e, k) => expect(e).toEqual([k, k * 100, 100, k * 7]));
  });
});
