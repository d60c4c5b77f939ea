import { describe, expect, it } from 'vitest';
import { delay } from '../../src/util/scheduler.js';
import { World } from './world.js';

describe('World run loop', () => {
  it('settles the promise continuations of a task before the next task, however deep the chain', async () => {
    const world = new World({ seed: 1 });
    const p = world.boot('n0');
    const order: string[] = [];
    p.after(10, () => {
      order.push('A');
      void (async () => {
        for (let i = 0; i < 50; i++) await Promise.resolve();
        order.push('A-continuation');
        await delay(p.scheduler, 5);
        order.push(`A-after-delay at ${world.simMs}`);
      })();
    });
    p.after(10, () => order.push('B (same instant, scheduled after A)'));
    p.after(12, () => order.push('C'));
    const r = await world.run({ maxSteps: 100, maxSimMs: 1_000 });
    expect(order).toEqual(['A', 'A-continuation', 'B (same instant, scheduled after A)', 'C', 'A-after-delay at 15']);
    expect(r.stopReason).toBe('idle');
    expect(r.steps).toBe(4);
  });

  it('stops at the step and time limits; the time limit lets the simulated time pass', async () => {
    const world = new World({ seed: 1 });
    const p = world.boot('n0');
    const tick = (): void => void p.after(100, tick);
    tick();
    const bySteps = await world.run({ maxSteps: 5, maxSimMs: 1_000_000 });
    expect(bySteps.stopReason).toBe('step-limit');
    expect(world.simMs).toBe(500);
    const byTime = await world.run({ maxSteps: 1_000_000, maxSimMs: 250 });
    expect(byTime.stopReason).toBe('time-limit');
    expect(world.simMs).toBe(750);
    expect(byTime.steps).toBe(7);
  });

  it('runs the checks after every step and stops at the first violation', async () => {
    const world = new World({ seed: 1 });
    const p = world.boot('n0');
    let counter = 0;
    const tick = (): void => {
      counter++;
      p.after(1, tick);
    };
    tick();
    world.invariants.register('counter-below-5', () => (counter >= 5 ? `counter is ${counter}` : null));
    const r = await world.run({ maxSteps: 100, maxSimMs: 1_000 });
    expect(r.violation).toMatchObject({ check: 'counter-below-5', message: 'counter is 5', kind: 'safety', step: 4 });
    expect(world.trace.lines().at(-1)).toContain('VIOLATED counter-below-5: counter is 5');
  });

  it('runs the final checks once the run ends without a safety violation', async () => {
    const world = new World({ seed: 1 });
    world.invariants.registerFinal('never-holds', () => {
      throw new Error('nothing happened');
    });
    const r = await world.run({ maxSteps: 10, maxSimMs: 10 });
    expect(r.violation).toMatchObject({ check: 'never-holds', message: 'nothing happened', kind: 'final' });
  });

  it('reports an exception thrown by a task and an unhandled rejection as crashes', async () => {
    const w1 = new World({ seed: 1 });
    w1.boot('n0').after(5, () => {
      throw new Error('boom');
    });
    const r1 = await w1.run({ maxSteps: 10, maxSimMs: 100 });
    expect(r1.violation).toMatchObject({ check: 'uncaught-exception', kind: 'crash' });
    expect(r1.violation?.message).toContain('boom');

    const w2 = new World({ seed: 1 });
    w2.boot('n0').after(5, () => void Promise.reject(new Error('nobody listens')));
    const r2 = await w2.run({ maxSteps: 10, maxSimMs: 100 });
    expect(r2.violation).toMatchObject({ check: 'unhandled-rejection', kind: 'crash' });
    expect(r2.violation?.message).toContain('nobody listens');
  });

  it('a crashed process runs no more timers; the next incarnation does; boot refuses a live one', async () => {
    const world = new World({ seed: 1 });
    const first = world.boot('n0');
    const ran: string[] = [];
    first.after(10, () => ran.push('old'));
    world.after(5, 'crash n0', () => world.crashHost('n0', 'test'));
    world.after(6, '', () => world.boot('n0').after(1, () => ran.push('new')));
    await world.run({ maxSteps: 100, maxSimMs: 100 });
    expect(ran).toEqual(['new']);
    expect(first.alive).toBe(false);
    expect(first.after(1, () => ran.push('dead'))).toBeDefined();
    expect(world.process('n0')?.incarnation).toBe(2);
    expect(() => world.boot('n0')).toThrow(/still alive/);
  });

  it('keeps a bounded trace ring and hashes every line', async () => {
    const world = new World({ seed: 1, traceLimit: 3 });
    for (let i = 0; i < 10; i++) world.log('t', `line ${i}`);
    expect(world.trace.lines()).toHaveLength(3);
    expect(world.trace.lines()[2]).toContain('line 9');
    expect(world.trace.format()).toMatch(/^\.\.\. 7 earlier trace lines/);
    const other = new World({ seed: 1, traceLimit: 3 });
    for (let i = 0; i < 10; i++) other.log('t', `line ${i === 3 ? 'x' : i}`);
    expect(other.trace.hash).not.toBe(world.trace.hash);
  });
});
