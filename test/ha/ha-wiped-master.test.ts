// Issue 14 case 1: a slave must not delete its log because its master came back empty.
// In-process master and slave on 127.0.0.1 (openNode, real stores and sockets):
//   - the master's directory is wiped and the master restarted on the same HA port: its new
//     epoch has the same number as the old one (its epoch file is gone), but a new store id;
//     the running slave refuses to follow, the status says why; restarted as SLAVE, its rejoin
//     refuses to drop anything (today's main truncated to 0 here) and the store keeps every byte;
//   - only with haRejoinAllowTruncate=true does it drop them, into quarantine/ (byte-identical
//     copy, kept), and follow the new master;
//   - a fake master answering with an epoch frame that claims max offset 0 (no newer epoch, or a
//     newer one) makes the slave refuse, never truncate.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EPOCH_NODE_SLOTS as T, ORIGIN_EPOCH } from '../../src/ha/epoch-history.js';
import type { HaReplicaStatus } from '../../src/ha/ha-service.js';
import { encodeEpochFrame } from '../../src/ha/ha-protocol.js';
import { startMaster, startNode, stopNode, stopNodesAfterEach, waitCaughtUp, waitSlaves, type HaNode } from '../helpers/ha-inproc.js';
import { readCommitLog } from '../helpers/ha-logs.js';
import { fakeMaster, type FakeMaster } from '../helpers/ha-raw-peer.js';
import { SMALL_SEGMENT_BYTES, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-ha-wiped-');
const track = stopNodesAfterEach();
let fakes: FakeMaster[] = [];

afterEach(async () => {
  for (const f of fakes) await f.close();
  fakes = [];
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function slaveStatus(node: HaNode): HaReplicaStatus {
  const s = node.ha.status();
  if (s.role !== 'SLAVE') throw new Error('not a slave');
  return s;
}

function slave(dir: string, port: number, overrides: Record<string, unknown> = {}): Promise<HaNode> {
  return track(startNode(dir, 'node', { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${port}`, haMetadataSyncInterval: 0, ...overrides }, { backoffMinMs: 50, backoffMaxMs: 300 }));
}

async function putMany(node: HaNode, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await node.store.putMessage({ topic: 'Wiped', queueId: i % 4, body: `acked-${i}-${'w'.repeat((i * 37) % 700)}` });
    expect(r.status).toBe('PUT_OK');
  }
}

describe('a master that comes back empty', () => {
  it('the slave refuses to follow and to truncate; only haRejoinAllowTruncate drops its log, into quarantine', async () => {
    const [masterDir, slaveDir] = [newDir(), newDir()];
    const port = await freePort();
    const m1 = await track(startMaster(masterDir, 'node', 'SYNC_MASTER', {}));
    const s1 = await slave(slaveDir, m1.ha.port!);
    await waitSlaves(m1, 1);
    await putMany(m1, 300); // SYNC_MASTER: every PUT_OK was acknowledged by the slave
    await waitCaughtUp(m1, s1);
    const end = s1.store.runtimeInfo().wroteOffset;
    await stopNode(s1);
    await stopNode(m1);
    const original = readCommitLog(slaveDir, 0, end, SMALL_SEGMENT_BYTES);

    // the master's directory is wiped; it starts over on a known port
    rmSync(masterDir, { recursive: true, force: true });
    const m2 = await track(startNode(masterDir, 'node', { brokerRole: 'ASYNC_MASTER' }, { listenPort: port }));
    expect(m2.logger.lines.some((l) => l.includes(`epoch ${T} begins at offset 0`))).toBe(true); // the old epoch's number again

    // restarted as SLAVE: the rejoin refuses, nothing is dropped
    const s2 = await slave(slaveDir, port);
    expect(s2.rejoin).toMatchObject({ kind: 'refused', truncateTo: 0, droppedBytes: end, refusals: ['master-not-newer', 'acknowledged'] });
    expect(s2.store.runtimeInfo().wroteOffset).toBe(end);
    expect(s2.logger.lines.some((l) => l.startsWith('ERROR') && l.includes('rejoin refused') && l.includes('a new or wiped master') && l.includes('haRejoinAllowTruncate=true'))).toBe(true);
    // its HA client refuses to follow too, and says why in the status (GET /status serves it)
    await waitUntil(() => slaveStatus(s2).diverged !== null, 'the client refuses the master', 30_000);
    const st = slaveStatus(s2);
    expect(st.diverged).toMatchObject({ truncateTo: 0, droppedBytes: end, refusal: expect.stringContaining('a new or wiped master') });
    expect(st.lastError).toContain('refusing to follow');
    expect((s2.node.status() as unknown as { ha: { diverged: { refusal: string } } }).ha.diverged.refusal).toContain('acknowledged by this node as a slave');
    await putMany(m2, 5); // the new master moves on; the slave takes nothing
    expect(s2.store.runtimeInfo().wroteOffset).toBe(end);
    await stopNode(s2);
    expect(readCommitLog(slaveDir, 0, end, SMALL_SEGMENT_BYTES).equals(original)).toBe(true);

    // the operator decides: drop them (a copy is kept), follow the new master
    const s3 = await slave(slaveDir, port, { haRejoinAllowTruncate: true });
    expect(s3.rejoin).toMatchObject({ kind: 'truncated', truncateTo: 0, droppedBytes: end });
    const quarantineDir = s3.rejoin.kind === 'truncated' ? s3.rejoin.quarantineDir! : '';
    expect(quarantineDir.startsWith(join(slaveDir, 'quarantine'))).toBe(true);
    const copy = Buffer.concat(readdirSync(quarantineDir).sort().map((f) => readFileSync(join(quarantineDir, f))));
    expect(copy.equals(original)).toBe(true);
    expect(s3.logger.lines.some((l) => l.includes('haRejoinAllowTruncate=true overrides the refusal'))).toBe(true);
    await waitCaughtUp(m2, s3);
    expect(s3.store.runtimeInfo().wroteOffset).toBe(m2.store.getMaxPhyOffset());
  }, 180_000);

  it('a running slave stops when its master restarts wiped on the same port, and says why', async () => {
    const [masterDir, slaveDir] = [newDir(), newDir()];
    const port = await freePort();
    const m1 = await track(startNode(masterDir, 'node', { brokerRole: 'ASYNC_MASTER' }, { listenPort: port }));
    const s1 = await slave(slaveDir, port);
    await waitSlaves(m1, 1);
    await putMany(m1, 100);
    await waitCaughtUp(m1, s1);
    const end = s1.store.runtimeInfo().wroteOffset;
    await stopNode(m1);
    rmSync(masterDir, { recursive: true, force: true });
    const m2 = await track(startNode(masterDir, 'node', { brokerRole: 'ASYNC_MASTER' }, { listenPort: port }));
    await waitUntil(() => slaveStatus(s1).diverged !== null, 'the running slave sees the wiped master', 40_000);
    expect(slaveStatus(s1).diverged!.refusal).toContain('a new or wiped master');
    await putMany(m2, 5);
    expect(s1.store.runtimeInfo().wroteOffset).toBe(end);
  }, 180_000);

  it('a fake master whose epoch frame claims max offset 0: refused whether or not it claims a newer epoch', async () => {
    const dir = newDir();
    const m = await track(startMaster(newDir(), 'node', 'ASYNC_MASTER'));
    const s = await slave(dir, m.ha.port!);
    await waitSlaves(m, 1);
    await putMany(m, 50);
    await waitCaughtUp(m, s);
    const end = s.store.runtimeInfo().wroteOffset;
    await stopNode(s);
    await stopNode(m);
    const frames = [
      encodeEpochFrame({ masterMaxOffset: 0, entries: [ORIGIN_EPOCH] }),
      encodeEpochFrame({ masterMaxOffset: 0, entries: [ORIGIN_EPOCH, { epoch: 5 * T, startOffset: 0, storeId: '0123456789abcdef' }] }),
    ];
    for (const [k, frame] of frames.entries()) {
      const fake = await fakeMaster((socket) => socket.write(frame));
      fakes.push(fake);
      const again = await slave(dir, fake.port);
      expect(again.rejoin).toMatchObject({ kind: 'refused', truncateTo: 0, droppedBytes: end });
      if (again.rejoin.kind === 'refused') expect(again.rejoin.refusals.includes('master-not-newer')).toBe(k === 0);
      await waitUntil(() => slaveStatus(again).diverged !== null, 'the client refuses the fake master', 30_000);
      expect(again.store.runtimeInfo().wroteOffset).toBe(end);
      await stopNode(again);
    }
  }, 180_000);
});
