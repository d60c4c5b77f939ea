// DLedger mode with real `mqstore node` processes on loopback (a group of 3, dledger-group.ts):
//   - kill -9 of the leader under load: another member leads and accepts puts; every PUT_OK'd
//     message is served by the new leader at its queue offset with its body and physical offset;
//     after the old leader restarts it follows, and `mqstore verify --group-addr` finds all logs
//     byte-identical up to the least confirm offset;
//   - SIGSTOP of the leader: the others elect a new leader; a put that reached the stopped leader
//     is not acknowledged when it resumes (its lease ran out: it must not answer PUT_OK for a term
//     that is over); after SIGCONT it follows the new leader and the logs agree;
//   - a whole-group restart: every acknowledged message is still there, and puts go on.
// Every wait is on /status with a deadline; the load loop is bounded in puts and time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupVerifyReport } from '../../src/cli/verify/verify-group.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { DLedgerGroup, missingAcked, startLoad, type AckedPut, type MemberStatus } from './dledger-process-group.js';
import { http, pollUntil, runCli } from './node-harness.js';

const newDir = tempDirs('mqstore-dledger-');

/** Every running member confirmed the leader's whole log (nothing in flight). */
function caughtUp(s: Map<string, MemberStatus>, expected: number): boolean {
  if (s.size !== expected) return false;
  const views = [...s.values()].map((x) => x.dledger);
  const leader = views.find((d) => d?.role === 'LEADER');
  if (!leader || leader.logEnd === undefined) return false;
  return views.every((d) => d !== null && d.confirmOffset === leader.logEnd && d.logEnd === leader.logEnd && (d.role === 'LEADER' || d.leaderId === leader.selfId));
}

async function verifyGroup(group: DLedgerGroup): Promise<GroupVerifyReport> {
  const addrs = group.running().map((m) => group.adminAddr(m.id));
  const r = await runCli(['verify', '--group-addr', addrs.join(','), '--json', '--threads', '1']);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as GroupVerifyReport;
}

describe('DLedger group of 3 real processes', () => {
  let group: DLedgerGroup;
  const acked: AckedPut[] = [];

  beforeAll(async () => {
    group = await DLedgerGroup.create({ size: 3, dir: newDir() });
    await group.startAll();
  }, 90_000);

  afterAll(async () => {
    await group?.stopAll();
  }, 60_000);

  it('elects one leader that takes puts; followers refuse and name it', async () => {
    const leader = await group.waitLeader();
    const r = await group.put(leader, 'first');
    expect(r).toMatchObject({ status: 'PUT_OK', queueOffset: 0 });
    acked.push({ body: 'first', queueId: 0, queueOffset: r!.queueOffset!, physicalOffset: r!.physicalOffset!, by: leader });
    const follower = group.members.find((m) => m.id !== leader)!;
    const refused = await group.put(follower.id, 'to a follower');
    expect(refused?.status).toBe('SERVICE_NOT_AVAILABLE');
    expect(refused?.leaderAddr).toBe(group.member(leader).raftAddr);
    expect(refused?.reason).toMatch(new RegExp(leader));
  }, 60_000);

  it('kill -9 of the leader under load: a new leader takes puts, no PUT_OK is lost, the restarted member converges byte for byte', async () => {
    const old = await group.waitLeader();
    const load = startLoad(group, { maxPuts: 5_000, maxMs: 60_000, prefix: 'kill' });
    await pollUntil(async () => load.acked.length >= 100, '100 PUT_OK before the kill', 30_000);
    await group.kill(old, 'SIGKILL');
    const before = load.acked.length;
    const next = await group.waitLeader({ not: old, timeoutMs: 15_000 });
    await pollUntil(async () => load.acked.slice(before).some((a) => a.by === next), `a PUT_OK from the new leader ${next}`, 15_000);
    const got = await load.stop();
    acked.push(...got);
    expect(got.length).toBeGreaterThan(before);
    expect(await missingAcked(group, next, acked)).toEqual([]);

    await group.start(old);
    await group.waitFor((s) => caughtUp(s, 3), `${old} rejoins and every member confirms the leader's log`, 30_000);
    const s = await group.status(old);
    expect(s.dledger).toMatchObject({ role: 'FOLLOWER', leaderId: next });
    expect(await missingAcked(group, old, acked)).toEqual([]);
    const report = await verifyGroup(group);
    expect(report).toMatchObject({ result: 'identical', upToSource: 'confirm-offsets' });
    expect(report.members.map((m) => m.relation)).toEqual(['identical', 'identical', 'identical']);
    expect(report.upTo).toBeGreaterThan(0);
  }, 180_000);

  it('SIGSTOP of the leader: a new leader is elected; the stopped one acknowledges nothing after SIGCONT and rejoins as follower', async () => {
    const old = await group.waitLeader();
    group.pause(old);
    const next = await group.waitLeader({ not: old, timeoutMs: 15_000 });
    const r = await group.put(next, 'after the stop');
    expect(r?.status).toBe('PUT_OK');
    acked.push({ body: 'after the stop', queueId: 0, queueOffset: r!.queueOffset!, physicalOffset: r!.physicalOffset!, by: next });
    // a put sent while it is stopped waits in its socket and is handled when it resumes
    const stale = http(group.adminAddr(old), 'POST', '/admin/put', { topic: 'GroupTopic', count: 1, body: 'to the stopped leader' }, { timeoutMs: 20_000 });
    group.resume(old);
    const answer = await stale;
    expect(answer.status).toBe(200);
    const result = (JSON.parse(answer.body) as { result: { status: string } }).result;
    expect(result.status, answer.body).not.toBe('PUT_OK');

    await group.waitFor((s) => caughtUp(s, 3), `${old} rejoins as a follower of ${next}`, 30_000);
    expect((await group.status(old)).dledger).toMatchObject({ role: 'FOLLOWER', leaderId: next });
    const served = await group.readAll(next);
    expect(served.some((m) => m.body === 'to the stopped leader')).toBe(false);
    expect(await missingAcked(group, old, acked)).toEqual([]);
    expect((await verifyGroup(group)).result).toBe('identical');
  }, 120_000);

  it('a whole-group restart keeps every acknowledged message, and puts go on', async () => {
    for (const m of group.members) expect(await group.kill(m.id, 'SIGTERM')).toBe(0);
    await group.startAll();
    const leader = await group.waitLeader({ timeoutMs: 30_000 });
    expect(await missingAcked(group, leader, acked)).toEqual([]);
    const r = await group.put(leader, 'after the restart');
    expect(r?.status).toBe('PUT_OK');
    await group.waitFor((s) => caughtUp(s, 3), 'every member confirms the leader log', 30_000);
    expect((await verifyGroup(group)).result).toBe('identical');
  }, 180_000);
});
