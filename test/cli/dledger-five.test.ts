// DLedger mode, a group of 5 real `mqstore node` processes (dledger-group.ts): with two members
// killed (-9), the leader among them, the remaining three elect a leader and accept puts; every
// PUT_OK'd message is served by it; the two come back, follow, and all five logs are identical up
// to the least confirm offset (`mqstore verify --group-addr`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupVerifyReport } from '../../src/cli/verify/verify-group.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { DLedgerGroup, missingAcked, startLoad } from './dledger-process-group.js';
import { pollUntil, runCli } from './node-harness.js';

const newDir = tempDirs('mqstore-dledger5-');

describe('DLedger group of 5 real processes', () => {
  let group: DLedgerGroup;

  beforeAll(async () => {
    group = await DLedgerGroup.create({ size: 5, dir: newDir() });
    await group.startAll();
  }, 120_000);

  afterAll(async () => {
    await group?.stopAll();
  }, 60_000);

  it('losing two members (the leader one of them) still accepts puts; no PUT_OK lost; they rejoin', async () => {
    const leader = await group.waitLeader({ timeoutMs: 30_000 });
    const load = startLoad(group, { maxPuts: 3_000, maxMs: 60_000, prefix: 'five' });
    await pollUntil(async () => load.acked.length >= 50, '50 PUT_OK before the kills', 30_000);
    const victim = group.members.find((m) => m.id !== leader)!.id;
    await Promise.all([group.kill(leader, 'SIGKILL'), group.kill(victim, 'SIGKILL')]);
    const before = load.acked.length;
    const next = await group.waitLeader({ timeoutMs: 20_000 });
    expect([leader, victim]).not.toContain(next);
    await pollUntil(async () => load.acked.slice(before).some((a) => a.by === next), `a PUT_OK from ${next} with two members down`, 20_000);
    const acked = await load.stop();
    expect(await missingAcked(group, next, acked)).toEqual([]);

    await Promise.all([group.start(leader), group.start(victim)]);
    await group.waitFor(
      (s) => {
        if (s.size !== 5) return false;
        const l = [...s.values()].find((x) => x.dledger?.role === 'LEADER')?.dledger;
        return l !== undefined && l !== null && [...s.values()].every((x) => x.dledger !== null && x.dledger.confirmOffset === l.logEnd && x.dledger.logEnd === l.logEnd);
      },
      'all five members confirm the leader log',
      40_000,
    );
    const r = await runCli(['verify', '--group-addr', group.members.map((m) => group.adminAddr(m.id)).join(','), '--json', '--threads', '1']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(r.stdout) as GroupVerifyReport;
    expect(report.result).toBe('identical');
    expect(report.members).toHaveLength(5);
    for (const id of [leader, victim]) expect(await missingAcked(group, id, acked)).toEqual([]);
  }, 240_000);
});
