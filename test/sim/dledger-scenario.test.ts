// The dledger scenario (the real MessageStore and the real DLedger glue on SimDisks over the
// SimNetwork, scenarios/dledger.ts): a seed replays exactly; seeds of groups of 3 and of 5 pass
// every check with crashes and new leaders among them; the checker bites (ASYNC_FLUSH with power
// cuts loses a commit, as DLedger's page-cache promise allows); the strict read rule; and the
// bugs the scenario found in the glue, pinned by their seeds (see the dlproc note): both fixed,
// so their seeds must pass.
import { describe, expect, it } from 'vitest';
import { formatFailure, runSeed, runSeeds } from './runner.js';
import { expectDeterministic } from './determinism.js';
import { findScenario } from './scenarios/index.js';

const three = findScenario('dledger-3')!;
const mixed = findScenario('dledger')!;
const asyncPowerCut = findScenario('dledger-bug-async-power-cut')!;

describe('simulator: dledger scenario', () => {
  it('is deterministic: the same seed gives the identical trace', async () => {
    const o = await expectDeterministic(three, 2, 50);
    expect(o.result.violation ? formatFailure(three, o, {}, false) : null).toBeNull();
  }, 300_000);

  // dledger seed 9 is a group of 5 (SYNC_FLUSH, 5 crashes, 8 leaderships)
  for (const [scenario, seeds] of [
    [three, [1, 3, 6]],
    [mixed, [9]],
  ] as const) {
    it(`${scenario.name}: seeds ${seeds.join(', ')} pass every check, with crashes and new leaders among them`, async () => {
      const lines: string[] = [];
      const summary = await runSeeds(scenario, [...seeds], { traceSink: (l) => lines.push(l), traceLimit: 0 });
      expect(summary.failures.map((f) => formatFailure(scenario, f))).toEqual([]);
      const text = lines.join('\n');
      if (scenario === mixed) expect(text).toMatch(/dledger: 5 members/);
      expect(text).toMatch(/host +n\d#\d crashes \(nemesis\)/);
      expect(text).toMatch(/DLedger role CANDIDATE\/\d+ -> LEADER\/[2-9]/);
      expect(text).toMatch(/a leader every member follows, \d+ ms after the faults stopped/);
      expect(text).toMatch(/run ends: stopped \(the group converged\)/);
    }, 600_000);
  }

  it('the checker bites: ASYNC_FLUSH with power cuts loses a committed entry (seed 48)', async () => {
    const o = await runSeed(asyncPowerCut, 48);
    expect(o.result.violation?.check).toBe('leader-holds-committed');
  }, 120_000);

  it('seeds 62 and 90 of dledger (were bug A: an ASYNC_FLUSH ack counted bytes still in a follower\'s write buffer, and a kill -9 of that follower lost a committed entry; acks now count page-cache bytes only)', async () => {
    const summary = await runSeeds(mixed, [62, 90]);
    expect(summary.failures.map((f) => formatFailure(mixed, f, {}, false))).toEqual([]);
  }, 240_000);

  it('seed 5 of dledger-3 (was bug B: a restarted member served its recovered log before confirming it, and a reader saw a message the group then dropped; fixed on the dledger branch, 4775d62)', async () => {
    const o = await runSeed(three, 5);
    expect(o.result.violation ? formatFailure(three, o, {}, false) : null).toBeNull();
  }, 120_000);

  it('dledger-strict-reads: no member serves a message past its own confirm offset (seeds 3, 5)', async () => {
    const strict = findScenario('dledger-strict-reads')!;
    const summary = await runSeeds(strict, [3, 5]);
    expect(summary.failures.map((f) => formatFailure(strict, f, {}, false))).toEqual([]);
  }, 300_000);
});
