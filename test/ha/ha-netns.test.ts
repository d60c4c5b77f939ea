// Master and slave as separate processes on two hosts: network namespaces joined by a bridge
// in a third "switch" namespace (test/helpers/netns.ts). The slave's switch port is cut (a
// silent blackhole: no RST, no ICMP, the TCP connection just stalls) and healed:
//   - ASYNC_MASTER: puts go on during the cut while the slave stops advancing; both sides drop
//     the silent connection after haHousekeepingInterval, the slave's reconnects fail until the
//     heal, then it resumes from its own end (not from 0) and the logs end byte-identical;
//   - SYNC_MASTER: during the cut puts return FLUSH_SLAVE_TIMEOUT, then SLAVE_NOT_AVAILABLE once
//     the master dropped the slave; after the heal PUT_OK again and the logs byte-identical.
// The nodes use network addresses, so they run with a replication secret (peer authentication).
// Needs root (ip netns); skips with the reason otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectIdenticalLogs } from '../helpers/ha-logs.js';
import { HaNodeProcess, NODE_SEGMENT_BYTES, NODE_STORE_BASE, waitStatus, type Json } from '../helpers/ha-node-process.js';
import { netnsUnavailable, ownNamespacesLeft, SwitchedHosts } from '../helpers/netns.js';
import { writeSecretFile } from '../helpers/replication-secrets.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { tempDirs } from '../helpers/temp-dir.js';

const MISSING = netnsUnavailable();
skipNotice('ha-netns.test.ts (network namespaces)', MISSING);

const newDir = tempDirs('mqstore-ha-netns-');
const SEGMENT_BYTES = NODE_SEGMENT_BYTES;
const HOUSEKEEPING_MS = 2000;
const SLAVE_TIMEOUT_MS = 500;
const BASE = {
  ...NODE_STORE_BASE,
  haHousekeepingInterval: HOUSEKEEPING_MS, // a silent peer is dropped after 2 s (default 20 s)
  // not loopback: a networked node refuses to start without a secret
  replicationSecretFile: writeSecretFile(newDir()),
};
// short connect timeout and back-off cap, so the slave retries during the cut and is back soon after the heal
const HA_OPTIONS = { connectTimeoutMs: 1000, backoffMaxMs: 1000 };
const DROP_DEADLINE_MS = 3 * HOUSEKEEPING_MS + 5000;
const RECONNECT_DEADLINE_MS = 15_000;

let net: SwitchedHosts | null = null;
const children: HaNodeProcess[] = [];

interface Pair {
  m: HaNodeProcess;
  s: HaNodeProcess;
  masterDir: string;
  slaveDir: string;
  masterAddress: string;
}

function network(): SwitchedHosts {
  if (net === null) throw new Error('the namespaces were not set up');
  return net;
}

async function startNode(name: string, host: string, store: Record<string, unknown>): Promise<HaNodeProcess> {
  const p = new HaNodeProcess(name, { store: { ...BASE, ...store }, ha: HA_OPTIONS }, 20_000, network().wrap(host));
  children.push(p);
  await p.ready;
  return p;
}

const reporting = (s: Json): boolean => s.ha.slaves.length === 1 && s.ha.slaves[0].ackedOffset >= 0;

/** Master on host 'm' (bound to its eth0 address), slave on host 's', connected through the switch. */
async function startPair(role: 'ASYNC_MASTER' | 'SYNC_MASTER', extra: Record<string, unknown> = {}): Promise<Pair> {
  const [masterDir, slaveDir] = [newDir(), newDir()];
  const ip = network().host('m').address;
  const m = await startNode('master', 'm', { storePathRootDir: masterDir, brokerRole: role, brokerIP1: ip, ...extra });
  const port = (await m.ready).haPort as number;
  expect(port).toBeGreaterThan(0);
  const masterAddress = `${ip}:${port}`;
  const s = await startNode('slave', 's', { storePathRootDir: slaveDir, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: masterAddress });
  await waitStatus(m, reporting, 'slave connected across the switch');
  return { m, s, masterDir, slaveDir, masterAddress };
}

/** Wait until the slave holds (and has indexed) everything the master wrote; returns the end offset. */
async function waitCaughtUp({ m, s }: Pair, deadlineMs = 20_000): Promise<number> {
  const ms = await waitStatus(m, (x) => x.wroteOffset === x.maxPhyOffset, 'master committed everything');
  const end = ms.maxPhyOffset as number;
  await waitStatus(s, (x) => x.ha.connected && x.wroteOffset === end && x.queueMaxOffset === ms.queueMaxOffset, `slave at ${end} with ${ms.queueMaxOffset} messages indexed`, deadlineMs);
  return end;
}

/** After a cut: the master drops the silent slave, and the slave drops the master and fails to reconnect. */
async function waitBothSidesDropped({ m, s }: Pair): Promise<void> {
  await waitStatus(m, (x) => x.ha.slaves.length === 0, 'master dropped the silent slave', DROP_DEADLINE_MS);
  await waitStatus(s, (x) => !x.ha.connected && s.logged('could not connect to master'), 'slave disconnected and a reconnect failed', DROP_DEADLINE_MS);
  await m.waitLogged('no offset report for');
  await s.waitLogged('nothing from the master for');
}

/** Offsets at which the master saw the slave connect (from its log). */
function connectOffsets(m: HaNodeProcess): number[] {
  return m.stderrTail.flatMap((l) => /connected at offset (\d+)/.exec(l)?.[1] ?? []).map(Number);
}

async function closeAndCompare(pair: Pair, end: number): Promise<void> {
  await pair.s.close();
  await pair.m.close();
  expectIdenticalLogs(pair.masterDir, pair.slaveDir, 0, end, SEGMENT_BYTES);
}

describe.skipIf(MISSING !== null)(`HA across network namespaces: the link cut and healed${MISSING ? ` — SKIPPED: ${MISSING}` : ''}`, () => {
  beforeAll(() => {
    net = SwitchedHosts.create(['m', 's']);
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => c.destroy()));
    const failures = net?.destroy() ?? [];
    net = null;
    expect(failures).toEqual([]);
    expect(ownNamespacesLeft()).toEqual([]);
  });

  it('ASYNC_MASTER: puts go on during the cut; after the heal the slave resumes from its own end and the logs are byte-identical', { timeout: 120_000 }, async () => {
    const pair = await startPair('ASYNC_MASTER');
    const { m, s, masterAddress } = pair;
    expect((await m.command('put 2000 500 HaTest 0 64')).statuses).toEqual({ PUT_OK: 2000 });
    const cutAt = await waitCaughtUp(pair);

    network().cut('s');
    let healedAt = 0;
    try {
      const during = await m.command('put 2000 500 HaTest 0 64');
      expect(during.statuses).toEqual({ PUT_OK: 2000 });
      expect(during.endOffset).toBeGreaterThan(cutAt + 4 * SEGMENT_BYTES);
      await waitBothSidesDropped(pair);
      const stalled = await s.command('status');
      expect(stalled.ha.slaveMaxOffset).toBe(cutAt); // nothing got through the cut
      expect(stalled.wroteOffset).toBe(cutAt);
    } finally {
      network().heal('s');
      healedAt = performance.now();
    }

    await waitStatus(s, (x) => x.ha.connected, 'slave reconnected after the heal', RECONNECT_DEADLINE_MS);
    const end = await waitCaughtUp(pair);
    process.stderr.write(`[ha-netns] ASYNC: slave caught up ${Math.round(performance.now() - healedAt)} ms after the heal\n`);
    await s.waitLogged(`disconnected from master ${masterAddress}: nothing from the master`);
    expect(s.stderrTail.filter((l) => l.includes(`connected to master ${masterAddress}`)).length).toBeGreaterThanOrEqual(2);
    expect(connectOffsets(m)).toEqual([0, cutAt]); // resumed from its own end, not from 0

    // the healed connection keeps streaming new puts
    expect((await m.command('put 500 500 HaTest 0 64')).statuses).toEqual({ PUT_OK: 500 });
    const final = await waitCaughtUp(pair);
    expect(final).toBeGreaterThan(end);
    await closeAndCompare(pair, final);
  });

  it('SYNC_MASTER: FLUSH_SLAVE_TIMEOUT during the cut, SLAVE_NOT_AVAILABLE once the slave is dropped, PUT_OK after the heal', { timeout: 120_000 }, async () => {
    const pair = await startPair('SYNC_MASTER', { slaveTimeout: SLAVE_TIMEOUT_MS });
    const { m, s } = pair;
    expect((await m.command('put 200 300 HaTest 0 32')).statuses).toEqual({ PUT_OK: 200 });
    const cutAt = await waitCaughtUp(pair);

    network().cut('s');
    try {
      // the master still counts the slave (it is silent for less than haHousekeepingInterval): puts wait and time out
      const timedOut = await m.command('put 20 300 HaTest 0 20');
      expect(timedOut.statuses).toEqual({ FLUSH_SLAVE_TIMEOUT: 20 });
      expect(timedOut.maxLatencyMs).toBeGreaterThanOrEqual(SLAVE_TIMEOUT_MS - 5);
      await waitBothSidesDropped(pair);
      // no slave any more: refused at once
      const refused = await m.command('put 20 300 HaTest 0 20');
      expect(refused.statuses).toEqual({ SLAVE_NOT_AVAILABLE: 20 });
      expect(refused.maxLatencyMs).toBeLessThan(SLAVE_TIMEOUT_MS);
      expect((await s.command('status')).ha.slaveMaxOffset).toBe(cutAt);
    } finally {
      network().heal('s');
    }

    await waitStatus(m, reporting, 'slave back after the heal', RECONNECT_DEADLINE_MS);
    await waitCaughtUp(pair); // the 40 records written during the cut (stored, only not confirmed) arrive too
    const resumed = await m.command('put 100 300 HaTest 0 16');
    expect(resumed.statuses).toEqual({ PUT_OK: 100 });
    expect(connectOffsets(m)).toEqual([0, cutAt]);
    const end = await waitCaughtUp(pair);
    await closeAndCompare(pair, end);
  });
});
