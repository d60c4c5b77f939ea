// The Raft core's rules as pure functions: the term history (term of a byte, where two logs
// agree), the follower's append plan (gap, term mismatch, duplicate, conflict cut, never below
// the commit point), the commit rule (quorum offset, current term only), the transfer check and
// the quorum contact (check-quorum time and the lease base).
import { describe, expect, it } from 'vitest';
import { nextCommit, quorumOffset } from '../../src/raft/commit-rule.js';
import { isUpToDate, quorumOf } from '../../src/raft/election.js';
import { planAppend } from '../../src/raft/follower-append.js';
import { checkTransfer } from '../../src/raft/leader-transfer.js';
import { QuorumContact } from '../../src/raft/quorum-contact.js';
import { RaftCode } from '../../src/raft/raft-protocol.js';
import { agreedEnd, check, TermHistory } from '../../src/raft/term-history.js';

const t = (term: number, startOffset: number) => ({ term, startOffset });

describe('term history', () => {
  it('the term of a byte, and where a run ends', () => {
    const h = new TermHistory([t(1, 0), t(3, 100), t(4, 250)]);
    expect([h.termAt(-1), h.termAt(0), h.termAt(99), h.termAt(100), h.termAt(249), h.termAt(250)]).toEqual([0, 1, 1, 3, 3, 4]);
    expect(h.lastTerm(250)).toBe(3);
    expect(h.runEnd(120, 400)).toBe(250);
    expect(h.runEnd(300, 400)).toBe(400);
    h.truncate(250);
    expect(h.entries).toEqual([t(1, 0), t(3, 100)]);
    h.begin(5, 250);
    h.begin(6, 250); // term 5 wrote nothing
    expect(h.entries).toEqual([t(1, 0), t(3, 100), t(6, 250)]);
    expect(check(h.entries, 300)).toBeNull();
    expect(check(h.entries, 250)).toMatch(/starts at or past the log end/);
    expect(check([t(2, 0), t(2, 5)], 10)).toMatch(/does not follow/);
  });

  it('agreedEnd: the shorter run of the last common term', () => {
    const leader = [t(1, 0), t(3, 100), t(5, 300)];
    expect(agreedEnd([t(1, 0), t(3, 100)], 200, leader, 400)).toBe(200); // behind, same history
    expect(agreedEnd([t(1, 0), t(3, 100)], 350, leader, 400)).toBe(300); // ahead in term 3: extra bytes
    expect(agreedEnd([t(1, 0), t(2, 80)], 150, leader, 400)).toBe(80); // term 2 never reached the leader
    expect(agreedEnd([], 0, leader, 400)).toBe(0);
  });
});

describe('planAppend (follower)', () => {
  const h = () => new TermHistory([t(1, 0), t(2, 100)]);
  const req = (prevOffset: number, prevTerm: number, dataTerm: number, length: number) => ({ prevOffset, prevTerm, dataTerm, length });

  it('refuses a gap or a different term before the data', () => {
    expect(planAppend(h(), 150, 0, req(160, 2, 2, 10))).toEqual({ kind: 'refuse-gap' });
    expect(planAppend(h(), 150, 0, req(120, 1, 3, 10))).toEqual({ kind: 'refuse-term' });
  });

  it('appends at the end, skips what it holds, keeps bytes past a repeated request', () => {
    expect(planAppend(h(), 150, 0, req(150, 2, 2, 20))).toEqual({ kind: 'accept', truncateTo: null, writeFrom: 150, end: 170 });
    expect(planAppend(h(), 150, 0, req(120, 2, 2, 50))).toEqual({ kind: 'accept', truncateTo: null, writeFrom: 150, end: 170 });
    expect(planAppend(h(), 150, 0, req(110, 2, 2, 20))).toEqual({ kind: 'accept', truncateTo: null, writeFrom: 130, end: 130 });
  });

  it('cuts at the first byte of another term, but never below the commit point', () => {
    expect(planAppend(h(), 150, 0, req(100, 1, 3, 30))).toEqual({ kind: 'accept', truncateTo: 100, writeFrom: 100, end: 130 });
    expect(planAppend(h(), 150, 120, req(100, 1, 3, 30))).toEqual({ kind: 'refuse-below-commit', conflictAt: 100 });
    // data of term 1 running past the follower's term-1 run: cut where term 2 starts
    expect(planAppend(h(), 150, 0, req(90, 1, 1, 30))).toEqual({ kind: 'accept', truncateTo: 100, writeFrom: 100, end: 120 });
  });
});

describe('commit rule', () => {
  it('the quorum offset is the largest offset a majority holds', () => {
    expect(quorumOf(3)).toBe(2);
    expect(quorumOf(5)).toBe(3);
    expect(quorumOffset([100, 50, 70], 2)).toBe(70);
    expect(quorumOffset([100, 50, 70, 10, 90], 3)).toBe(70);
  });

  it('moves only past the current term marker (or anywhere without the rule), never back', () => {
    const input = { positions: [500, 400, 100], quorum: 2, currentCommit: 100, markerEnd: 450, currentTermRule: true };
    expect(nextCommit(input)).toBe(100);
    expect(nextCommit({ ...input, markerEnd: null })).toBe(100);
    expect(nextCommit({ ...input, markerEnd: 400 })).toBe(400);
    expect(nextCommit({ ...input, currentTermRule: false })).toBe(400);
    expect(nextCommit({ ...input, positions: [50, 40, 30], markerEnd: 10, currentCommit: 100 })).toBe(100);
  });
});

describe('election and transfer checks', () => {
  it('up to date: last term first, then offset', () => {
    expect(isUpToDate({ lastTerm: 3, lastOffset: 10 }, { lastTerm: 2, lastOffset: 1000 })).toBe(true);
    expect(isUpToDate({ lastTerm: 2, lastOffset: 999 }, { lastTerm: 2, lastOffset: 1000 })).toBe(false);
    expect(isUpToDate({ lastTerm: 2, lastOffset: 1000 }, { lastTerm: 2, lastOffset: 1000 })).toBe(true);
  });

  it('a transfer is refused for a non-member, a lagging member, or while another is running', () => {
    const base = { to: 'n1', selfId: 'n0', peers: ['n0', 'n1', 'n2'], isLeader: true, busyWith: null, lagBytes: 10, maxLagBytes: 100 };
    expect(checkTransfer(base)).toEqual({ ok: true });
    expect(checkTransfer({ ...base, lagBytes: 101 })).toMatchObject({ ok: false, code: RaftCode.FALL_BEHIND_TOO_MUCH });
    expect(checkTransfer({ ...base, to: 'n9' })).toMatchObject({ ok: false, code: RaftCode.UNKNOWN_MEMBER });
    expect(checkTransfer({ ...base, isLeader: false })).toMatchObject({ ok: false, code: RaftCode.NOT_LEADER });
    expect(checkTransfer({ ...base, busyWith: 'n2' })).toMatchObject({ ok: false, code: RaftCode.LEADER_TRANSFERRING });
  });

  it('quorum contact: the quorum-th freshest answer, and the lease base from echoed send times', () => {
    const q = new QuorumContact(['n1', 'n2', 'n3', 'n4'], 3, 0);
    q.heard('n1', 100, 90);
    q.heard('n2', 120, 95);
    expect(q.quorumHeardMs(200)).toBe(100);
    expect(q.leaseBaseMs(200)).toBe(90);
    q.heard('n2', 130, 80); // an older echo never moves the base back
    expect(q.leaseBaseMs(200)).toBe(90);
    q.heard('n9', 500, 500); // not a member
    expect(q.quorumHeardMs(600)).toBe(100);
  });
});
