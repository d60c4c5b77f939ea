// Refusals and what they cost, with real sockets on 127.0.0.1. Slave side: a fake master that
// serves a real log with one message body changed (its header, size and structure valid, its
// BODYCRC not) is refused before any byte is appended, every attempt; the reconnects back off
// (no 100 ms storm), the drop lines are rate-limited, and after MAX_DATA_REFUSALS attempts the
// slave stops with the reason in its status. Master side: a peer that reconnects and sends
// garbage 20 times costs one warning plus a summary with the count, not 20.
import { afterEach, describe, expect, it } from 'vitest';
import { ORIGIN_EPOCH } from '../../src/ha/epoch-history.js';
import { MAX_DATA_REFUSALS } from '../../src/ha/ha-client.js';
import { encodeEpochFrame, encodeFrameHeader } from '../../src/ha/ha-protocol.js';
import { startMaster, startNode, stopNode, stopNodesAfterEach, type HaNode } from '../helpers/ha-inproc.js';
import { readCommitLog } from '../helpers/ha-logs.js';
import { fakeMaster, rawPeer, withDeadline, type FakeMaster } from '../helpers/ha-raw-peer.js';
import { openStore, smallConfig, SMALL_SEGMENT_BYTES, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-ha-refuse-');
const track = stopNodesAfterEach();
let fakes: FakeMaster[] = [];

afterEach(async () => {
  for (const f of fakes) await f.close();
  fakes = [];
});

const lines = (node: HaNode, text: string): string[] => node.logger.lines.filter((l) => l.includes(text));

/** A real log of `count` records and their offsets. */
async function realLog(count: number): Promise<{ bytes: Buffer; offsets: number[] }> {
  const dir = newDir();
  const store = await openStore(smallConfig(dir, 'node'));
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push((await store.putMessage({ topic: 'Forged', queueId: 0, body: `body-${i}-${'q'.repeat(200)}` })).physicalOffset);
  const end = store.runtimeInfo().wroteOffset;
  await store.close();
  return { bytes: readCommitLog(dir, 0, end, SMALL_SEGMENT_BYTES), offsets };
}

describe('refused transfers', () => {
  it('a record whose body does not match its CRC is never appended; back-off, rate-limited lines, then the slave stops with the reason', async () => {
    const { bytes, offsets } = await realLog(20);
    const forged = Buffer.from(bytes);
    forged[offsets[7]! + 88 + 2]! ^= 0x01; // a body byte of record 7 (88-byte IPv4 header): valid header, wrong BODYCRC
    const fake = await fakeMaster((socket) => {
      socket.write(encodeEpochFrame({ masterMaxOffset: forged.byteLength, entries: [ORIGIN_EPOCH] }));
      socket.once('data', () => socket.write(Buffer.concat([encodeFrameHeader(0, forged.byteLength), forged])));
    });
    fakes.push(fake);
    const slave = await track(
      startNode(newDir(), 'node', { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${fake.port}`, haMetadataSyncInterval: 0 }, { backoffMinMs: 50, backoffMaxMs: 400 }),
    );
    await waitUntil(() => slave.ha.status().role === 'SLAVE' && (slave.ha.status() as { lastError: string | null }).lastError?.includes('times in a row') === true, 'the slave stops', 15_000);
    const status = slave.ha.status();
    if (status.role !== 'SLAVE') throw new Error('not a slave');
    expect(status.lastError).toMatch(new RegExp(`INVALID_DATA \\(replicated bytes at offset ${offsets[7]} are not a record: body CRC mismatch: stored -?\\d+, computed -?\\d+\\)`));
    expect(status.connected).toBe(false);
    expect(slave.store.runtimeInfo().wroteOffset).toBe(0); // nothing of the chunk with the forged record
    expect(fake.accepted).toHaveLength(MAX_DATA_REFUSALS);
    const gaps = fake.accepted.slice(1).map((t, i) => t - fake.accepted[i]!);
    expect(gaps[0]!).toBeGreaterThanOrEqual(20); // 50 ms with up to half taken off by jitter
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(150); // grew: 50, 100, 200, 400 before jitter
    // one drop line, the repeats counted, one line saying it stopped
    expect(lines(slave, 'disconnected from master')).toHaveLength(2);
    expect(lines(slave, 'similar suppressed')).toHaveLength(1);
    expect(lines(slave, 'replication stopped')).toHaveLength(1);
    expect(lines(slave, 'refusing replicated bytes').length).toBeLessThanOrEqual(2);
    // stopped for good: no reconnect scheduled
    expect((status as unknown as { reconnectDelayMs: number }).reconnectDelayMs).toBe(0);
  });

  it('the master rate-limits the warnings of a peer that reconnects and misbehaves', async () => {
    const master = await track(startMaster(newDir(), 'node', 'ASYNC_MASTER'));
    for (let i = 0; i < 20; i++) {
      const peer = await rawPeer(master.ha.port!);
      peer.socket.write('GET / HTTP/1.1\r\n\r\n');
      await withDeadline(peer.closed, 5000, `garbage peer ${i} closed`);
    }
    await waitUntil(() => lines(master, 'ERR_HA_PROTOCOL report-out-of-range').length >= 1, 'first warning');
    expect(lines(master, 'ERR_HA_PROTOCOL report-out-of-range')).toHaveLength(1);
    await stopNode(master); // close writes the count of what was held back
    const summary = lines(master, 'similar suppressed');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toContain('[19 similar suppressed');
  });
});
