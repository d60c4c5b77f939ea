// The ha scenario (real MessageStore + classic HA on SimDisks over the SimNetwork): it replays
// exactly, passes its checks on a few seeds, and its checker bites: with a master whose
// replication gate answers 'ok' before any slave has the bytes (turned off from outside, by
// wrapping the store HA sees: ha-node.ts), a SYNC_MASTER seed is caught within a bounded number
// of seeds, and the report carries the replay command; and with slaves that skip the rejoin and
// save their master's epoch history as their own (so HA's own divergence check passes), the
// lineage check catches a diverged log being followed.
import { describe, expect, it } from 'vitest';
import { formatFailure, runSeed, runSeeds } from './runner.js';
import { expectDeterministic } from './determinism.js';
import { findScenario } from './scenarios/index.js';

const ha = findScenario('ha')!;
const broken = findScenario('ha-bug-gate-ok-early')!;
const liar = findScenario('ha-bug-rejoin-lies')!;

describe('simulator: ha scenario', () => {
  it('is deterministic: the same seed gives the identical trace', async () => {
    const o = await expectDeterministic(ha, 5, 500);
    expect(o.result.violation).toBeNull();
  }, 60_000);

  it('passes its checks over a few seeds, with crashes, promotions and truncating rejoins among them', async () => {
    const lines: string[] = [];
    const summary = await runSeeds(ha, [100, 103, 108, 109, 111], { traceSink: (l) => lines.push(l), traceLimit: 0 });
    expect(summary.failures.map((f) => formatFailure(ha, f))).toEqual([]);
    const text = lines.join('\n');
    expect(text).toMatch(/host +n\d#\d crashes \(nemesis\)/);
    expect(text).toMatch(/operator +master n\d down for \d+ ms: promote n\d#\d/);
    expect(text).toMatch(/rejoin: \{"kind":"truncated"/);
    expect(text).toMatch(/run ends: stopped \(every slave caught up\)/);
  }, 120_000);

  it('seed 3429: after a master\'s wall clock stepped back, a slave\'s power cut that kept a newer segment\'s writes but lost an older one\'s is recovered to a prefix', async () => {
    // The regression of src/commitlog/recovery.ts abnormalStart: the newest-first rule started
    // the scan at the newer segment (its first record's timestamp, from the master's stepped-back
    // clock, was before the checkpoint's) and kept the older segment's zeros as log.
    const lines: string[] = [];
    const o = await runSeed(ha, 3429, { traceSink: (l) => lines.push(l), traceLimit: 0 });
    expect(o.result.violation ? formatFailure(ha, o, {}, false) : null).toBeNull();
    expect(lines.join('\n')).toMatch(/wall clock of n0#1 jumps -\d+ ms/);
  }, 60_000);

  it('seed 10440: a slave\'s power cut loses unflushed writes; its recovery starts early enough to cut them (the checkpoint carries the records\' own, master-given time)', async () => {
    // The regression of the checkpoint stamp (store-timers.ts sampleCheckpoint): stamped with the
    // slave's own wall time, later than the master-given timestamps of the records it had
    // flushed, recovery started after a segment whose unflushed tail the cut had lost.
    const lines: string[] = [];
    const o = await runSeed(ha, 10440, { traceSink: (l) => lines.push(l), traceLimit: 0 });
    expect(o.result.violation ? formatFailure(ha, o, {}, false) : null).toBeNull();
    expect(lines.join('\n')).toMatch(/disk +n1 power cut: [1-9]\d* unsynced write\(s\) lost/);
  }, 60_000);

  it('bites: a master that acknowledges SYNC_MASTER puts before a slave has them is caught, with the replay command', async () => {
    const seeds = Array.from({ length: 20 }, (_, i) => i + 1);
    const summary = await runSeeds(broken, seeds);
    expect(summary.failures.length).toBeGreaterThan(0);
    const first = summary.failures[0]!;
    expect(first.result.violation?.check).toBe('sync-master-put-ok-on-slave');
    const report = formatFailure(broken, first);
    expect(report).toContain(`replay: npm run sim -- --scenario ha-bug-gate-ok-early --seed ${first.result.seed}`);
    expect(report).toMatch(/answered PUT_OK for \[\d+, \d+\) \(epoch \d+@\d+\) but no slave was seen holding it/);
    // the replay finds the same violation at the same step
    const again = await runSeed(broken, first.result.seed);
    expect(again.result.violation).toEqual(first.result.violation);
  }, 120_000);

  it('bites: a slave that skips the rejoin and claims its master\'s history is caught by the lineage check', async () => {
    const seeds = Array.from({ length: 40 }, (_, i) => i + 1);
    const summary = await runSeeds(liar, seeds);
    expect(summary.failures.length).toBeGreaterThan(0);
    const first = summary.failures[0]!;
    expect(first.result.violation?.check).toBe('lineage');
    const report = formatFailure(liar, first);
    expect(report).toContain(`replay: npm run sim -- --scenario ha-bug-rejoin-lies --seed ${first.result.seed}`);
    expect(report).toMatch(/under its new history .* holds bytes at \[\d+, \d+\) of epoch \d+@\d+ that differ from what its master wrote there/);
  }, 180_000);
});
