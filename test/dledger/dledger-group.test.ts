// A 3-member DLedger group in one process (real stores, loopback TCP, short timing): election,
// puts on the leader only, committed reads on every member, the marker hidden from consumers,
// failover with every PUT_OK message kept, rejoin with byte-identical logs, transfers, and the
// term/vote file across a restart.
import { afterEach, describe, expect, it } from 'vitest';
import { DLEDGER_TERM_TOPIC } from '../../src/store/system-topics.js';
import { PutMessageStatus } from '../../src/store/statuses.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { readTextFile } from '../../src/io/atomic-file.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DLedgerTestGroup, type GroupMember } from '../helpers/dledger-group.js';
import { tempDirs } from '../helpers/temp-dir.js';

const dirs = tempDirs('mqstore-dledger-');
let group: DLedgerTestGroup | null = null;

afterEach(async () => {
  await group?.stopAll();
  group = null;
});

async function putN(m: GroupMember, n: number, prefix: string): Promise<{ body: string; queueOffset: number; physicalOffset: number; end: number }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const body = `${prefix}-${i}`;
    const r = await m.store!.putMessage({ topic: 'T', queueId: 0, body });
    expect(r.status, r.reason).toBe(PutMessageStatus.PUT_OK);
    out.push({ body, queueOffset: r.queueOffset, physicalOffset: r.physicalOffset, end: r.physicalOffset + r.wroteBytes });
  }
  return out;
}

/** Every message body of queue T/0 a consumer can read now (page by page: a get returns at most 32). */
async function bodies(store: MessageStore, max = 10_000): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0, pages = 0; out.length < max && pages < 1000; pages++) {
    const r = await store.getMessage({ group: 'cg', topic: 'T', queueId: 0, offset, maxMsgNums: 32 });
    if (r.messages.length === 0) break;
    for (const m of r.messages) out.push(new TextDecoder().decode(m.body));
    offset = r.nextBeginOffset;
  }
  return out;
}

describe('DLedger group (3 members, loopback)', () => {
  it('elects one leader; puts on it are PUT_OK and readable on every member; a follower refuses puts naming the leader', async () => {
    group = await DLedgerTestGroup.create(dirs, 3);
    await group.startAll();
    const leader = await group.waitLeader();
    expect(group.leaders()).toHaveLength(1);
    const acked = await putN(leader, 20, 'a');
    const end = leader.store!.getMaxPhyOffset();
    await group.waitConfirmed(end);
    for (const m of group.running()) {
      await expect.poll(() => bodies(m.store!), { timeout: 5000 }).toEqual(acked.map((a) => a.body));
    }
    const follower = group.running().find((m) => m !== leader)!;
    const refused = await follower.store!.putMessage({ topic: 'T', body: 'x' });
    expect(refused.status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    expect(refused.reason).toContain(`leader is ${leader.id} (127.0.0.1:`);
    const s = leader.service!.status();
    expect(s).toMatchObject({ selfId: leader.id, role: 'LEADER', leaderId: leader.id, acceptingPuts: true });
    expect(s.peers.map((p) => p.id).sort()).toEqual(group.running().filter((m) => m !== leader).map((m) => m.id).sort());
    expect(s.peers.every((p) => p.matchOffset !== null && p.matchOffset >= end && p.lagBytes === 0)).toBe(true);
  });

  it('SYNC_FLUSH: PUT_OK once a majority fsynced the put', async () => {
    group = await DLedgerTestGroup.create(dirs, 3, { flushDiskType: 'SYNC_FLUSH' });
    await group.startAll();
    const leader = await group.waitLeader();
    const acked = await putN(leader, 10, 'sync');
    const end = acked[acked.length - 1]!.end;
    // a majority (the leader and at least one follower) holds the bytes fsynced
    const fsynced = group.running().filter((m) => m.store!.runtimeInfo().flushedOffset >= end);
    expect(fsynced.length).toBeGreaterThanOrEqual(2);
    for (const m of group.running()) await expect.poll(() => bodies(m.store!), { timeout: 5000 }).toEqual(acked.map((a) => a.body));
  });

  it('the term marker never reaches consumers and client puts to its topic are refused', async () => {
    group = await DLedgerTestGroup.create(dirs, 3);
    await group.startAll();
    const leader = await group.waitLeader();
    await putN(leader, 3, 'm');
    await group.waitConfirmed(leader.store!.getMaxPhyOffset());
    for (const m of group.running()) {
      expect(m.store!.getMaxOffsetInQueue(DLEDGER_TERM_TOPIC, 0)).toBe(0);
      const r = await m.store!.getMessage({ group: 'cg', topic: DLEDGER_TERM_TOPIC, queueId: 0, offset: 0, maxMsgNums: 10 });
      expect(r.messages).toHaveLength(0);
    }
    const bad = await leader.store!.putMessage({ topic: DLEDGER_TERM_TOPIC, body: 'x' });
    expect(bad.status).toBe(PutMessageStatus.MESSAGE_ILLEGAL);
    // the marker is in the log: the first record of the first term starts at 0
    expect(leader.store!.lookMessageByOffset(0)?.topic).toBe(DLEDGER_TERM_TOPIC);
  });

  it('fails over when the leader closes, keeps every PUT_OK message, and the old leader rejoins with a byte-identical log', async () => {
    group = await DLedgerTestGroup.create(dirs, 3);
    await group.startAll();
    const first = await group.waitLeader();
    const acked = await putN(first, 30, 'f');
    const idx = group.members.indexOf(first);
    await group.stop(idx);
    const second = await group.waitLeader(10_000);
    expect(second.id).not.toBe(first.id);
    // every PUT_OK message is on the new leader (readable once its first entry of its term commits)
    await expect.poll(() => bodies(second.store!), { timeout: 5000 }).toEqual(acked.map((a) => a.body));
    const more = await putN(second, 10, 's');
    await group.start(idx);
    const confirm = second.store!.getMaxPhyOffset();
    await group.waitConfirmed(confirm);
    await group.waitLeader();
    const logs = group.running().map((m) => readLog(m.store!, confirm));
    for (const l of logs) expect(Buffer.compare(l, logs[0]!)).toBe(0);
    for (const m of group.running()) {
      await expect.poll(() => bodies(m.store!), { timeout: 5000 }).toEqual([...acked, ...more].map((a) => a.body));
    }
  });

  it('cuts a rejoining member\'s diverged unconfirmed tail, keeping a quarantine copy', async () => {
    // a long lease (1 s) so the old leader still takes the put after both followers stopped
    group = await DLedgerTestGroup.create(dirs, 3, { maxHeartBeatLeak: 25 });
    await group.startAll();
    const old = await group.waitLeader();
    const kept = await putN(old, 5, 'k');
    await group.waitConfirmed(old.store!.getMaxPhyOffset());
    const oldIdx = group.members.indexOf(old);
    const others = group.members.map((_, i) => i).filter((i) => i !== oldIdx);
    for (const i of others) await group.stop(i);
    // appended, never confirmed: fails when the leader steps down (no quorum), or times out
    const lost = await old.store!.putMessage({ topic: 'T', queueId: 0, body: 'lost' });
    expect([PutMessageStatus.UNKNOWN_ERROR, PutMessageStatus.IN_SYNC_REPLICAS_NOT_ENOUGH]).toContain(lost.status);
    const divergedEnd = old.store!.getMaxPhyOffset();
    await group.stop(oldIdx);
    for (const i of others) await group.start(i);
    const next = await group.waitLeader(15_000);
    const after = await putN(next, 5, 'n');
    await group.start(oldIdx);
    const confirm = next.store!.getMaxPhyOffset();
    await group.waitConfirmed(confirm);
    const rejoined = group.members[oldIdx]!;
    expect(rejoined.logger.lines.some((l) => l.includes('truncated the diverged log tail'))).toBe(true);
    const qdir = join(rejoined.dir, 'quarantine');
    const copies = readdirSync(qdir);
    expect(copies.length).toBeGreaterThan(0);
    expect(divergedEnd).toBeGreaterThan(0);
    expect(Buffer.compare(readLog(rejoined.store!, confirm), readLog(next.store!, confirm))).toBe(0);
    await expect.poll(() => bodies(rejoined.store!), { timeout: 5000 }).toEqual([...kept, ...after].map((a) => a.body));
  });

  it('transfers leadership to a caught-up member and refuses an unknown id', async () => {
    group = await DLedgerTestGroup.create(dirs, 3);
    await group.startAll();
    const leader = await group.waitLeader();
    await putN(leader, 5, 't');
    await group.waitConfirmed(leader.store!.getMaxPhyOffset());
    const unknown = await leader.service!.transferLeadership('n9');
    expect(unknown.code).toBe(520);
    const target = group.running().find((m) => m !== leader)!;
    const notLeader = await target.service!.transferLeadership(leader.id);
    expect(notLeader.code).toBe(404);
    const done = await leader.service!.transferLeadership(target.id);
    expect(done, done.reason).toMatchObject({ code: 200 });
    const now = await group.waitLeader();
    expect(now.id).toBe(target.id);
    await putN(now, 2, 'after');
  });

  it('keeps term and vote across a restart (dledger/currterm)', async () => {
    group = await DLedgerTestGroup.create(dirs, 3);
    await group.startAll();
    const leader = await group.waitLeader();
    const term = leader.service!.status().term;
    const text = readTextFile(leader.store!.fileIO, join(leader.dir, 'dledger', 'currterm'));
    expect(text).toContain(`currTerm=${term}`);
    expect(text).toContain(`voteLeader=${leader.id}`);
    const idx = group.members.indexOf(leader);
    await group.stop(idx);
    await group.start(idx);
    expect(group.members[idx]!.service!.status().term).toBeGreaterThanOrEqual(term);
  });
});

/** The log bytes [0, end) of a store, as one buffer (through the DLedger log access). */
function readLog(store: MessageStore, end: number): Buffer {
  const log = store.raftLog();
  const parts: Uint8Array[] = [];
  for (let at = 0; at < end; ) {
    const chunk = log.readWritten(at, end - at);
    if (chunk.byteLength === 0) throw new Error(`nothing readable at ${at}`);
    parts.push(chunk);
    at += chunk.byteLength;
  }
  return Buffer.concat(parts);
}
