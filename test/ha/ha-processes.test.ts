// Master and slave as separate processes on 127.0.0.1 (test/helpers/ha-node-main.ts, a node on
// openNode), ports chosen by the OS: SYNC_MASTER puts all reach the slave and the logs are
// byte-identical; a slave SIGKILLed mid-stream and restarted catches up byte-identical; a
// SIGSTOPped slave makes SYNC_MASTER puts return FLUSH_SLAVE_TIMEOUT within slaveTimeout + a
// margin while ASYNC_MASTER puts stay PUT_OK, and PUT_OK comes back after SIGCONT; a slave
// promoted while the old master is down takes writes, and the old master, which wrote past the
// promotion point, rejoins as its slave with those bytes dropped and ends byte-identical.
import { afterAll, describe, expect, it } from 'vitest';
import { EPOCH_NODE_SLOTS } from '../../src/ha/epoch-history.js';
import { expectIdenticalLogs } from '../helpers/ha-logs.js';
import { HaNodeProcess, NODE_SEGMENT_BYTES, NODE_STORE_BASE, waitStatus, type Json } from '../helpers/ha-node-process.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-ha-proc-');
const SEGMENT_BYTES = NODE_SEGMENT_BYTES;
const BASE = NODE_STORE_BASE;
const children: HaNodeProcess[] = [];

afterAll(async () => {
  await Promise.all(children.map((c) => c.destroy()));
});

async function node(name: string, store: Record<string, unknown>): Promise<HaNodeProcess> {
  const p = new HaNodeProcess(name, { store: { ...BASE, ...store } });
  children.push(p);
  await p.ready;
  return p;
}

async function master(dir: string, role: 'SYNC_MASTER' | 'ASYNC_MASTER', extra: Record<string, unknown> = {}): Promise<{ proc: HaNodeProcess; port: number }> {
  const proc = await node('master', { storePathRootDir: dir, brokerRole: role, ...extra });
  const ready = await proc.ready;
  expect(ready.haPort).toBeGreaterThan(0);
  return { proc, port: ready.haPort as number };
}

function slave(dir: string, port: number, name = 'slave'): Promise<HaNodeProcess> {
  return node(name, { storePathRootDir: dir, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${port}` });
}

const reporting = (s: Json): boolean => s.ha.slaves.length === 1 && s.ha.slaves[0].ackedOffset >= 0;

/** Wait for the slave to hold everything, check queue offsets, close both, compare the logs. */
async function expectReplicated(m: HaNodeProcess, s: HaNodeProcess, masterDir: string, slaveDir: string, stopSlave: 'close' | 'SIGTERM' = 'close'): Promise<void> {
  const ms = await waitStatus(m, (x) => x.wroteOffset === x.maxPhyOffset, 'master committed everything');
  const end = ms.maxPhyOffset as number;
  const ss = await waitStatus(s, (x) => x.wroteOffset === end && x.queueMaxOffset === ms.queueMaxOffset, `slave at ${end} with ${ms.queueMaxOffset} messages indexed`);
  expect(ss.ha.connected).toBe(true);
  expect(ss.ha.slaveMaxOffset).toBe(end);
  if (stopSlave === 'SIGTERM') {
    s.signal('SIGTERM');
    expect((await s.waitExit(20_000)).code).toBe(0);
    expect(s.logged('shutting down (SIGTERM)')).toBe(true);
  } else {
    await s.close();
  }
  await m.close();
  expectIdenticalLogs(masterDir, slaveDir, 0, end, SEGMENT_BYTES);
}

describe('HA between processes', () => {
  it('SYNC_MASTER: every put PUT_OK, all on the slave, logs byte-identical', async () => {
    const [md, sd] = [newDir(), newDir()];
    const m = await master(md, 'SYNC_MASTER');
    const s = await slave(sd, m.port);
    await waitStatus(m.proc, reporting, 'slave connected');
    const put = await m.proc.command('put 3000 700 HaTest 0 256');
    expect(put.statuses).toEqual({ PUT_OK: 3000 });
    expect(put.endOffset).toBeGreaterThan(8 * SEGMENT_BYTES);
    await expectReplicated(m.proc, s, md, sd, 'SIGTERM');
    expect(m.proc.logged('connected at offset 0')).toBe(true);
  });

  it('a slave SIGKILLed mid-stream and restarted catches up byte-identical', async () => {
    const [md, sd] = [newDir(), newDir()];
    const m = await master(md, 'ASYNC_MASTER');
    const prefill = await m.proc.command('put 4000 1000 HaTest 0 256');
    expect(prefill.statuses).toEqual({ PUT_OK: 4000 });
    const s1 = await slave(sd, m.port, 'slave-1');
    // keep writing while the slave streams, and kill it part-way
    const writing = m.proc.command('put 6000 1000 HaTest 0 64', 60_000);
    const at = await waitStatus(s1, (x) => x.ha.slaveMaxOffset > 2 * 1024 * 1024, 'slave part-way through the log');
    s1.signal('SIGKILL');
    expect((await s1.waitExit(10_000)).signal).toBe('SIGKILL');
    await waitStatus(m.proc, (x) => x.ha.slaves.length === 0, 'master dropped the dead slave');
    const s2 = await slave(sd, m.port, 'slave-2');
    const more = await writing;
    expect(more.statuses).toEqual({ PUT_OK: 6000 });
    await waitStatus(m.proc, reporting, 'restarted slave reporting');
    // the restarted slave resumed from its own log (recovered after the kill), not from 0
    const starts = m.proc.stderrTail.flatMap((l) => /connected at offset (\d+)/.exec(l)?.[1] ?? []).map(Number);
    expect(starts).toHaveLength(2);
    expect(starts[0]).toBe(0);
    expect(starts[1]).toBeGreaterThanOrEqual(at.ha.slaveMaxOffset - SEGMENT_BYTES);
    expect(starts[1]).toBeLessThan(more.endOffset);
    await expectReplicated(m.proc, s2, md, sd);
    await s2.waitLogged('recovery (abnormal)');
  });

  it('a SIGSTOPped slave: SYNC_MASTER puts time out within slaveTimeout + margin, ASYNC_MASTER puts stay PUT_OK; PUT_OK again after SIGCONT', async () => {
    const slaveTimeout = 500;
    const [md, sd] = [newDir(), newDir()];
    const m = await master(md, 'SYNC_MASTER', { slaveTimeout });
    const s = await slave(sd, m.port);
    await waitStatus(m.proc, reporting, 'slave connected');
    expect((await m.proc.command('put 200 300 HaTest 0 32')).statuses).toEqual({ PUT_OK: 200 });

    s.signal('SIGSTOP');
    try {
      const stalled = await m.proc.command('put 40 300 HaTest 0 40');
      expect(stalled.statuses).toEqual({ FLUSH_SLAVE_TIMEOUT: 40 });
      expect(stalled.maxLatencyMs).toBeGreaterThanOrEqual(slaveTimeout - 5);
      expect(stalled.maxLatencyMs).toBeLessThan(slaveTimeout + 400);
      expect(stalled.ms).toBeLessThan(slaveTimeout + 400); // waited together, not one after another

      expect((await m.proc.command('role ASYNC_MASTER')).role).toBe('ASYNC_MASTER');
      const async = await m.proc.command('put 300 300 HaTest 0 32');
      expect(async.statuses).toEqual({ PUT_OK: 300 });
      expect(async.maxLatencyMs).toBeLessThan(slaveTimeout);
      expect((await m.proc.command('role SYNC_MASTER')).role).toBe('SYNC_MASTER');
    } finally {
      s.signal('SIGCONT');
    }
    const resumed = await m.proc.command('put 100 300 HaTest 0 16');
    expect(resumed.statuses).toEqual({ PUT_OK: 100 });
    await expectReplicated(m.proc, s, md, sd);
  });

  it('promote the slave, write to it, rejoin the old master (diverged) as its slave: the extra bytes are dropped, logs identical', async () => {
    const [ad, bd] = [newDir(), newDir()];
    const a = await master(ad, 'ASYNC_MASTER');
    const b = await slave(bd, a.port);
    await waitStatus(a.proc, reporting, 'slave connected');
    expect((await a.proc.command('put 800 500 HaTest 0 64')).statuses).toEqual({ PUT_OK: 800 });
    const shared = await waitStatus(a.proc, (x) => x.wroteOffset === x.maxPhyOffset, 'master committed everything');
    await waitStatus(b, (x) => x.wroteOffset === shared.maxPhyOffset, 'slave holds everything');
    await b.close();
    // only the old master gets these: after the promotion they must go
    const lost = await a.proc.command('put 300 500 HaTest 0 64');
    expect(lost.statuses).toEqual({ PUT_OK: 300 });
    await a.proc.close();

    const b2 = await node('promoted', { storePathRootDir: bd, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${a.port}` });
    expect((await b2.ready).rejoin.kind).toBe('master-unreachable');
    const promoted = await b2.command('promote SYNC_MASTER');
    expect(promoted.role).toBe('SYNC_MASTER');
    const a2 = await node('old master', { storePathRootDir: ad, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${promoted.haPort}` });
    const rejoin = (await a2.ready).rejoin;
    expect(rejoin).toEqual({ kind: 'truncated', truncateTo: shared.maxPhyOffset, droppedBytes: lost.endOffset - shared.maxPhyOffset, commonEpoch: EPOCH_NODE_SLOTS, quarantineDir: expect.stringContaining('quarantine') });
    await a2.waitLogged(`dropping ${rejoin.droppedBytes} bytes`);
    await waitStatus(b2, reporting, 'old master connected as a slave');
    const after = await b2.command('put 400 500 HaTest 0 64');
    expect(after.statuses).toEqual({ PUT_OK: 400 });
    expect(after.firstQueueOffset).toBe(800); // the dropped 300 never existed
    await expectReplicated(b2, a2, bd, ad);
  });
});
