// Live truncation (src/store/log-truncation.ts): a follower's log is cut back while the store is
// open. The cut bytes are copied to quarantine/ first, the CommitLog and every ConsumeQueue end
// at the cut, replication continues from there with other bytes, and a reopened store recovers
// exactly the truncated log. Refused on a store that does not follow, and below the policy's
// confirm offset.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ReplicationPolicy } from '../../src/replication/replication-policy.js';
import { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';
import { AVAILABLE_BACKENDS, openStore, smallConfig } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs();
const slaveKeys = { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:10912' };

/** Feed the slave everything the master has written past the slave's end, in 3000-byte frames. */
async function copyAll(master: MessageStore, slave: MessageStore): Promise<void> {
  expect(await master.waitCommitted(master.runtimeInfo().wroteOffset, 10_000)).toBe('ok');
  const source = master.replicationSource();
  for (let guard = 0; guard < 100_000; guard++) {
    const at = slave.runtimeInfo().wroteOffset;
    if (at >= source.maxOffset()) return;
    const r = slave.appendReplicated(at, source.read(at, 3000));
    expect(r.status).toBe('PUT_OK');
  }
  throw new Error('copy did not finish');
}

async function putMany(store: MessageStore, from: number, count: number, tag: string): Promise<number[]> {
  const ends: number[] = [];
  for (let i = from; i < from + count; i++) {
    const r = await store.putMessage({ topic: 'Cut', queueId: i % 2, body: `${tag}${i}-${'y'.repeat(i % 300)}` });
    expect(r.status).toBe('PUT_OK');
    ends.push(r.physicalOffset + r.wroteBytes);
  }
  return ends;
}

async function bodies(store: MessageStore, queueId: number): Promise<string[]> {
  const out: string[] = [];
  for (let offset = 0; offset < store.getMaxOffsetInQueue('Cut', queueId); ) {
    const got = await store.getMessage({ group: 'g', topic: 'Cut', queueId, offset, maxMsgNums: 32 });
    out.push(...got.messages.map((m) => Buffer.from(m.body!).toString()));
    offset = got.nextBeginOffset;
  }
  return out;
}

describe.each(AVAILABLE_BACKENDS.flatMap((backend) => [false, true].map((inWorker) => ({ backend, inWorker }))))(
  'live truncation ($backend, persistence in worker: $inWorker)',
  ({ backend, inWorker }) => {
    it('cuts an open follower back, keeps a copy, continues with other bytes, and reopens at the cut', async () => {
      const keys = { flushServiceInWorker: inWorker };
      const master = await openStore(smallConfig(newDir(), backend, keys), { logger: memoryLogger() });
      const other = await openStore(smallConfig(newDir(), backend, keys), { logger: memoryLogger() });
      const slaveDir = newDir();
      const logger = memoryLogger();
      let slave = await openStore(smallConfig(slaveDir, backend, { ...keys, ...slaveKeys }), { logger });
      try {
        // common history, then the master writes on (spanning a segment roll) while `other` (a new
        // master that took over at the common point) writes something else
        const common = await putMany(master, 0, 40, 'common');
        await putMany(other, 0, 40, 'common');
        await putMany(master, 40, 300, 'old');
        await copyAll(master, slave);
        const cutAt = common[common.length - 1]!;
        const before = slave.runtimeInfo().wroteOffset;
        expect(before).toBeGreaterThan(cutAt + 73_728); // more than a segment is cut
        const droppedBytes = Buffer.from(readRange(master, cutAt, before));

        const result = await slave.truncateLog(cutAt);
        expect(result).toMatchObject({ truncateTo: cutAt, droppedBytes: before - cutAt });
        expect(result.deletedSegments).toBeGreaterThanOrEqual(1);
        expect(slave.getMaxPhyOffset()).toBe(cutAt);
        expect(slave.runtimeInfo().wroteOffset).toBe(cutAt);
        expect(slave.getMaxOffsetInQueue('Cut', 0) + slave.getMaxOffsetInQueue('Cut', 1)).toBe(40);
        // the copy holds exactly the dropped bytes, in offset-named files
        const q = result.quarantineDir!;
        const copied = Buffer.concat(readdirSync(q).sort().map((f) => readFileSync(join(q, f))));
        expect(copied.equals(droppedBytes)).toBe(true);
        expect(logger.lines.some((l) => l.includes(`truncated the log from ${before} to ${cutAt}`))).toBe(true);

        // replication continues from the cut with the new master's bytes
        await putMany(other, 40, 60, 'new');
        await copyAll(other, slave);
        expect(await slave.waitCommitted(slave.runtimeInfo().wroteOffset, 10_000)).toBe('ok');
        expect(slave.getMaxPhyOffset()).toBe(other.getMaxPhyOffset());
        expect(await bodies(slave, 1)).toEqual(await bodies(other, 1));
        await slave.close();
        slave = await openStore(smallConfig(slaveDir, backend, { ...keys, ...slaveKeys }), { logger: memoryLogger() });
        expect(slave.getMaxPhyOffset()).toBe(other.getMaxPhyOffset());
        expect(await bodies(slave, 0)).toEqual(await bodies(other, 0));
        expect(await bodies(slave, 1)).toEqual(await bodies(other, 1));
      } finally {
        await Promise.all([master.close(), other.close(), slave.close()]);
      }
    });
  },
);

describe('live truncation is refused', () => {
  it('on a store that does not follow, and to offsets outside the log', async () => {
    const store = await openStore(smallConfig(newDir(), 'node'), { logger: memoryLogger() });
    try {
      await putMany(store, 0, 5, 'm');
      const end = store.runtimeInfo().wroteOffset;
      await expect(store.truncateLog(0)).rejects.toMatchObject({ code: 'ERR_STORE_INVALID_ARGUMENT', message: expect.stringMatching(/only be truncated while the store follows/) });
      expect(store.runtimeInfo().wroteOffset).toBe(end);
      store.changeRole('SLAVE');
      await expect(store.truncateLog(-1)).rejects.toMatchObject({ code: 'ERR_STORE_INVALID_ARGUMENT' });
      expect(await store.truncateLog(end + 100)).toMatchObject({ truncateTo: end, droppedBytes: 0 });
      expect(store.runtimeInfo().wroteOffset).toBe(end);
    } finally {
      await store.close();
    }
  });

  it('below the confirm offset of the replication policy (an invariant: it throws)', async () => {
    const store = await openStore(smallConfig(newDir(), 'node', slaveKeys), { logger: memoryLogger() });
    try {
      const confirming: ReplicationPolicy = { role: 'FOLLOWER', follows: true, wantsPromptCommit: false, putRefusal: () => 'follower', afterAppend: () => null, confirmOffset: () => 500 };
      store.setReplicationPolicy(confirming);
      expect(store.runtimeInfo()).toMatchObject({ brokerRole: 'FOLLOWER', confirmOffset: 500 });
      await expect(store.truncateLog(499)).rejects.toThrow(/below the confirm offset 500/);
    } finally {
      await store.close();
    }
  });
});

function readRange(store: MessageStore, from: number, to: number): Uint8Array {
  const source = store.replicationSource();
  const parts: Uint8Array[] = [];
  for (let at = from; at < to; ) {
    const b = source.read(at, to - at);
    expect(b.byteLength).toBeGreaterThan(0);
    parts.push(b);
    at += b.byteLength;
  }
  return Buffer.concat(parts);
}
