// The DLedger member's own files: the hard state (dledger/currterm: parse, missing, damaged) and
// the term history (dledgerTerms), rebuilt from the term markers of the last segment when the
// file is gone; and the Raft port's answer to garbage (a log line, the connection closed,
// nothing else changes).
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HardStateFile, parseHardState } from '../../src/dledger/hard-state-file.js';
import { TERM_FILE_NAME } from '../../src/dledger/term-file.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import { DLedgerTestGroup } from '../helpers/dledger-group.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const dirs = tempDirs('mqstore-dledger-files-');
let group: DLedgerTestGroup | null = null;
afterEach(async () => {
  await group?.stopAll();
  group = null;
});

describe('dledger/currterm', () => {
  it('round-trips term and vote, reads a missing file as term 0 with no vote, refuses a damaged one', () => {
    const dir = dirs();
    const file = new HardStateFile(new NodeFileIO(), dir);
    expect(file.load()).toEqual({ term: 0, votedFor: null });
    file.save({ term: 7, votedFor: 'n2' });
    expect(file.load()).toEqual({ term: 7, votedFor: 'n2' });
    file.save({ term: 8, votedFor: null });
    expect(file.load()).toEqual({ term: 8, votedFor: null });
    expect(() => parseHardState('voteLeader=n1\n', 'x')).toThrow(/no currTerm line/);
    expect(() => parseHardState('currTerm=-1\n', 'x')).toThrow(/currTerm "-1"/);
    mkdirSync(join(dir, 'dledger'), { recursive: true });
    writeFileSync(file.path, 'currTerm=abc\n');
    expect(() => file.load()).toThrow(/ERR_STORE_CORRUPT|damaged/);
  });
});

describe('term history and the Raft port', () => {
  it('rebuilds the term history from the markers when dledgerTerms is gone; garbage on the port closes that connection only', async () => {
    group = await DLedgerTestGroup.create(dirs, 3);
    await group.startAll();
    const leader = await group.waitLeader();
    for (let i = 0; i < 3; i++) await leader.store!.putMessage({ topic: 'T', body: `m${i}` });
    const follower = group.running().find((m) => m !== leader)!;
    await waitUntil(() => follower.service!.status().confirmOffset >= leader.store!.getMaxPhyOffset(), 'the follower confirms the puts');
    const terms = follower.service!.status().terms;
    expect(terms.length).toBeGreaterThan(0);

    // garbage on the follower's Raft port: a clear line, that connection closed, the member unchanged
    const before = follower.service!.status();
    const c = tcpTransport.connect({ host: '127.0.0.1', port: follower.service!.port });
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => {
        c.write(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]));
      });
      c.once('close', () => resolve());
      c.once('error', reject);
    });
    expect(follower.logger.lines.some((l) => l.includes('Raft port: closing the connection from') && l.includes('length'))).toBe(true);
    const afterGarbage = follower.service!.status();
    expect(afterGarbage).toMatchObject({ term: before.term, leaderId: before.leaderId, role: 'FOLLOWER' });
    expect(afterGarbage.peers.every((p) => p.connected)).toBe(true);

    const idx = group.members.indexOf(follower);
    await group.stop(idx);
    rmSync(join(follower.dir, TERM_FILE_NAME));
    await group.start(idx);
    expect(group.members[idx]!.service!.status().terms).toEqual(terms);
    expect(group.members[idx]!.logger.lines.some((l) => l.includes('marker found in the log'))).toBe(true);
  });
});
