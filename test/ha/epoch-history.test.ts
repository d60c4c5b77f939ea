// Epoch history: the divergence rule on the cases that matter (slave behind, old master ahead
// after a promotion, a master that lost bytes, a slave that adopted epochs it has no bytes of),
// beginEpoch, and the haEpochs file (round trip, origin when missing, a corrupt line refused);
// store ids: the same epoch number under another store id is another epoch (a wiped master), an
// unknown id matches any; the haEpochs lines carry the id; the store id file is created once;
// the rejoin guard (rejoin-guard.ts) on the wiped-master, lost-tail and old-master cases.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EpochFile } from '../../src/ha/epoch-file.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
import { acknowledgedEnd, judgeTruncation } from '../../src/ha/rejoin-guard.js';
import { loadOrCreateStoreId, STORE_ID_FILE_NAME } from '../../src/ha/store-identity.js';
import { readFileSync } from 'node:fs';
import { beginEpoch, checkDivergence, EPOCH_NODE_SLOTS, MAX_EPOCH_ENTRIES, normalizeEpochs, ORIGIN_EPOCH, type EpochEntry } from '../../src/ha/epoch-history.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-epochs-');
const e = (epoch: number, startOffset: number): EpochEntry => ({ epoch, startOffset });

describe('checkDivergence', () => {
  it('a slave behind or level with its master in the same history is consistent', () => {
    const master = [e(0, 0), e(1, 0), e(2, 5000)];
    expect(checkDivergence([e(0, 0), e(1, 0)], 3000, master, 9000)).toEqual({ kind: 'consistent', commonEpoch: 1 });
    expect(checkDivergence([e(0, 0), e(1, 0)], 5000, master, 9000)).toEqual({ kind: 'consistent', commonEpoch: 1 });
    expect(checkDivergence(master, 9000, master, 9000)).toEqual({ kind: 'consistent', commonEpoch: 2 });
    expect(checkDivergence([], 0, master, 9000).kind).toBe('consistent'); // empty slave
  });

  it('an old master that wrote past the point where its slave was promoted drops exactly those bytes', () => {
    // old master: epoch 1 from 0, wrote to 7000; its slave had 5000 when promoted (epoch 2)
    const newMaster = [e(0, 0), e(1, 0), e(2, 5000)];
    expect(checkDivergence([e(0, 0), e(1, 0)], 7000, newMaster, 8000)).toEqual({ kind: 'diverged', commonEpoch: 1, truncateTo: 5000, droppedBytes: 2000 });
  });

  it('a slave ahead of a master that restarted with fewer bytes (lost unflushed data) drops the excess', () => {
    expect(checkDivergence([e(1, 0)], 9000, [e(1, 0), e(2, 8500)], 8600)).toEqual({ kind: 'diverged', commonEpoch: 1, truncateTo: 8500, droppedBytes: 500 });
  });

  it('a node that was master of its own epoch meanwhile is cut where that epoch began', () => {
    // local: promoted at 100 (epoch 1) and wrote to 200; the other side kept epoch 0 to 150, then epoch 2
    expect(checkDivergence([e(0, 0), e(1, 100)], 200, [e(0, 0), e(2, 150)], 400)).toEqual({ kind: 'diverged', commonEpoch: 0, truncateTo: 100, droppedBytes: 100 });
  });

  it('epochs adopted from a master but not yet received do not count as local bytes', () => {
    expect(checkDivergence([e(0, 0), e(1, 500)], 300, [e(0, 0), e(1, 500), e(2, 800)], 900)).toEqual({ kind: 'consistent', commonEpoch: 1 });
  });
});

describe('beginEpoch and normalizeEpochs', () => {
  const T = EPOCH_NODE_SLOTS;
  it('a new epoch is in the term above every known epoch, tagged with the brokerId, and drops entries past the log end', () => {
    expect(beginEpoch([], 0, 0)).toEqual([ORIGIN_EPOCH, e(T, 0)]);
    expect(beginEpoch([e(0, 0), e(3 * T, 100), e(4 * T + 1, 900)], 500, 2)).toEqual([ORIGIN_EPOCH, e(3 * T, 100), e(5 * T + 2, 500)]);
    expect(beginEpoch([e(0, 0), e(3 * T + 7, 500)], 500, 1)).toEqual([ORIGIN_EPOCH, e(3 * T + 7, 500), e(4 * T + 1, 500)]);
  });

  it('two nodes that become master from the same history get different epochs, so their logs never pass for one', () => {
    // X (brokerId 0) restarts as master at 1000 and writes to 1200; Y (brokerId 1), which never
    // heard of that restart, is promoted at 1000; X then rejoins Y as a slave
    const shared = [e(0, 0), e(T, 0)];
    const x = beginEpoch(shared, 1000, 0);
    const y = beginEpoch(shared, 1000, 1);
    expect(x.at(-1)!.epoch).not.toBe(y.at(-1)!.epoch);
    expect(checkDivergence(x, 1200, y, 5000)).toEqual({ kind: 'diverged', commonEpoch: T, truncateTo: 1000, droppedBytes: 200 });
  });

  it('a full list keeps the origin and the newest entries', () => {
    let list: EpochEntry[] = [];
    for (let i = 0; i < MAX_EPOCH_ENTRIES + 5; i++) list = beginEpoch(list, i * 10, 0);
    expect(list).toHaveLength(MAX_EPOCH_ENTRIES);
    expect(list[0]).toEqual(ORIGIN_EPOCH);
    expect(list[list.length - 1]).toEqual(e((MAX_EPOCH_ENTRIES + 5) * T, (MAX_EPOCH_ENTRIES + 4) * 10));
  });

  it('refuses lists whose epochs do not grow or whose starts go back', () => {
    expect(() => normalizeEpochs([e(2, 0), e(2, 10)], 'x')).toThrow(/does not follow/);
    expect(() => normalizeEpochs([e(1, 50), e(2, 10)], 'x')).toThrow(/does not follow/);
    expect(() => normalizeEpochs([e(-1, 0)], 'x')).toThrow(/non-negative/);
  });
});

describe('EpochFile', () => {
  it('round-trips, reads a missing file as the origin, and names a corrupt line', () => {
    const dir = newDir();
    const file = new EpochFile(new NodeFileIO(), dir);
    expect(file.load()).toEqual([ORIGIN_EPOCH]);
    file.save([e(0, 0), e(1, 0), e(2, 2 ** 40)]);
    expect(file.load()).toEqual([ORIGIN_EPOCH, e(1, 0), e(2, 2 ** 40)]);
    writeFileSync(join(dir, 'haEpochs'), '0 0\n1 x\n');
    expect(() => file.load()).toThrow(/haEpochs line 2: expected "<epoch> <startOffset> \[<storeId>\]"/);
    expect(() => file.load()).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
  });
});

const A = 'aaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbb';
const S = '5555555555555555'; // the slave's own store
const id = (epoch: number, startOffset: number, storeId: string): EpochEntry => ({ epoch, startOffset, storeId });
const rules = { storeId: S, brokerId: 1, truncateMaxBytes: 1 << 20, allowTruncate: false };

describe('store ids', () => {
  it('the same epoch number under another store id is another epoch; an unknown id matches any', () => {
    const slave = [ORIGIN_EPOCH, id(1024, 0, A)];
    // the master wiped its directory and began "1024 at 0" again, as store B
    expect(checkDivergence(slave, 5000, [ORIGIN_EPOCH, id(1024, 0, B)], 0)).toEqual({ kind: 'diverged', commonEpoch: 0, truncateTo: 0, droppedBytes: 5000 });
    expect(checkDivergence(slave, 5000, [ORIGIN_EPOCH, id(1024, 0, A)], 6000).kind).toBe('consistent');
    expect(checkDivergence([ORIGIN_EPOCH, e(1024, 0)], 5000, [ORIGIN_EPOCH, id(1024, 0, A)], 6000).kind).toBe('consistent'); // saved before ids
    expect(beginEpoch([ORIGIN_EPOCH], 0, 0, B)).toEqual([ORIGIN_EPOCH, id(1024, 0, B)]);
    expect(() => normalizeEpochs([{ epoch: 1, startOffset: 0, storeId: 'xyz' }], 'x')).toThrow(/16 hex digits/);
  });

  it('haEpochs lines carry the id (lines without one still load); the store id file is made once', () => {
    const dir = newDir();
    const io = new NodeFileIO();
    const file = new EpochFile(io, dir);
    file.save([ORIGIN_EPOCH, id(1024, 0, A), e(2048, 10)]);
    expect(readFileSync(join(dir, 'haEpochs'), 'utf8')).toBe(`0 0\n1024 0 ${A}\n2048 10\n`);
    expect(file.load()).toEqual([ORIGIN_EPOCH, id(1024, 0, A), e(2048, 10)]);
    let draws = 0;
    const random = (): number => (++draws * 0.123456789) % 1;
    const first = loadOrCreateStoreId(io, dir, random);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(loadOrCreateStoreId(io, dir, () => 0.5)).toBe(first); // never changes once written
    expect(draws).toBe(2);
    writeFileSync(join(dir, STORE_ID_FILE_NAME), 'not an id\n');
    expect(() => loadOrCreateStoreId(io, dir, random)).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
  });
});

describe('judgeTruncation (rejoin-guard.ts)', () => {
  it('a wiped master (same epoch number, new id, empty log): refused as not newer, and the bytes were acknowledged', () => {
    const v = judgeTruncation({ local: [ORIGIN_EPOCH, id(1024, 0, A)], localEnd: 5000, master: [ORIGIN_EPOCH, id(1024, 0, B)], masterEnd: 0, truncateTo: 0 }, rules);
    expect(v).toMatchObject({ allowed: false, kinds: ['master-not-newer', 'acknowledged'] });
    expect(judgeTruncation({ local: [ORIGIN_EPOCH, id(1024, 0, A)], localEnd: 5000, master: [ORIGIN_EPOCH, id(1024, 0, B)], masterEnd: 0, truncateTo: 0 }, { ...rules, allowTruncate: true })).toEqual({
      allowed: true,
      overridden: ['master-not-newer', 'acknowledged'],
    });
  });

  it('a master that lost its unflushed tail and began a newer epoch: the slave acknowledged that tail, refused', () => {
    const v = judgeTruncation({ local: [ORIGIN_EPOCH, id(1024, 0, A), id(2048, 3000, A)], localEnd: 5000, master: [ORIGIN_EPOCH, id(1024, 0, A), id(2048, 3000, A), id(3072, 4000, A)], masterEnd: 4500, truncateTo: 4000 }, rules);
    expect(v).toMatchObject({ allowed: false, kinds: ['acknowledged'] });
  });

  it("an old master's own unreplicated tail after its slave was promoted: allowed within the bound, refused above it", () => {
    const old = [ORIGIN_EPOCH, id(1024, 0, S)];
    const promoted = [ORIGIN_EPOCH, id(1024, 0, S), id(2049, 5000, B)];
    expect(judgeTruncation({ local: old, localEnd: 7000, master: promoted, masterEnd: 6000, truncateTo: 5000 }, rules)).toEqual({ allowed: true, overridden: [] });
    expect(judgeTruncation({ local: old, localEnd: 7000, master: promoted, masterEnd: 6000, truncateTo: 5000 }, { ...rules, truncateMaxBytes: 1000 })).toMatchObject({ allowed: false, kinds: ['too-many-bytes'] });
    // entries saved before ids: this node's brokerId slot says which epochs it began
    expect(acknowledgedEnd([ORIGIN_EPOCH, e(1025, 0), e(2048, 100)], 300, { storeId: S, brokerId: 1 })).toBe(300);
    expect(acknowledgedEnd([ORIGIN_EPOCH, e(1024, 0), e(2049, 100)], 300, { storeId: S, brokerId: 1 })).toBe(100);
  });
});

