// The dledger scenario (the real MessageStore and the real DLedger glue on SimDisks over the
// SimNetwork, scenarios/dledger.ts): a seed replays exactly, and a handful of seeds of groups of 3
// and of 5 pass every check with crashes and new leaders among them.
import { describe, expect, it } from 'vitest';
import { formatFailure, runSeed, runSeeds } from './runner.js';
import { findScenario } from './scenarios/index.js';

const three = findScenario('dledger-3')!;
const five = findScenario('dledger-5')!;

describe('simulator: dledger scenario', () => {
  it('is deterministic: the same seed gives the identical trace', async () => {
    const run = async () => {
      const lines: string[] = [];
      const o = await runSeed(three, 2, { traceSink: (l) => lines.push(l), traceLimit: 0 });
      return { lines, o };
    };
    const a = await run();
    const b = await run();
    expect(a.lines.length).toBeGreaterThan(50);
    expect(b.lines).toEqual(a.lines);
    expect(b.o.result.traceHash).toBe(a.o.result.traceHash);
    expect(a.o.result.violation ? formatFailure(three, a.o, {}, false) : null).toBeNull();
  }, 300_000);

  for (const [scenario, seeds] of [
    [three, [1, 3, 4]],
    [five, [1, 2]],
  ] as const) {
    it(`${scenario.name}: seeds ${seeds.join(', ')} pass every check, with crashes and new leaders among them`, async () => {
      const lines: string[] = [];
      const summary = await runSeeds(scenario, [...seeds], { traceSink: (l) => lines.push(l), traceLimit: 0 });
      expect(summary.failures.map((f) => formatFailure(scenario, f))).toEqual([]);
      const text = lines.join('\n');
      expect(text).toMatch(/host +n\d#\d crashes \(nemesis\)/);
      expect(text).toMatch(/a leader every member follows, \d+ ms after the faults stopped/);
      expect(text).toMatch(/run ends: stopped \(the group converged\)/);
    }, 600_000);
  }
});
