// The Raft core on the cases the issue names: election, pre-vote, the vote persisted before its
// answer, the up-to-date check, the leader stepping down without a quorum, the lease, the
// current-term commit rule, log repair of a diverged follower (never below its commit point),
// and leadership transfer (refused for a lagging transferee, done TimeoutNow style otherwise).
import { describe, expect, it } from 'vitest';
import { RaftCore } from '../../src/raft/raft-core.js';
import { RaftCode, RaftMessageType } from '../../src/raft/raft-protocol.js';
import type { RaftAction } from '../../src/raft/raft-types.js';
import { BYTES, Cluster, lcg, testSettings } from './cluster-kit.js';

const IDS = ['n0', 'n1', 'n2'];

function elect(c: Cluster, maxMs = 3_000): string {
  for (let t = 0; t < maxMs; t += 10) {
    c.advance(10);
    const l = c.leaders();
    if (l.length === 1 && l[0]!.core.status().acceptingPuts) return l[0]!.id;
  }
  throw new Error('no leader');
}

const sends = (actions: readonly RaftAction[], type: number) => actions.filter((a) => a.kind === 'send' && a.message.type === type);

describe('RaftCore: election', () => {
  it('elects exactly one leader, which writes its term-start marker first', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    expect(c.leaders()).toHaveLength(1);
    const s = c.get(leader).core.status();
    expect(s.term).toBeGreaterThanOrEqual(1);
    expect(s.terms).toEqual([{ term: s.term, startOffset: 0 }]);
    for (const id of IDS) if (id !== leader) expect(c.get(id).core.status()).toMatchObject({ role: 'FOLLOWER', leaderId: leader, term: s.term });
    // the marker is committed on a majority and confirmed everywhere
    c.advance(200);
    for (const id of IDS) expect(c.get(id).confirm).toBe(4);
  });

  it('a member does not vote while it heard from a leader within the election timeout (booting counts)', () => {
    const core = new RaftCore(testSettings('n1', IDS), { term: 0, votedFor: null, terms: [], writtenEnd: 0, flushedEnd: 0, commitOffset: 0 }, lcg(1), 0, BYTES);
    const early = core.step({ kind: 'message', from: 'n0', message: { type: RaftMessageType.PRE_VOTE_REQUEST, term: 1, lastOffset: 0, lastTerm: 0 } }, 100);
    expect(sends(early, RaftMessageType.PRE_VOTE_RESPONSE)[0]).toMatchObject({ message: { granted: false, code: RaftCode.REJECT_HAS_LEADER } });
    const later = core.step({ kind: 'message', from: 'n0', message: { type: RaftMessageType.PRE_VOTE_REQUEST, term: 1, lastOffset: 0, lastTerm: 0 } }, 301);
    expect(sends(later, RaftMessageType.PRE_VOTE_RESPONSE)[0]).toMatchObject({ message: { granted: true } });
    // a pre-vote changes nothing
    expect(core.status()).toMatchObject({ term: 0, votedFor: null });
  });
});

describe('RaftCore: pre-vote', () => {
  it('a member cut off keeps its term (no election without a majority) and rejoins without deposing the leader', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    const term = c.get(leader).core.status().term;
    const loner = IDS.find((id) => id !== leader)!;
    c.isolate(loner);
    c.advance(3_000);
    expect(c.get(loner).core.status().term).toBe(term);
    expect(c.get(loner).core.status().role).toBe('PRE_CANDIDATE');
    c.heal();
    c.advance(500);
    expect(c.get(leader).core.status()).toMatchObject({ role: 'LEADER', term });
    expect(c.get(loner).core.status()).toMatchObject({ role: 'FOLLOWER', leaderId: leader, term });
  });

  it('without pre-vote the same member inflates its term and deposes the leader when it rejoins', () => {
    const c = new Cluster(IDS, { preVote: false });
    const leader = elect(c);
    const term = c.get(leader).core.status().term;
    const loner = IDS.find((id) => id !== leader)!;
    c.isolate(loner);
    c.advance(3_000);
    expect(c.get(loner).core.status().term).toBeGreaterThan(term + 3);
    c.heal();
    c.advance(100);
    expect(c.get(leader).core.status().term).toBeGreaterThan(term);
  });
});

describe('RaftCore: votes', () => {
  const voter = () => new RaftCore(testSettings('n1', IDS), { term: 3, votedFor: null, terms: [{ term: 2, startOffset: 0 }, { term: 3, startOffset: 100 }], writtenEnd: 200, flushedEnd: 200, commitOffset: 0 }, lcg(2), 0, BYTES);
  const ask = (core: RaftCore, lastTerm: number, lastOffset: number, from = 'n0', term = 4) =>
    core.step({ kind: 'message', from, message: { type: RaftMessageType.VOTE_REQUEST, term, lastTerm, lastOffset, transfer: false } }, 1_000);

  it('the grant is sent only after the vote is persisted', () => {
    const core = voter();
    const actions = ask(core, 3, 200);
    // first the new term (no vote), then the vote
    const persists = actions.filter((a) => a.kind === 'persist-state');
    expect(persists).toMatchObject([{ term: 4, votedFor: null }, { term: 4, votedFor: 'n0' }]);
    const persist = persists[1];
    expect(sends(actions, RaftMessageType.VOTE_RESPONSE)).toEqual([]);
    const after = core.step({ kind: 'persisted', seq: (persist as { seq: number }).seq }, 1_001);
    expect(sends(after, RaftMessageType.VOTE_RESPONSE)[0]).toMatchObject({ to: 'n0', message: { granted: true, term: 4 } });
  });

  it('the up-to-date check compares the last term first, then the end offset', () => {
    const answer = (lastTerm: number, lastOffset: number) => {
      const core = voter();
      const a = ask(core, lastTerm, lastOffset);
      const p = a.find((x) => x.kind === 'persist-state') as { seq: number };
      return sends([...a, ...core.step({ kind: 'persisted', seq: p.seq + 1 }, 1_001)], RaftMessageType.VOTE_RESPONSE)[0]!;
    };
    expect(answer(3, 199)).toMatchObject({ message: { granted: false, code: RaftCode.REJECT_LOG_BEHIND } });
    expect(answer(2, 10_000)).toMatchObject({ message: { granted: false, code: RaftCode.REJECT_LOG_BEHIND } });
    expect(answer(3, 200)).toMatchObject({ message: { granted: true } });
    expect(answer(4, 1)).toMatchObject({ message: { granted: true } });
  });

  it('one vote per term', () => {
    const core = voter();
    const a = ask(core, 3, 200, 'n0');
    core.step({ kind: 'persisted', seq: (a.filter((x) => x.kind === 'persist-state').at(-1) as { seq: number }).seq }, 1_000);
    const b = ask(core, 3, 500, 'n2');
    expect(sends(b, RaftMessageType.VOTE_RESPONSE)[0]).toMatchObject({ message: { granted: false, code: RaftCode.REJECT_ALREADY_VOTED } });
  });
});

describe('RaftCore: check-quorum and lease', () => {
  it('a leader cut off from the majority stops acknowledging after its lease and steps down within the election timeout', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    c.advance(200);
    const L = c.get(leader);
    expect(L.core.status().acceptingPuts).toBe(true);
    c.isolate(leader);
    const cutAt = c.nowMs;
    c.put(leader, 50); // on the leader only
    const confirmBefore = L.confirm;
    let leaseEndedAt = -1;
    let steppedDownAt = -1;
    for (let t = 0; t < 1_000 && steppedDownAt < 0; t += 5) {
      c.advance(5, 5);
      const s = L.core.status(c.nowMs);
      if (leaseEndedAt < 0 && !s.acceptingPuts) leaseEndedAt = c.nowMs;
      if (s.role !== 'LEADER') steppedDownAt = c.nowMs;
    }
    expect(L.confirm).toBe(confirmBefore);
    expect(leaseEndedAt - cutAt).toBeLessThanOrEqual(300 - 30);
    expect(steppedDownAt - cutAt).toBeLessThanOrEqual(300 + 10);
    expect(leaseEndedAt).toBeLessThanOrEqual(steppedDownAt);
  });
});

describe('RaftCore: lease', () => {
  it('acknowledgements that reach a leader after its lease ran out (it was paused) confirm nothing', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    c.advance(200);
    const L = c.get(leader);
    const before = L.confirm;
    c.put(leader, 60);
    // the followers get the append and answer; the answers wait (the leader is stopped) ...
    c.settleHolding((_from, to) => to === leader);
    expect(c.queue.length).toBeGreaterThan(0);
    // ... past its lease (electionTimeout - margin after the last acknowledged send); meanwhile
    // the others may have elected a new leader: nothing the old leader sends reaches them now
    c.nowMs += 300;
    for (const id of IDS) if (id !== leader) c.cut.add(`${leader}>${id}`);
    c.settle();
    expect(L.confirm).toBe(before);
    expect(L.core.status(c.nowMs).acceptingPuts).toBe(false);
  });

  it('the same acknowledgements within the lease confirm the put', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    c.advance(200);
    const L = c.get(leader);
    const before = L.confirm;
    c.put(leader, 60);
    c.settleHolding((_from, to) => to === leader);
    c.nowMs += 100;
    c.settle();
    expect(L.confirm).toBe(before + 60);
  });
});

describe('RaftCore: commit rule', () => {
  // n0 led term 1 and wrote [0, 104) (marker + puts), only n1 has all of it; then n0 is down.
  // n1 leads term 2 (after n2's vote), replicates the term-1 bytes to n2 — a majority — but its own
  // marker is held back from n2.
  function scenario(currentTermCommitRule: boolean) {
    const c = new Cluster(IDS, { currentTermCommitRule });
    const first = elect(c);
    expect(first).toBeDefined();
    const leader = c.leaders()[0]!.id;
    c.advance(100);
    const other = IDS.filter((id) => id !== leader);
    const [b, d] = other as [string, string];
    c.cut.add(`${leader}>${d}`);
    c.put(leader, 100);
    c.advance(50);
    const committedBefore = c.get(b).confirm;
    c.members.delete(leader); // the old leader is gone
    // b becomes leader of a new term; d's appends carry the old-term bytes but d never gets b's marker
    c.cut.clear();
    let markerHeld = false;
    const originalStep = c.step.bind(c);
    c.step = (id, event) => {
      if (id === d && event.kind === 'message' && event.message.type === RaftMessageType.APPEND_REQUEST) {
        const m = event.message;
        if (m.dataTerm === m.term && m.data.length > 0) {
          markerHeld = true;
          return [];
        }
      }
      return originalStep(id, event);
    };
    c.advance(2_000);
    return { c, b, d, committedBefore, markerHeld };
  }

  it('with the rule, bytes of an earlier term on a majority are not committed until an entry of the current term is', () => {
    const { c, b, d, committedBefore, markerHeld } = scenario(true);
    expect(markerHeld).toBe(true);
    expect(c.get(b).core.status().role).toBe('LEADER');
    expect(c.get(d).log.length).toBeGreaterThan(committedBefore + 50); // d holds the old-term bytes
    expect(c.get(b).core.status().commitOffset).toBe(committedBefore);
  });

  it('without it (DLedger 0.3.1.2), the leader commits them (what figure 8 breaks)', () => {
    const { c, b, committedBefore } = scenario(false);
    expect(c.get(b).core.status().commitOffset).toBeGreaterThan(committedBefore + 50);
  });
});

describe('RaftCore: log repair', () => {
  it('a follower with a diverged suffix is cut back to where the logs agree and gets the leader\'s bytes', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    c.advance(100);
    const [x, y] = IDS.filter((id) => id !== leader) as [string, string];
    // the leader writes bytes only it holds, then is cut off and the other two elect one of them
    c.isolate(leader);
    c.put(leader, 300);
    c.advance(1_500);
    const newLeader = c.leaders().find((m) => m.id !== leader)!;
    expect([x, y]).toContain(newLeader.id);
    c.put(newLeader.id, 40);
    c.advance(100);
    const committed = newLeader.confirm;
    c.heal();
    c.advance(1_000);
    const old = c.get(leader);
    expect(old.core.status()).toMatchObject({ role: 'FOLLOWER', leaderId: newLeader.id });
    expect(old.log).toEqual(newLeader.log);
    expect(old.actions.some((a) => a.kind === 'truncate' && a.toOffset >= committed - 44)).toBe(true);
    expect(old.actions.filter((a) => a.kind === 'truncate').every((a) => a.kind === 'truncate' && a.toOffset >= 4)).toBe(true);
  });

  it('an append that would cut below the commit point is refused', () => {
    const core = new RaftCore(testSettings('n1', IDS), { term: 2, votedFor: null, terms: [{ term: 1, startOffset: 0 }], writtenEnd: 100, flushedEnd: 100, commitOffset: 80 }, lcg(3), 0, BYTES);
    const out = core.step({ kind: 'message', from: 'n0', message: { type: RaftMessageType.APPEND_REQUEST, term: 2, prevOffset: 50, prevTerm: 1, dataTerm: 2, commitOffset: 0, sentAtMs: 0, data: new Uint8Array(10) } }, 1);
    expect(out.some((a) => a.kind === 'truncate')).toBe(false);
    expect(out.find((a) => a.kind === 'send')).toMatchObject({ message: { type: RaftMessageType.APPEND_RESPONSE, code: RaftCode.TRUNCATE_BELOW_COMMIT } });
    expect(core.belowCommitRefusals).toBe(1);
  });
});

describe('RaftCore: leadership transfer', () => {
  it('refuses a transferee that lags more than the bound', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    c.advance(100);
    const to = IDS.find((id) => id !== leader)!;
    c.cut.add(`${leader}>${to}`);
    c.put(leader, 2_000);
    c.advance(50);
    c.step(leader, { kind: 'transfer-leadership', to });
    expect(c.get(leader).transferResults).toEqual([{ to, code: RaftCode.FALL_BEHIND_TOO_MUCH }]);
    expect(c.get(leader).core.status()).toMatchObject({ role: 'LEADER', transferringTo: null });
  });

  it('hands over to a caught-up transferee (TimeoutNow): it leads the next term, the old leader follows', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    c.advance(100);
    const to = IDS.find((id) => id !== leader)!;
    const term = c.get(leader).core.status().term;
    c.step(leader, { kind: 'transfer-leadership', to });
    c.settle();
    c.advance(200);
    expect(c.get(to).core.status()).toMatchObject({ role: 'LEADER', term: term + 1 });
    expect(c.get(leader).core.status()).toMatchObject({ role: 'FOLLOWER', leaderId: to });
    expect(c.get(leader).transferResults).toEqual([{ to, code: RaftCode.SUCCESS }]);
  });

  it('a transferee that never takes over: TAKE_LEADERSHIP_FAILED, and the leader steps down rather than take back the lease it gave up', () => {
    const c = new Cluster(IDS);
    const leader = elect(c);
    c.advance(100);
    const to = IDS.find((id) => id !== leader)!;
    c.step(leader, { kind: 'transfer-leadership', to });
    c.isolate(to); // TIMEOUT_NOW (already queued) never arrives
    expect(c.get(leader).core.status().acceptingPuts).toBe(false);
    c.advance(1_100);
    const L = c.get(leader);
    expect(L.transferResults).toEqual([{ to, code: RaftCode.TAKE_LEADERSHIP_FAILED }]);
    const failedAt = L.actions.findIndex((a) => a.kind === 'transfer-done');
    expect(L.actions.slice(failedAt).some((a) => a.kind === 'role-changed' && a.role === 'FOLLOWER')).toBe(true);
  });

  it('preferredLeaderId: the leader hands over to the preferred member once it is live and caught up', () => {
    const c = new Cluster(IDS, { preferredLeaderId: 'n2' });
    elect(c);
    c.advance(3_000);
    expect(c.leaders().map((m) => m.id)).toEqual(['n2']);
  });
});
