// Consumer offsets reach the slaves (RocketMQ's SlaveSynchronize; src/ha/metadata-sync.ts): a
// slave copies its master's consumerOffset table every haMetadataSyncInterval over a short
// connection of its own to the master's HA port, so after a promotion the new master answers
// queryOffset with what the groups committed on the old one. Real processes, and in process
// against a fake master that serves malformed metadata (nothing changes, the slave says why).
import { afterAll, describe, expect, it } from 'vitest';
import { encodeMetadataFrame, MetadataFrameDecoder } from '../../src/ha/ha-metadata-protocol.js';
import { encodeEpochFrame, encodeMetadataRequest, HaProtocolError, METADATA_REQUEST, ReportDecoder } from '../../src/ha/ha-protocol.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import type { Connection } from '../../src/net/transport.js';
import { HaNodeProcess, NODE_STORE_BASE, waitStatus, type Json } from '../helpers/ha-node-process.js';
import { startNode, stopNodesAfterEach } from '../helpers/ha-inproc.js';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-offset-sync-');
const SYNC_MS = 300;
const children: HaNodeProcess[] = [];
afterAll(async () => {
  await Promise.all(children.map((c) => c.destroy()));
});

async function node(name: string, store: Record<string, unknown>): Promise<HaNodeProcess> {
  const p = new HaNodeProcess(name, { store: { ...NODE_STORE_BASE, haMetadataSyncInterval: SYNC_MS, ...store } });
  children.push(p);
  await p.ready;
  return p;
}

describe('the metadata wire format', () => {
  it('a metadata request is recognised as the first report only, and nothing may follow it', () => {
    const d = new ReportDecoder(() => 1000);
    expect(d.push(encodeMetadataRequest())).toBe(METADATA_REQUEST);
    expect(() => d.push(new Uint8Array(8))).toThrow(HaProtocolError);
    const later = new ReportDecoder(() => 1000);
    expect(later.push(new Uint8Array(8))).toBe(0);
    expect(() => later.push(encodeMetadataRequest())).toThrow(/negative or above/);
  });

  it('a metadata frame decodes cut at every byte; garbage, oversize and trailing bytes are refused', () => {
    const json = JSON.stringify({ offsetTable: { 'T@g': { '0': 12, '3': 99 } } });
    const frame = encodeMetadataFrame(json);
    for (let cut = 1; cut < frame.byteLength; cut++) {
      const d = new MetadataFrameDecoder();
      expect(d.push(frame.subarray(0, cut))).toBeNull();
      expect(d.push(frame.subarray(cut))).toBe(json);
    }
    expect(() => new MetadataFrameDecoder().push(encodeEpochFrame({ masterMaxOffset: 0, entries: [{ epoch: 0, startOffset: 0 }] }))).toThrow(/not a metadata frame/);
    const huge = Buffer.from(frame.subarray(0, 12));
    huge.writeInt32BE(0x7fffffff, 8);
    expect(() => new MetadataFrameDecoder().push(huge)).toThrow(/bodySize/);
    expect(() => new MetadataFrameDecoder().push(Buffer.concat([frame, Buffer.from('x')]))).toThrow(/after the metadata frame/);
  });
});

describe('consumer offsets on the slaves', () => {
  it('a slave process has the master\'s offsets within the interval; after promotion a consumer resumes where it committed', async () => {
    const [md, sd] = [newDir(), newDir()];
    const m = await node('master', { storePathRootDir: md, brokerRole: 'ASYNC_MASTER' });
    const port = (await m.ready).haPort as number;
    const s = await node('slave', { storePathRootDir: sd, brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${port}` });
    expect((await m.command('put 50 200 HaTest 0 8')).statuses).toEqual({ PUT_OK: 50 });
    await m.command('commit groupA HaTest 0 37');
    await m.command('commit groupB HaTest 0 11');
    const committedAt = performance.now();
    await waitUntilQuery(s, 'groupA', 37);
    const lagMs = performance.now() - committedAt;
    expect((await s.command('query groupB HaTest 0')).offset).toBe(11);
    // a later commit follows within the interval too, and the status says when the slave synced
    await m.command('commit groupA HaTest 0 45');
    await waitUntilQuery(s, 'groupA', 45);
    const status = await waitStatus(s, (x: Json) => x.ha.metadataSync?.syncs >= 2, 'two metadata syncs');
    expect(status.ha.metadataSync).toMatchObject({ lastError: null });
    expect(status.ha.metadataSync.lastSyncTimestamp).toBeGreaterThan(0);
    // the master goes away; the slave is promoted and still knows where groupA stopped
    await m.close();
    const promoted = await s.command('promote ASYNC_MASTER');
    expect(promoted.role).toBe('ASYNC_MASTER');
    expect((await s.command('query groupA HaTest 0')).offset).toBe(45);
    expect((await s.command('query groupB HaTest 0')).offset).toBe(11);
    expect((await s.command('query never HaTest 0')).offset).toBe(-1);
    expect(lagMs).toBeLessThan(SYNC_MS * 2 + 2000);
  });

  const track = stopNodesAfterEach();
  it('malformed metadata from a fake master changes nothing; the slave logs why once and keeps trying', async () => {
    let metadataRequests = 0;
    const listener = await tcpTransport.listen({
      host: '127.0.0.1',
      port: 0,
      maxConnections: 16,
      onConnection: (c: Connection) => {
        c.write(encodeEpochFrame({ masterMaxOffset: 0, entries: [{ epoch: 0, startOffset: 0 }] }));
        c.on('data', (chunk) => {
          if (Buffer.from(chunk).equals(encodeMetadataRequest())) {
            metadataRequests++;
            c.write(encodeMetadataFrame('{"offsetTable":{"bad key without at":{"0":1}}}'));
          }
        });
        c.on('error', () => undefined);
      },
    });
    try {
      const dir = newDir();
      const slave = await track(startNode(dir, 'node', { brokerRole: 'SLAVE', brokerId: 1, haMetadataSyncInterval: 100, haMasterAddress: `127.0.0.1:${listener.port}` }));
      slave.store.commitOffset('local', 'T', 0, 5);
      await waitUntil(() => metadataRequests >= 3, 'three metadata requests');
      expect(slave.store.queryOffset('local', 'T', 0)).toBe(5);
      expect(JSON.parse(slave.store.consumerOffsetsJson())).toEqual({ offsetTable: { 'T@local': { '0': 5 } } });
      const warnings = slave.logger.lines.filter((l) => l.includes('metadata sync with master'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/malformed: bad entry 'bad key without at'/);
    } finally {
      await listener.close();
    }
  });
});

async function waitUntilQuery(p: HaNodeProcess, group: string, offset: number): Promise<void> {
  const deadline = performance.now() + 20_000;
  for (let round = 0; round < 100_000; round++) {
    if ((await p.command(`query ${group} HaTest 0`)).offset === offset) return;
    if (performance.now() > deadline) throw new Error(`the slave never had ${group}'s offset ${offset}`);
    await p.command('status'); // one round trip between polls (no sleep)
  }
}
