// The store's replication hooks, without the network: a slave store fed the master's committed
// bytes in frames cut at random places ends byte-identical, with the same ConsumeQueues.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();
const base = { mappedFileSizeCommitLog: 128 * 1024, maxMessageSize: 4096, logLevel: 'warn' as const };

async function copyAll(master: MessageStore, slave: MessageStore, seed: number): Promise<void> {
  const source = master.replicationSource();
  let rnd = seed;
  const nextCut = (): number => {
    rnd = (rnd * 1103515245 + 12345) % 2 ** 31;
    return 1 + (rnd % 5000);
  };
  for (let guard = 0; guard < 100_000; guard++) {
    const at = slave.getMaxPhyOffset() === 0 && slave.runtimeInfo().wroteOffset === 0 ? source.minOffset() : slave.runtimeInfo().wroteOffset;
    if (at >= source.maxOffset()) return;
    const bytes = source.read(at, nextCut());
    expect(bytes.byteLength).toBeGreaterThan(0);
    const r = slave.appendReplicated(at, bytes);
    expect(r.status).toBe('PUT_OK');
  }
  throw new Error('copy did not finish');
}

describe('replication hooks', () => {
  it('a slave fed the master bytes in random frames is byte-identical and indexes the same messages', async () => {
    const masterDir = newDir();
    const slaveDir = newDir();
    const master = await MessageStore.open({ ...base, storePathRootDir: masterDir }, { logger: memoryLogger() });
    const slave = await MessageStore.open({ ...base, storePathRootDir: slaveDir, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:10912' }, { logger: memoryLogger() });
    try {
      for (let i = 0; i < 600; i++) {
        const r = await master.putMessage({ topic: 'Rep', queueId: i % 3, body: `m${i}-${'x'.repeat(i % 700)}`, keys: `k${i}` });
        expect(r.status).toBe('PUT_OK');
      }
      await master.putMessages([0, 1, 2].map((j) => ({ topic: 'Rep', queueId: 1, body: `batch${j}` })));
      await copyAll(master, slave, 7);
      expect(slave.getMaxPhyOffset()).toBe(master.getMaxPhyOffset());
      for (let q = 0; q < 3; q++) expect(slave.getMaxOffsetInQueue('Rep', q)).toBe(master.getMaxOffsetInQueue('Rep', q));
      const a = await master.getMessage({ group: 'g', topic: 'Rep', queueId: 1, offset: 190, maxMsgNums: 32 });
      const b = await slave.getMessage({ group: 'g', topic: 'Rep', queueId: 1, offset: 190, maxMsgNums: 32 });
      expect(b.messages.map((m) => m.msgId)).toEqual(a.messages.map((m) => m.msgId));
      expect((await slave.putMessage({ topic: 'Rep', body: 'no' })).status).toBe('SERVICE_NOT_AVAILABLE');
      expect(master.appendReplicated(0, new Uint8Array(8)).status).toBe('NOT_SLAVE');
      expect(slave.appendReplicated(12345, new Uint8Array(8)).status).toBe('OFFSET_MISMATCH');
      const end = slave.runtimeInfo().wroteOffset;
      const garbage = new Uint8Array(64).fill(0x41);
      const refused = slave.appendReplicated(end, garbage);
      expect(refused.status).toBe('INVALID_DATA');
      expect(refused.reason).toMatch(/no record magic/);
      expect(slave.runtimeInfo().wroteOffset).toBe(end); // nothing of it reached the log
    } finally {
      await master.close();
      await slave.close();
    }
    const files = readdirSync(join(masterDir, 'commitlog')).sort();
    expect(readdirSync(join(slaveDir, 'commitlog')).sort()).toEqual(files);
    for (const f of files) {
      expect(readFileSync(join(slaveDir, 'commitlog', f)).equals(readFileSync(join(masterDir, 'commitlog', f)))).toBe(true);
    }
  });

  it('a promoted slave continues the queue offsets', async () => {
    const master = await MessageStore.open({ ...base, storePathRootDir: newDir() }, { logger: memoryLogger() });
    const slave = await MessageStore.open({ ...base, storePathRootDir: newDir(), brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:10912' }, { logger: memoryLogger() });
    try {
      for (let i = 0; i < 50; i++) await master.putMessage({ topic: 'P', queueId: 0, body: `p${i}` });
      await copyAll(master, slave, 3);
      expect(slave.appendReplicated(slave.runtimeInfo().wroteOffset, new Uint8Array(32).fill(7)).status).toBe('INVALID_DATA');
      for (let i = 0; i < 5; i++) await master.putMessage({ topic: 'P', queueId: 0, body: `q${i}` });
      await copyAll(master, slave, 5); // a refused frame does not leave the slave stuck
      expect(slave.getMaxOffsetInQueue('P', 0)).toBe(55);
      slave.changeRole('ASYNC_MASTER');
      const r = await slave.putMessage({ topic: 'P', queueId: 0, body: 'after promotion' });
      expect(r.status).toBe('PUT_OK');
      expect(r.queueOffset).toBe(55);
      expect(r.physicalOffset).toBe(master.getMaxPhyOffset());
    } finally {
      await master.close();
      await slave.close();
    }
  });

  it('SYNC_MASTER without an HA service answers SLAVE_NOT_AVAILABLE and keeps the message', async () => {
    const store = await MessageStore.open({ ...base, storePathRootDir: newDir(), brokerRole: 'SYNC_MASTER' }, { logger: memoryLogger() });
    try {
      const r = await store.putMessage({ topic: 'S', body: 'x' });
      expect(r.status).toBe('SLAVE_NOT_AVAILABLE');
      expect(store.getMaxPhyOffset()).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});

describe('promotion with a partial record received', () => {
  it('keeps only whole records in the slave log, so puts after promotion survive a restart', async () => {
    const masterDir = newDir();
    const slaveDir = newDir();
    const slaveConfig = { ...base, storePathRootDir: slaveDir, brokerRole: 'SLAVE' as const, brokerId: 1, haMasterAddress: '127.0.0.1:10912' };
    const master = await MessageStore.open({ ...base, storePathRootDir: masterDir }, { logger: memoryLogger() });
    let slave = await MessageStore.open(slaveConfig, { logger: memoryLogger() });
    const acked: number[] = [];
    try {
      for (let i = 0; i < 10; i++) await master.putMessage({ topic: 'T', queueId: 0, body: `m${i}-${'y'.repeat(200)}` });
      const all = master.replicationSource().read(0, master.getMaxPhyOffset());
      const cut = all.byteLength - 50; // the last record arrives only in part
      expect(slave.appendReplicated(0, all.subarray(0, cut)).status).toBe('PUT_OK');
      expect(slave.runtimeInfo().wroteOffset).toBeLessThan(cut); // the partial record is not in the log
      slave.changeRole('ASYNC_MASTER');
      for (let i = 0; i < 5; i++) {
        const r = await slave.putMessage({ topic: 'T', queueId: 0, body: `after${i}` });
        expect(r.status).toBe('PUT_OK');
        acked.push(r.queueOffset);
      }
      expect(acked).toEqual([9, 10, 11, 12, 13]);
    } finally {
      await master.close();
      await slave.close();
    }
    slave = await MessageStore.open({ ...slaveConfig, brokerRole: 'ASYNC_MASTER', brokerId: 0 }, { logger: memoryLogger() });
    try {
      expect(slave.runtimeInfo().lastRecovery?.corruption).toBeNull();
      const got = await slave.getMessage({ group: 'g', topic: 'T', queueId: 0, offset: 9, maxMsgNums: 32 });
      expect(got.messages.map((m) => new TextDecoder().decode(m.body!))).toEqual(['after0', 'after1', 'after2', 'after3', 'after4']);
    } finally {
      await slave.close();
    }
  });
});

describe('promotion while an end-of-file blank is half received', () => {
  it('the slave fills the segment up, so its first own record (and a new epoch) starts at the next segment', async () => {
    const segment = base.mappedFileSizeCommitLog;
    const master = await MessageStore.open({ ...base, storePathRootDir: newDir(), brokerRole: 'ASYNC_MASTER' }, { logger: memoryLogger() });
    const slave = await MessageStore.open({ ...base, storePathRootDir: newDir(), brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:1' }, { logger: memoryLogger() });
    try {
      let lastInFirst = -1;
      for (let i = 0; i < 400; i++) {
        const r = await master.putMessage({ topic: 'Fill', body: `f${i}-${'b'.repeat(900 + ((i * 37) % 2000))}` });
        if (r.physicalOffset < segment) lastInFirst = r.physicalOffset + r.wroteBytes;
        if (r.physicalOffset >= segment) break;
      }
      expect(lastInFirst).toBeLessThan(segment); // a blank fills [lastInFirst, segment)
      const source = master.replicationSource();
      await expect.poll(() => source.maxOffset(), { timeout: 5000, interval: 2 }).toBeGreaterThan(segment);
      const cut = lastInFirst + 20; // the blank's 8-byte header and 12 bytes of its filler
      expect(slave.appendReplicated(0, source.read(0, cut)).status).toBe('PUT_OK');
      expect(slave.runtimeInfo().wroteOffset).toBe(cut);
      slave.changeRole('ASYNC_MASTER');
      expect(slave.runtimeInfo().wroteOffset).toBe(segment);
      const own = await slave.putMessage({ topic: 'Fill', body: 'first own record' });
      expect(own.status).toBe('PUT_OK');
      expect(own.physicalOffset).toBe(segment);
      expect(Buffer.from(slave.lookMessageByOffset(segment)!.body!).toString()).toBe('first own record');
    } finally {
      await slave.close();
      await master.close();
    }
  });
});
