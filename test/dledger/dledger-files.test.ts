// The DLedger member's own files: the hard state (dledger/currterm: parse, missing, damaged) and
// the term history (dledgerTerms), rebuilt from the term markers of the last segment when the
// file is gone; and the Raft port's answer to garbage (a log line, the connection closed,
// nothing else changes).
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HardStateFile, parseHardState } from '../../src/dledger/hard-state-file.js';
import { recoverTerms, TERM_FILE_NAME, TermFile } from '../../src/dledger/term-file.js';
import { markerInput, parseMarker } from '../../src/dledger/term-marker.js';
import { commitLogView } from '../../src/dledger/log-records.js';
import { memoryLogger } from '../../src/util/logger.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import { DLedgerTestGroup } from '../helpers/dledger-group.js';
import { openStore, SMALL_SEGMENT_BYTES, smallConfig, waitUntil } from '../helpers/store-harness.js';
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

describe('the term-start marker', () => {
  it('parses back (term, leader, start); a marker that rolled to a new segment gives its term the blank before it', async () => {
    const store = await openStore(smallConfig(dirs(), 'node'), { logger: memoryLogger() });
    try {
      const log = store.raftLog();
      const first = await store.putMessage({ topic: 'T', body: 'x' });
      const overhead = first.wroteBytes - 1;
      // fill the first segment up to 100 bytes before its end: the marker (about 150 bytes) cannot fit
      for (let i = 0; i < 100 && SMALL_SEGMENT_BYTES - log.writtenEnd() - 100 - overhead > 4000; i++) {
        expect((await store.putMessage({ topic: 'T', body: 'f'.repeat(4000) })).status).toBe('PUT_OK');
      }
      const remaining = SMALL_SEGMENT_BYTES - log.writtenEnd();
      const fill = await store.putMessage({ topic: 'T', body: 'f'.repeat(remaining - 100 - overhead) });
      expect(fill.status).toBe('PUT_OK');
      const start = log.writtenEnd();
      expect(SMALL_SEGMENT_BYTES - start).toBe(100);
      const r = log.appendSystemRecord(markerInput(3, 'n2', start));
      if ('error' in r) throw new Error(r.error);
      expect(r.physicalOffset).toBe(SMALL_SEGMENT_BYTES);
      const bytes = log.readWritten(r.physicalOffset, r.endOffset - r.physicalOffset);
      expect(parseMarker(bytes)).toEqual({ term: 3, leaderId: 'n2', startOffset: start });
      expect(parseMarker(log.readWritten(0, first.wroteBytes))).toBeNull();
      // no term file: the history comes from the marker, from where its term starts
      const terms = recoverTerms(new TermFile(store.fileIO, store.config.storePathRootDir), log, memoryLogger());
      expect(terms).toEqual([{ term: 3, startOffset: start }]);
      // and RaftLogView ends records there: the blank is one record up to the segment end
      expect(commitLogView(log).alignedEnd(start, start + 10)).toBe(SMALL_SEGMENT_BYTES);
      expect(commitLogView(log).alignedEnd(0, start)).toBe(start);
    } finally {
      await store.close();
    }
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
    // the member's own links are untouched: every link that was up before is still up
    const upBefore = before.peers.filter((p) => p.connected).map((p) => p.id);
    expect(upBefore.length).toBeGreaterThan(0);
    expect(afterGarbage.peers.filter((p) => upBefore.includes(p.id)).every((p) => p.connected)).toBe(true);

    const idx = group.members.indexOf(follower);
    await group.stop(idx);
    rmSync(join(follower.dir, TERM_FILE_NAME));
    await group.start(idx);
    expect(group.members[idx]!.service!.status().terms).toEqual(terms);
    expect(group.members[idx]!.logger.lines.some((l) => l.includes('marker found in the log'))).toBe(true);
  });
});
