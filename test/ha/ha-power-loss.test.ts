// A master loses its unflushed tail in a power cut (xfs on a loop device, `xfs_io shutdown`
// without log flush) after its slave already had those bytes. When the master comes back it
// begins a new epoch at its recovered end; the running slave sees that its log diverged and
// stops without appending a byte. Those bytes were acknowledged by the slave (it may hold the
// only copy of PUT_OK messages), so a plain restart as SLAVE refuses to drop them and says why
// (rejoin-guard.ts); restarted with haRejoinAllowTruncate=true, it drops exactly the bytes the
// master lost (copied to quarantine/), follows the new epoch, and the two logs end
// byte-identical. Separate processes on 127.0.0.1.
// Needs root, loop devices and xfsprogs; skips with the reason otherwise.
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EPOCH_NODE_SLOTS as T } from '../../src/ha/epoch-history.js';
import { expectIdenticalLogs } from '../helpers/ha-logs.js';
import { HaNodeProcess, NODE_SEGMENT_BYTES, NODE_STORE_BASE, waitStatus, type Json } from '../helpers/ha-node-process.js';
import { missingPrerequisite, mountLoopFs, type MountedFs } from '../helpers/loop-fs.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { tempDirs } from '../helpers/temp-dir.js';

const MISSING = missingPrerequisite(['mkfs.xfs', 'xfs_io', 'losetup'], true);
skipNotice('ha-power-loss.test.ts (xfs on a loop device)', MISSING);

const newDir = tempDirs('mqstore-ha-power-');
const SEGMENT_BYTES = NODE_SEGMENT_BYTES;
const BASE = { ...NODE_STORE_BASE, haSendHeartbeatInterval: 300, haHousekeepingInterval: 2000 };
/** The master never flushes while it runs (only its clean close does): what it wrote after
 * its last start is exactly what the power cut takes. */
const NEVER_FLUSH = { flushDiskType: 'ASYNC_FLUSH', flushIntervalCommitLog: 600_000, flushCommitLogThoroughInterval: 600_000, flushCommitLogLeastPages: 1_000_000 };
const children: HaNodeProcess[] = [];
let fs: MountedFs | null = null;

async function node(name: string, store: Record<string, unknown>): Promise<HaNodeProcess> {
  const p = new HaNodeProcess(name, { store: { ...BASE, ...store }, ha: { backoffMinMs: 50, backoffMaxMs: 300 } });
  children.push(p);
  await p.ready;
  return p;
}

/** A port no one listens on right now (the master restarts on the same one). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const oneSlave = (s: Json): boolean => s.ha.slaves.length === 1 && s.ha.slaves[0].ackedOffset >= 0;

describe.skipIf(MISSING !== null)(`HA across a master power cut${MISSING ? ` — SKIPPED: ${MISSING}` : ''}`, () => {
  beforeAll(() => {
    fs = mountLoopFs('xfs', 320); // mkfs.xfs needs more than 300 MB
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.destroy()));
    fs?.cleanup();
  });

  it('the slave stops at the divergence, and after a restart drops exactly what the master lost', async () => {
    const masterDir = join(fs!.mountPoint, 'master');
    const slaveDir = newDir();
    const haPort = await freePort();
    const master = { storePathRootDir: masterDir, brokerRole: 'ASYNC_MASTER', haListenPort: haPort, ...NEVER_FLUSH };
    const slaveStore = { storePathRootDir: slaveDir, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${haPort}` };

    // 1. durable history: written, replicated, and flushed by a clean close of the master
    const m1 = await node('master#1', master);
    const s1 = await node('slave#1', slaveStore);
    await waitStatus(m1, oneSlave, 'slave connected');
    expect((await m1.command('put 600 400 HaTest 0 64')).statuses).toEqual({ PUT_OK: 600 });
    const durableEnd = (await waitStatus(m1, (x) => x.wroteOffset === x.maxPhyOffset, 'master committed everything')).maxPhyOffset as number;
    await waitStatus(s1, (x) => x.wroteOffset === durableEnd, 'slave holds the durable part');
    await m1.close();

    // 2. the master is back (epoch 2) and writes a tail the slave receives but the master never flushes
    const m2 = await node('master#2', master);
    await waitStatus(m2, oneSlave, 'slave reconnected');
    await m2.waitLogged(`epoch ${2 * T} begins at offset ${durableEnd}`); // term 2, brokerId 0
    const tail = await m2.command('put 400 400 HaTest 0 64');
    expect(tail.statuses).toEqual({ PUT_OK: 400 });
    const slaveEnd = (await waitStatus(s1, (x) => x.wroteOffset === tail.endOffset, 'slave holds the unflushed tail')).wroteOffset as number;

    // 3. power cut on the master's file system, then the master restarts on what survived
    fs!.shutdown();
    m2.signal('SIGKILL');
    await m2.waitExit(15_000);
    fs!.remount();
    const m3 = await node('master#3', master);
    const recoveredEnd = (await m3.ready).maxPhyOffset as number;
    expect(recoveredEnd).toBeGreaterThanOrEqual(durableEnd);
    expect(recoveredEnd).toBeLessThan(slaveEnd); // the cut took some of the unflushed tail

    // 4. the running slave reconnects, sees the divergence and stops without appending
    const stopped = await waitStatus(s1, (x) => x.ha.diverged !== null, 'slave detects the divergence');
    await s1.waitLogged('this log diverged from master');
    await m3.waitLogged(`epoch ${3 * T} begins at offset ${recoveredEnd}`);
    expect(stopped.ha.diverged).toEqual({ truncateTo: recoveredEnd, droppedBytes: slaveEnd - recoveredEnd, commonEpoch: 2 * T, refusal: expect.stringContaining('acknowledged by this node as a slave') });
    expect(stopped.wroteOffset).toBe(slaveEnd);
    await s1.close();

    // 5. restarted as it is, the slave refuses to drop what it acknowledged, and keeps it
    const refused = await node('slave#2 (refuses)', slaveStore);
    expect((await refused.ready).rejoin).toMatchObject({ kind: 'refused', truncateTo: recoveredEnd, droppedBytes: slaveEnd - recoveredEnd, refusals: ['acknowledged'] });
    expect((await refused.ready).maxPhyOffset).toBe(slaveEnd);
    await refused.close();

    // 6. the operator chooses the master: with haRejoinAllowTruncate the slave drops exactly the lost bytes and follows epoch 3
    const s2 = await node('slave#3', { ...slaveStore, haRejoinAllowTruncate: true });
    expect((await s2.ready).rejoin).toEqual({ kind: 'truncated', truncateTo: recoveredEnd, droppedBytes: slaveEnd - recoveredEnd, commonEpoch: 2 * T, quarantineDir: expect.stringContaining('quarantine') });
    await waitStatus(m3, oneSlave, 'restarted slave connected');
    expect((await m3.command('put 300 400 HaTest 0 64')).statuses).toEqual({ PUT_OK: 300 });
    const ms = await waitStatus(m3, (x) => x.wroteOffset === x.maxPhyOffset, 'master committed everything');
    const end = ms.maxPhyOffset as number;
    await waitStatus(s2, (x) => x.wroteOffset === end && x.queueMaxOffset === ms.queueMaxOffset, `slave at ${end} with ${ms.queueMaxOffset} messages indexed`);
    await s2.close();
    await m3.close();
    expectIdenticalLogs(masterDir, slaveDir, 0, end, SEGMENT_BYTES);
    console.log(`[ha-power-loss] durable ${durableEnd}, slave had ${slaveEnd}, master recovered ${recoveredEnd}: the slave dropped ${slaveEnd - recoveredEnd} bytes; both end at ${end}`);
  }, 120_000);
});
