// Epoch history: the divergence rule on the cases that matter (slave behind, old master ahead
// after a promotion, a master that lost bytes, a slave that adopted epochs it has no bytes of),
// beginEpoch, and the haEpochs file (round trip, origin when missing, a corrupt line refused).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EpochFile } from '../../src/ha/epoch-file.js';
import { NodeFileIO } from '../../src/io/node-file-io.js';
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
    expect(() => file.load()).toThrow(/haEpochs line 2: expected "<epoch> <startOffset>"/);
    expect(() => file.load()).toThrow(expect.objectContaining({ code: 'ERR_STORE_CORRUPT' }));
  });
});
