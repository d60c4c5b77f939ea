// A divergence found on a live connection stops replication without appending and names the
// bytes (issue 9 item 10: the real-socket version in test/ha/ha-promote.test.ts raced the
// client's connect against the test flipping the fake master's answer, and flaked). Here, on the
// simulator, deterministically: a real SLAVE (MessageStore on a SimDisk + startHa through
// openWithRejoin) follows a fake master whose history agrees with its own; once the slave is
// connected and has reported its offset, the master's host crashes and comes back answering with
// a history whose later epoch began before the slave's end. The slave must stop on that
// connection (no offset report, no byte appended, no reconnect) and name [1000, end). The
// consumer-offset sync is off (haMetadataSyncInterval 0, as the real-socket version had it),
// so every connection the fake master counts is a replication one.
import { describe, expect, it } from 'vitest';
import { EpochFile } from '../../src/ha/epoch-file.js';
import { EPOCH_NODE_SLOTS as T, ORIGIN_EPOCH, type EpochEntry } from '../../src/ha/epoch-history.js';
import { encodeEpochFrame } from '../../src/ha/ha-protocol.js';
import { startHa, type HaService } from '../../src/ha/ha-service.js';
import { openWithRejoin } from '../../src/ha/slave-rejoin.js';
import type { StoreConfigInput } from '../../src/config/load-config.js';
import { MessageStore } from '../../src/store/message-store.js';
import type { Connection } from '../../src/net/transport.js';
import { SimDisk } from './sim-disk.js';
import { SimNetwork } from './sim-network.js';
import type { SimProcess } from './sim-process.js';
import { traceLogger } from './scenarios/ha-node.js';
import { World } from './world.js';

const PORT = 10912;
const ROOT = '/store';
const CONFIG: StoreConfigInput = {
  storePathRootDir: ROOT,
  flushServiceInWorker: false,
  flushDiskType: 'SYNC_FLUSH',
  mappedFileSizeCommitLog: 73_728,
  maxMessageSize: 4096,
  logLevel: 'info',
};

/** A fake master on `host`: every accepted connection gets one epoch frame, then silence. */
function fakeMaster(net: SimNetwork, p: SimProcess, entries: EpochEntry[], masterMaxOffset: number) {
  const received: number[] = [];
  void net.transport(p).listen({
    host: '0.0.0.0',
    port: PORT,
    maxConnections: 16,
    onConnection: (conn: Connection) => {
      const index = received.push(0) - 1;
      conn.on('data', (chunk) => (received[index]! += chunk.byteLength));
      conn.on('error', () => conn.destroy());
      conn.write(encodeEpochFrame({ masterMaxOffset, entries }));
    },
  });
  return { received };
}

async function runOnce(seed: number): Promise<void> {
  const world = new World({ seed, traceLimit: 300 });
  const net = new SimNetwork(world, {});
  const disk = new SimDisk({ name: `live-divergence-${seed}`, clock: world.clock });
  world.onCrash((host) => {
    if (host === 's') disk.crash(() => 0.5);
  });
  const runUntil = async (what: string, until: () => boolean, maxSimMs = 30_000): Promise<void> => {
    // let continuations started outside the loop schedule their tasks first
    await new Promise((resolve) => setImmediate(resolve));
    const r = await world.run({ maxSteps: 1_000_000, maxSimMs, until });
    if (!until()) throw new Error(`seed ${seed}: ${what} did not happen (${r.stopReason}); trace:\n${world.trace.format()}`);
  };

  // 1. the slave's log: 40 messages written by this node as master of epoch T, closed cleanly
  const p0 = world.boot('s');
  let store: MessageStore | null = null;
  void MessageStore.open({ ...CONFIG, brokerRole: 'ASYNC_MASTER' }, { io: disk, clock: p0.clock, scheduler: p0.scheduler, logger: traceLogger(world, 's#1'), diskUsage: () => 0.1 }).then((s) => (store = s));
  await runUntil('the first open', () => store !== null);
  let ok = 0;
  for (let i = 0; i < 40; i++) void store!.putMessage({ topic: 'Promo', queueId: i % 3, body: `seed-${i}-${'d'.repeat((i * 37) % 1500)}` }).then((r) => (ok += r.status === 'PUT_OK' ? 1 : 0));
  await runUntil('40 puts', () => ok === 40);
  const end = store!.getMaxPhyOffset();
  expect(end).toBeGreaterThan(1000);
  new EpochFile(disk, ROOT).save([ORIGIN_EPOCH, { epoch: T, startOffset: 0 }]);
  let closed = false;
  void store!.close().then(() => (closed = true));
  await runUntil('the close', () => closed);
  world.crashHost('s', 'stopped');

  // 2. a master that agrees; the slave starts and reports its offset to it
  const m1 = fakeMaster(net, world.boot('m'), [ORIGIN_EPOCH, { epoch: T, startOffset: 0 }], end + 5000);
  const ps = world.boot('s');
  const logLines: string[] = [];
  const logger = traceLogger(world, ps.label);
  const capture = { ...logger, warn: (m: string) => (logLines.push(m), logger.warn(m)), error: (m: string) => (logLines.push(m), logger.error(m)), child: () => capture };
  const jitter = world.rng.fork('s/ha-jitter');
  const runtime = { transport: net.transport(ps), clock: ps.clock, scheduler: ps.scheduler, random: () => jitter.float() };
  let node: { store: MessageStore; ha: HaService; rejoin: string } | null = null;
  void (async () => {
    const open = () => MessageStore.open({ ...CONFIG, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `m:${PORT}`, haMetadataSyncInterval: 0 }, { io: disk, clock: ps.clock, scheduler: ps.scheduler, logger: capture, diskUsage: () => 0.1 });
    const { store: s, rejoin } = await openWithRejoin(open, capture, runtime);
    const ha = await startHa(s, s.config, capture, { ...runtime, backoffMinMs: 100, backoffMaxMs: 2_000 });
    node = { store: s, ha, rejoin: rejoin.kind };
  })();
  await runUntil('the slave reporting to a consistent master', () => node !== null && (m1.received[1] ?? 0) > 0);
  expect(node!.rejoin).toBe('consistent');
  expect(m1.received).toHaveLength(2); // the start-up check, then replication
  expect(node!.ha.status()).toMatchObject({ connected: true, diverged: null });

  // 3. the master restarts with a history whose later epoch began at 1000, before the slave's end
  world.crashHost('m', 'the master restarts with a diverged history');
  let m2: ReturnType<typeof fakeMaster> | null = null;
  world.after(200, 'm comes back', () => (m2 = fakeMaster(net, world.boot('m'), [ORIGIN_EPOCH, { epoch: T, startOffset: 0 }, { epoch: 5 * T + 3, startOffset: 1000 }], end + 5000)));
  const diverged = (): boolean => (node!.ha.status() as { diverged: unknown }).diverged !== null;
  await runUntil('divergence detected', diverged);
  expect(node!.ha.status()).toMatchObject({ connected: false, diverged: { truncateTo: 1000, droppedBytes: end - 1000, commonEpoch: T } });
  expect(logLines.some((l) => l.includes(`its ${end - 1000} bytes [1000, ${end}) are not the master's`))).toBe(true);
  expect(node!.store.runtimeInfo().wroteOffset).toBe(end);
  const seenBy = m2 as ReturnType<typeof fakeMaster> | null;
  expect(seenBy!.received).toEqual([0]); // one connection, and not even an offset report on it

  // 4. and it stays stopped: no reconnect, nothing appended, for another minute
  await world.run({ maxSteps: 1_000_000, maxSimMs: 60_000 });
  expect(seenBy!.received).toEqual([0]);
  expect(node!.store.runtimeInfo().wroteOffset).toBe(end);
  expect(node!.ha.status()).toMatchObject({ connected: false, diverged: { truncateTo: 1000 } });
}

describe('simulator: a divergence found on a live connection', () => {
  it('stops replication without appending and names the bytes (5 seeds, each deterministic)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) await runOnce(seed);
  }, 60_000);
});
