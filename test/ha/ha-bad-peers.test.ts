// Bad peers on both sides of the HA protocol. Master side: garbage, truncated reports, reports
// beyond the master's end or going backwards close only that connection with a log line; puts
// and a good slave carry on. A stalled slave turns SYNC_MASTER puts into FLUSH_SLAVE_TIMEOUT
// (all waiting puts at once, one timer). Slave side: a fake master sending a frame past what
// was asked, garbage, or nothing is dropped with a log line, nothing is appended, and the slave
// reconnects with a growing back-off.
import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN_EPOCH } from '../../src/ha/epoch-history.js';
import { encodeEpochFrame, encodeFrameHeader, encodeReport } from '../../src/ha/ha-protocol.js';
import { masterStatus, startMaster, startNode, startSlave, stopNode, waitCaughtUp, waitSlaves, stopNodesAfterEach, type HaNode } from '../helpers/ha-inproc.js';
import { expectIdenticalLogs } from '../helpers/ha-logs.js';
import { fakeMaster, rawPeer, withDeadline, type FakeMaster } from '../helpers/ha-raw-peer.js';
import { SMALL_SEGMENT_BYTES, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-ha-bad-');
const track = stopNodesAfterEach();
let fakes: FakeMaster[] = [];

afterEach(async () => {
  for (const f of fakes) await f.close();
  fakes = [];
});

/** What a fake master sends first: the epoch frame of a log that never changed master. */
function originEpochFrame(masterMaxOffset: number): Buffer {
  return encodeEpochFrame({ masterMaxOffset, entries: [ORIGIN_EPOCH] });
}

function logged(node: HaNode, text: string): boolean {
  return node.logger.lines.some((l) => l.includes(text));
}

async function putsOk(node: HaNode, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const r = await node.store.putMessage({ topic: 'Bad', queueId: i % 2, body: `msg-${i}-${'y'.repeat(i * 13 % 900)}` });
    expect(r.status, r.reason).toBe('PUT_OK');
  }
}

describe('bad slaves on the master HA port', () => {
  it('closes each bad connection with a log line; puts and the good slave carry on', async () => {
    const master = await track(startMaster(newDir(), 'node', 'SYNC_MASTER', { haHousekeepingInterval: 1000 }));
    const good = await track(startSlave(newDir(), 'node', master, 1, { haHousekeepingInterval: 1000 }));
    await waitSlaves(master, 1);
    await putsOk(master, 50);
    const max = (): number => master.store.getMaxPhyOffset();

    const garbage = await rawPeer(master.ha.port!);
    garbage.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await withDeadline(garbage.closed, 5000, 'garbage peer closed');
    await waitUntil(() => logged(master, 'ERR_HA_PROTOCOL report-out-of-range'), 'log line for garbage');
    await putsOk(master, 20);

    const truncatedEnd = await rawPeer(master.ha.port!);
    truncatedEnd.socket.end(encodeReport(0).subarray(0, 5));
    await withDeadline(truncatedEnd.closed, 5000, 'truncated-report peer closed');
    await waitUntil(() => logged(master, 'in the middle of a report (5 of 8 bytes)'), 'log line for a truncated report');

    const truncatedSilent = await rawPeer(master.ha.port!);
    truncatedSilent.socket.write(encodeReport(0).subarray(0, 3));
    const silentMs = await withDeadline(truncatedSilent.closed, 5000, 'silent truncated-report peer closed by housekeeping');
    expect(silentMs).toBeGreaterThanOrEqual(900);
    expect(logged(master, 'no offset report for')).toBe(true);

    const beyond = await rawPeer(master.ha.port!);
    beyond.socket.write(encodeReport(max() + 1));
    await withDeadline(beyond.closed, 5000, 'beyond-the-end peer closed');
    await waitUntil(() => logged(master, 'ERR_HA_PROTOCOL report-beyond-master'), 'log line for a report beyond the end');
    // only the epoch frame (12-byte header, the master's max offset and store id, 0@0 and its
    // epoch, each with a store id), no data frame
    expect(beyond.received()).toBe(12 + 16 + 2 * 24);

    const backwards = await rawPeer(master.ha.port!);
    backwards.socket.write(encodeReport(max()));
    backwards.socket.write(encodeReport(max() - 1));
    await withDeadline(backwards.closed, 5000, 'backwards peer closed');
    await waitUntil(() => logged(master, 'ERR_HA_PROTOCOL report-backwards'), 'log line for a report going backwards');

    await putsOk(master, 50);
    expect(masterStatus(master).slaves.map((s) => s.inSync)).toEqual([true]);
    await waitCaughtUp(master, good);
    const end = max();
    await stopNode(good);
    await stopNode(master);
    expectIdenticalLogs(master.dir, good.dir, 0, end, SMALL_SEGMENT_BYTES);
  });

  it('a stalled slave: SYNC_MASTER puts time out after slaveTimeout together, and complete once it acks', async () => {
    const slaveTimeout = 300;
    const master = await track(startMaster(newDir(), 'node', 'SYNC_MASTER', { slaveTimeout }));
    // the "slave" reports the master's end once, then neither reads nor reports
    const stalled = await rawPeer(master.ha.port!);
    stalled.socket.pause();
    stalled.socket.write(encodeReport(0));
    await waitSlaves(master, 1);
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => master.store.putMessage({ topic: 'Stall', body: `s${i}` })));
    const waitedMs = performance.now() - t0;
    expect(results.map((r) => r.status)).toEqual(Array(50).fill('FLUSH_SLAVE_TIMEOUT'));
    expect(waitedMs).toBeGreaterThanOrEqual(slaveTimeout - 5);
    expect(waitedMs).toBeLessThan(slaveTimeout + 500);
    // now it acks everything it was sent: waiting puts complete at once
    const pending = master.store.putMessage({ topic: 'Stall', body: 'after' });
    const end = master.store.runtimeInfo().wroteOffset;
    await waitUntil(() => masterStatus(master).slaves[0]!.transferredBytes >= end, 'every byte handed to the stalled peer');
    stalled.socket.write(encodeReport(end));
    const r = await withDeadline(pending, slaveTimeout, 'put after the ack');
    expect(r.status).toBe('PUT_OK');
    stalled.socket.destroy();
  });
});

describe('a bad master seen from the slave', () => {
  async function slaveOf(fake: FakeMaster, overrides: Record<string, unknown> = {}): Promise<HaNode> {
    // haMetadataSyncInterval 0: the fake masters count the replication connections only
    return track(startNode(newDir(), 'node', { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${fake.port}`, haMetadataSyncInterval: 0, ...overrides }, { backoffMinMs: 50, backoffMaxMs: 400 }));
  }

  it('a frame past the offset the slave asked for: dropped, nothing appended, reconnect with growing back-off', async () => {
    const fake = await fakeMaster((socket) => {
      socket.write(originEpochFrame(8192));
      socket.once('data', () => socket.write(Buffer.concat([encodeFrameHeader(4096, 16), Buffer.alloc(16, 1)])));
    });
    fakes.push(fake);
    const slave = await slaveOf(fake);
    await waitUntil(() => fake.accepted.length >= 5, '5 connection attempts', 10_000);
    expect(logged(slave, 'ERR_HA_PROTOCOL frame-offset')).toBe(true);
    expect(slave.store.runtimeInfo().wroteOffset).toBe(0);
    const gaps = fake.accepted.slice(1).map((t, i) => t - fake.accepted[i]!);
    expect(gaps[0]!).toBeGreaterThanOrEqual(20); // 50 ms, up to half taken off by jitter
    expect(gaps[2]!).toBeGreaterThan(gaps[0]!); // 50, 100, 200, 400 ms before jitter
    expect(Math.max(...gaps)).toBeLessThan(2000);
  });

  it('garbage, a bad epoch frame and oversized frames are refused before any byte is appended', async () => {
    const fake = await fakeMaster((socket, index) => {
      if (index === 0) socket.write('HTTP/1.1 400 Bad Request\r\n\r\n');
      else if (index === 1) socket.write(Buffer.concat([Buffer.alloc(8, 0xff), Buffer.from([0, 0, 0, 9]), Buffer.alloc(9)]));
      else {
        socket.write(originEpochFrame(0));
        socket.once('data', () => socket.write(Buffer.concat([encodeFrameHeader(0, 1 << 20), Buffer.alloc(64)])));
      }
    });
    fakes.push(fake);
    const slave = await slaveOf(fake);
    await waitUntil(() => fake.accepted.length >= 3 && logged(slave, 'frame-size: frame at 0 has bodySize 1048576'), 'all three bad masters refused', 10_000);
    expect(logged(slave, "ERR_HA_PROTOCOL handshake: the master's first frame is not an epoch frame")).toBe(true);
    expect(logged(slave, 'ERR_HA_PROTOCOL handshake: epoch frame bodySize 9')).toBe(true);
    expect(slave.store.runtimeInfo().wroteOffset).toBe(0);
  });

  it('a silent master is dropped after haHousekeepingInterval', async () => {
    const fake = await fakeMaster(() => {});
    fakes.push(fake);
    const slave = await slaveOf(fake, { haHousekeepingInterval: 400 });
    await waitUntil(() => logged(slave, 'nothing from the master for'), 'housekeeping drop', 5000);
    await waitUntil(() => fake.accepted.length >= 2, 'reconnect', 5000);
    const s = slave.ha.status();
    expect(s.role).toBe('SLAVE');
  });
});
