// Role switch through the API: a slave promoted to master keeps its log and continues the queue
// offsets; the old master (not diverged) rejoins as its slave and a new empty slave joins; all
// three logs end byte-identical.
import { afterEach, describe, expect, it } from 'vitest';
import { masterStatus, startMaster, startNode, startSlave, stopNode, waitCaughtUp, waitSlaves, type HaNode } from '../helpers/ha-inproc.js';
import { expectIdenticalLogs } from '../helpers/ha-logs.js';
import { AVAILABLE_BACKENDS, SMALL_SEGMENT_BYTES } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-ha-promote-');
const TOPIC = 'Promo';
let nodes: HaNode[] = [];

afterEach(async () => {
  for (const n of nodes.reverse()) await stopNode(n);
  nodes = [];
});

async function track(p: Promise<HaNode>): Promise<HaNode> {
  const n = await p;
  nodes.push(n);
  return n;
}

describe.each(AVAILABLE_BACKENDS)('promote (%s backend)', (backend) => {
  it('a promoted slave accepts writes that continue the queue offsets; the old master rejoins as its slave', async () => {
    const oldMaster = await track(startMaster(newDir(), backend, 'SYNC_MASTER'));
    const slave = await track(startSlave(newDir(), backend, oldMaster));
    await waitSlaves(oldMaster, 1);
    for (let i = 0; i < 240; i++) {
      const r = await oldMaster.store.putMessage({ topic: TOPIC, queueId: i % 3, body: `before-${i}-${'p'.repeat((i * 53) % 2000)}` });
      expect(r.status, r.reason).toBe('PUT_OK');
    }
    await waitCaughtUp(oldMaster, slave);
    const oldEnd = oldMaster.store.getMaxPhyOffset();
    const oldQueues = [0, 1, 2].map((q) => oldMaster.store.getMaxOffsetInQueue(TOPIC, q));
    expect(oldQueues).toEqual([80, 80, 80]);
    await stopNode(oldMaster);
    nodes = nodes.filter((n) => n !== oldMaster);

    expect((await slave.store.putMessage({ topic: TOPIC, body: 'refused' })).status).toBe('SERVICE_NOT_AVAILABLE');
    await slave.ha.promote();
    expect(slave.ha.role).toBe('ASYNC_MASTER');
    expect(slave.store.brokerRole).toBe('ASYNC_MASTER');
    expect(slave.ha.port).toBeGreaterThan(0);
    await expect(slave.ha.promote()).rejects.toThrow(/not SLAVE/);
    for (let q = 0; q < 3; q++) expect(slave.store.getMaxOffsetInQueue(TOPIC, q)).toBe(oldQueues[q]);
    const first = await slave.store.putMessage({ topic: TOPIC, queueId: 1, body: 'first after promotion' });
    expect(first.status).toBe('PUT_OK');
    expect(first.physicalOffset).toBe(oldEnd);
    expect(first.queueOffset).toBe(oldQueues[1]);
    for (let i = 0; i < 90; i++) {
      const r = await slave.store.putMessage({ topic: TOPIC, queueId: i % 3, body: `after-${i}-${'q'.repeat((i * 71) % 2000)}` });
      expect(r.status, r.reason).toBe('PUT_OK');
      expect(r.queueOffset).toBe(oldQueues[i % 3]! + Math.floor(i / 3) + (i % 3 === 1 ? 1 : 0));
    }

    // the old master (its log a prefix of the new one) rejoins as a slave; an empty slave joins too
    const rejoined = await track(startNode(oldMaster.dir, backend, { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${slave.ha.port}` }));
    const fresh = await track(startSlave(newDir(), backend, slave, 2));
    await waitSlaves(slave, 2);
    expect(masterStatus(slave).slaves).toHaveLength(2);
    // the old master resumed from its own end, the empty one from 0
    expect(slave.logger.lines.some((l) => l.includes(`connected at offset ${oldEnd};`))).toBe(true);
    expect(slave.logger.lines.some((l) => l.includes('connected at offset 0;'))).toBe(true);
    await waitCaughtUp(slave, rejoined);
    await waitCaughtUp(slave, fresh);
    for (let q = 0; q < 3; q++) {
      const want = slave.store.getMaxOffsetInQueue(TOPIC, q);
      await expect.poll(() => rejoined.store.getMaxOffsetInQueue(TOPIC, q), { timeout: 10_000, interval: 5 }).toBe(want);
      await expect.poll(() => fresh.store.getMaxOffsetInQueue(TOPIC, q), { timeout: 10_000, interval: 5 }).toBe(want);
    }
    const end = slave.store.getMaxPhyOffset();
    for (const n of [fresh, rejoined, slave]) await stopNode(n);
    nodes = [];
    expectIdenticalLogs(slave.dir, rejoined.dir, 0, end, SMALL_SEGMENT_BYTES);
    expectIdenticalLogs(slave.dir, fresh.dir, 0, end, SMALL_SEGMENT_BYTES);
  });
});
