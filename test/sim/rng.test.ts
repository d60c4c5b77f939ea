import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

describe('Rng', () => {
  it('is a fixed function of the seed (golden values: changing the generator changes every seed)', () => {
    const a = Rng.fromSeed(1);
    const first = [a.nextU32(), a.nextU32(), a.nextU32()];
    const b = Rng.fromSeed(1);
    expect([b.nextU32(), b.nextU32(), b.nextU32()]).toEqual(first);
    expect(first).toMatchInlineSnapshot(`
      [
        2442144158,
        3238099751,
        3819917871,
      ]
    `);
    expect(Rng.fromSeed(2).nextU32()).not.toBe(first[0]);
    expect(Rng.fromSeed(2 ** 40 + 1).nextU32()).not.toBe(Rng.fromSeed(1).nextU32());
  });

  it('forks are independent of how much the parent drew', () => {
    const parent = Rng.fromSeed(9);
    const early = parent.fork('net').nextU32();
    for (let i = 0; i < 100; i++) parent.nextU32();
    expect(parent.fork('net').nextU32()).toBe(early);
    expect(parent.fork('disk').nextU32()).not.toBe(early);
    expect(parent.fork('net').fork('a').nextU32()).not.toBe(parent.fork('a').nextU32());
  });

  it('int stays in range and hits both ends; float is in [0, 1)', () => {
    const r = Rng.fromSeed(3);
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) {
      const x = r.int(-3, 3);
      expect(x).toBeGreaterThanOrEqual(-3);
      expect(x).toBeLessThanOrEqual(3);
      seen.add(x);
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(seen.size).toBe(7);
    expect(r.int(5, 5)).toBe(5);
    expect(() => r.int(2, 1)).toThrow(/bad int range/);
  });

  it('chance, pick, weighted, shuffle and bytes behave', () => {
    const r = Rng.fromSeed(4);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(0.25)) hits++;
    expect(hits).toBeGreaterThan(2_200);
    expect(hits).toBeLessThan(2_800);
    expect(['a', 'b', 'c']).toContain(r.pick(['a', 'b', 'c']));
    for (let i = 0; i < 100; i++) expect(r.weighted([[0, 'never'], [1, 'always']])).toBe('always');
    const items = Array.from({ length: 20 }, (_, i) => i);
    const shuffled = r.shuffle(items);
    expect([...shuffled].sort((x, y) => x - y)).toEqual(items);
    expect(shuffled).not.toEqual(items);
    expect(r.bytes(7)).toHaveLength(7);
    expect(Buffer.from(Rng.fromSeed(5).bytes(33)).equals(Buffer.from(Rng.fromSeed(5).bytes(33)))).toBe(true);
  });
});
