// The simulator's determinism check, shared by the scenario tests: run one seed twice with every
// trace line kept and require identical traces and trace hashes. Returns the first run's outcome
// so each test can assert its own checks on it.
import { expect } from 'vitest';
import { runSeed, type SeedOutcome } from './runner.js';
import type { Scenario } from './scenario.js';

export async function expectDeterministic(scenario: Scenario, seed: number, minTraceLines: number): Promise<SeedOutcome> {
  const run = async (): Promise<{ lines: string[]; o: SeedOutcome }> => {
    const lines: string[] = [];
    const o = await runSeed(scenario, seed, { traceSink: (l) => lines.push(l), traceLimit: 0 });
    return { lines, o };
  };
  const a = await run();
  const b = await run();
  expect(a.lines.length).toBeGreaterThan(minTraceLines);
  expect(b.lines).toEqual(a.lines);
  expect(b.o.result.traceHash).toBe(a.o.result.traceHash);
  return a.o;
}
