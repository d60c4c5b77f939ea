// Slave reads: a SLAVE serves getMessage from what it replicated (same messages, offsets and
// msgIds as the master), and the master tells a lagging consumer to go to the slave by
// RocketMQ's rule: suggestPullingFromSlave when the last message read is more than
// accessMessageInMemoryMaxRatio % of RAM behind the write head, and suggestWhichBrokerId = 1
// only with slaveReadEnable.
import { describe, expect, it } from 'vitest';
import { GetMessageStatus } from '../../src/store/statuses.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { startMaster, startSlave, stopNode, waitCaughtUp, waitSlaves, stopNodesAfterEach, type HaNode } from '../helpers/ha-inproc.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-ha-read-');
const TOPIC = 'Reads';
const track = stopNodesAfterEach();

function pull(store: MessageStore, offset: number, maxMsgNums = 8) {
  return store.getMessage({ group: 'G', topic: TOPIC, queueId: 0, offset, maxMsgNums });
}

describe('reading from a slave', () => {
  it('the slave serves what it has, message for message as the master', async () => {
    const master = await track(startMaster(newDir(), 'node', 'SYNC_MASTER'));
    const slave = await track(startSlave(newDir(), 'node', master));
    await waitSlaves(master, 1);
    for (let i = 0; i < 120; i++) expect((await master.store.putMessage({ topic: TOPIC, queueId: 0, body: `read-${i}`, keys: `k${i}` })).status).toBe('PUT_OK');
    await waitCaughtUp(master, slave);
    await waitUntil(() => slave.store.getMaxOffsetInQueue(TOPIC, 0) === 120, 'the slave indexed all 120', 10_000);
    for (let offset = 0; offset < 120; ) {
      const [m, s] = [await pull(master.store, offset), await pull(slave.store, offset)];
      expect(s.status).toBe(GetMessageStatus.FOUND);
      expect(s.nextBeginOffset).toBe(m.nextBeginOffset);
      expect(s.messages.map((x) => [x.queueOffset, x.msgId, Buffer.from(x.body!).toString()])).toEqual(m.messages.map((x) => [x.queueOffset, x.msgId, Buffer.from(x.body!).toString()]));
      offset = s.nextBeginOffset;
    }
    expect((await pull(slave.store, 120)).status).toBe(GetMessageStatus.OFFSET_OVERFLOW_ONE);
  });
});

describe('suggestPullingFromSlave / suggestWhichBrokerId', () => {
  async function masterWith(overrides: Record<string, unknown>): Promise<MessageStore> {
    const master = await track(startMaster(newDir(), 'node', 'ASYNC_MASTER', overrides));
    for (let i = 0; i < 20; i++) expect((await master.store.putMessage({ topic: TOPIC, queueId: 0, body: `m-${i}` })).status).toBe('PUT_OK');
    // ASYNC_FLUSH in buffer mode: entries become readable once committed
    await waitUntil(() => master.store.getMaxOffsetInQueue(TOPIC, 0) === 20, 'all 20 readable', 10_000);
    return master.store;
  }

  it('ratio 0 % (nothing counts as in memory) with slaveReadEnable: go to the slave (brokerId 1)', async () => {
    const store = await masterWith({ accessMessageInMemoryMaxRatio: 0, slaveReadEnable: true });
    const r = await pull(store, 0, 4);
    expect(r.status).toBe(GetMessageStatus.FOUND);
    expect(r.suggestPullingFromSlave).toBe(true);
    expect(r.suggestWhichBrokerId).toBe(1);
  });

  it('ratio 0 % without slaveReadEnable: the store rule still fires, the consumer stays on the master', async () => {
    const store = await masterWith({ accessMessageInMemoryMaxRatio: 0 });
    const r = await pull(store, 0, 4);
    expect(r.status).toBe(GetMessageStatus.FOUND);
    expect(r.suggestPullingFromSlave).toBe(true);
    expect(r.suggestWhichBrokerId).toBe(0);
  });

  it('the default 40 % of RAM: a consumer a few KiB behind stays on the master', async () => {
    const store = await masterWith({ slaveReadEnable: true });
    const r = await pull(store, 0, 4);
    expect(r.status).toBe(GetMessageStatus.FOUND);
    expect(r.suggestPullingFromSlave).toBe(false);
    expect(r.suggestWhichBrokerId).toBe(0);
    expect((await pull(store, 20)).suggestWhichBrokerId).toBe(0); // nothing read
  });
});
