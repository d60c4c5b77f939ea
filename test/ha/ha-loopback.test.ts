// Master and slaves in one process over 127.0.0.1: SYNC_MASTER puts are confirmed only after a
// slave has the bytes, ASYNC_MASTER replicates in the background, an empty slave receives the
// whole log, several slaves with inSyncReplicas = 2, and the logs end byte-identical with the
// same ConsumeQueues.
import { describe, expect, it } from 'vitest';
import type { MessageStore } from '../../src/store/message-store.js';
import type { PutMessageResult } from '../../src/store/statuses.js';
import { masterStatus, startMaster, startSlave, stopNode, waitCaughtUp, waitSlaves, stopNodesAfterEach, type HaNode } from '../helpers/ha-inproc.js';
import { expectIdenticalLogs } from '../helpers/ha-logs.js';
import { AVAILABLE_BACKENDS, bodyOf, SMALL_SEGMENT_BYTES } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-ha-');
const TOPIC = 'HaLoop';
const QUEUES = 3;
const track = stopNodesAfterEach();

/** `count` puts, `inFlight` at a time, bodies of varying size (segments roll). `check` runs as
 * each put resolves, before anything else can happen on the event loop. */
async function putMany(store: MessageStore, count: number, inFlight: number, check: (r: PutMessageResult) => void = () => {}): Promise<PutMessageResult[]> {
  const results: PutMessageResult[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const r = await store.putMessage({ topic: TOPIC, queueId: i % QUEUES, body: bodyOf(i, 100 + ((i * 37) % 3000)), keys: `k${i}` });
      check(r);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return results;
}

async function expectSameStores(master: HaNode, slaves: HaNode[]): Promise<void> {
  for (const s of slaves) await waitCaughtUp(master, s);
  const end = master.store.getMaxPhyOffset();
  const min = master.store.getMinPhyOffset();
  for (const s of slaves) {
    for (let q = 0; q < QUEUES; q++) {
      await expect.poll(() => s.store.getMaxOffsetInQueue(TOPIC, q), { timeout: 10_000, interval: 5 }).toBe(master.store.getMaxOffsetInQueue(TOPIC, q));
    }
    expect(s.store.getMinPhyOffset()).toBe(min);
  }
  // stop everything (flushes the files), then compare the segment files byte by byte
  const dirs = [master, ...slaves].map((n) => n.dir);
  for (const n of [...slaves, master]) await stopNode(n);
  for (const d of dirs.slice(1)) expectIdenticalLogs(dirs[0]!, d, min, end, SMALL_SEGMENT_BYTES);
}

describe.each(AVAILABLE_BACKENDS)('HA over loopback (%s backend)', (backend) => {
  it('SYNC_MASTER: every put is PUT_OK only once the slave has its bytes; logs byte-identical', async () => {
    const master = await track(startMaster(newDir(), backend, 'SYNC_MASTER'));
    const slave = await track(startSlave(newDir(), backend, master));
    await waitSlaves(master, 1);
    let checked = 0;
    const results = await putMany(master.store, 400, 32, (r) => {
      expect(r.status, r.reason).toBe('PUT_OK');
      // the put resolved: the slave must already have every byte of it committed (in the page
      // cache: a crash of the slave process cannot lose it), not only in its write buffer
      expect(slave.store.runtimeInfo().committedOffset).toBeGreaterThanOrEqual(r.physicalOffset + r.wroteBytes);
      checked++;
    });
    expect(checked).toBe(400);
    expect(Math.max(...results.map((r) => r.physicalOffset + r.wroteBytes))).toBeGreaterThan(3 * SMALL_SEGMENT_BYTES);
    const s = masterStatus(master);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain JSON for the CLI
    expect(Object.keys(s.slaves[0]!).sort()).toEqual(['ackedOffset', 'address', 'inSync', 'lagBytes', 'transferFromOffset', 'transferredBytes']);
    expect(s.slaves).toHaveLength(1);
    expect(s.slaves[0]!.inSync).toBe(true);
    expect(s.slaves[0]!.transferredBytes).toBeGreaterThanOrEqual(master.store.getMaxPhyOffset());
    expect(s.replicatedOffset).toBe(master.store.getMaxPhyOffset());
    const ss = slave.ha.status();
    expect(ss.role).toBe('SLAVE');
    if (ss.role === 'SLAVE') {
      expect(ss.connected).toBe(true);
      expect(ss.slaveMaxOffset).toBe(master.store.getMaxPhyOffset());
      expect(ss.receivedBytes).toBeGreaterThan(ss.slaveMaxOffset);
      expect(Math.abs(ss.lastReadTimestamp - Date.now())).toBeLessThan(60_000);
    }
    await expectSameStores(master, [slave]);
  });

  it('SYNC_MASTER + SYNC_FLUSH: PUT_OK only when flushed on the master and appended on the slave', async () => {
    const master = await track(startMaster(newDir(), backend, 'SYNC_MASTER', { flushDiskType: 'SYNC_FLUSH' }));
    const slave = await track(startSlave(newDir(), backend, master));
    await waitSlaves(master, 1);
    await putMany(master.store, 150, 16, (r) => {
      expect(r.status, r.reason).toBe('PUT_OK');
      const end = r.physicalOffset + r.wroteBytes;
      expect(master.store.runtimeInfo().flushedOffset).toBeGreaterThanOrEqual(end);
      expect(slave.store.runtimeInfo().wroteOffset).toBeGreaterThanOrEqual(end);
    });
    await expectSameStores(master, [slave]);
  });

  it('ASYNC_MASTER: puts return at once; an empty slave joining later receives the whole log', async () => {
    const master = await track(startMaster(newDir(), backend, 'ASYNC_MASTER'));
    const before = await putMany(master.store, 300, 16);
    expect(before.every((r) => r.status === 'PUT_OK')).toBe(true);
    // several segments exist: RocketMQ's classic HA would send only the last one (wroteOffset:
    // in buffer mode the committed maxPhyOffset follows in the background)
    expect(master.store.runtimeInfo().wroteOffset).toBeGreaterThan(2 * SMALL_SEGMENT_BYTES);
    const slave = await track(startSlave(newDir(), backend, master));
    const during = await putMany(master.store, 200, 16);
    expect(during.every((r) => r.status === 'PUT_OK')).toBe(true);
    await expectSameStores(master, [slave]);
  });

  it('SYNC_MASTER with inSyncReplicas = 2 waits for both slaves; with one slave gone puts are SLAVE_NOT_AVAILABLE', async () => {
    const master = await track(startMaster(newDir(), backend, 'SYNC_MASTER', { inSyncReplicas: 2 }));
    const a = await track(startSlave(newDir(), backend, master, 1));
    await waitSlaves(master, 1);
    const lonely = await master.store.putMessage({ topic: TOPIC, body: 'one slave is not enough' });
    expect(lonely.status).toBe('SLAVE_NOT_AVAILABLE');
    const b = await track(startSlave(newDir(), backend, master, 2));
    await waitSlaves(master, 2);
    await putMany(master.store, 200, 32, (r) => {
      expect(r.status, r.reason).toBe('PUT_OK');
      const end = r.physicalOffset + r.wroteBytes;
      expect(a.store.runtimeInfo().wroteOffset).toBeGreaterThanOrEqual(end);
      expect(b.store.runtimeInfo().wroteOffset).toBeGreaterThanOrEqual(end);
    });
    expect(masterStatus(master).slaves).toHaveLength(2);
    await expectSameStores(master, [a, b]);
  });
});

describe('SYNC_MASTER without slaves', () => {
  it('answers SLAVE_NOT_AVAILABLE at once and keeps the message', async () => {
    const master = await track(startMaster(newDir(), 'node', 'SYNC_MASTER'));
    const t0 = performance.now();
    const r = await master.store.putMessage({ topic: TOPIC, body: 'x' });
    expect(r.status).toBe('SLAVE_NOT_AVAILABLE');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(master.store.runtimeInfo().wroteOffset).toBe(r.physicalOffset + r.wroteBytes);
  });
});
