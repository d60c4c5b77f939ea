// The sendfile HA sender (a worker thread per slave, bodies by sendfile from the segment files)
// with real stores over loopback, forced with haTransferMode=sendfile on both IO backends (mmap
// and buffered masters): SYNC_MASTER puts and byte-identical logs across segment rolls, a slave
// that goes away and comes back resumes where it stopped, closing while streaming (also while the
// worker is blocked on a full socket) leaves no worker behind, heartbeats keep an idle slave
// connected past haHousekeepingInterval, and bytes the main thread wrote before start() reach
// the peer before the first frame.
import { closeSync, openSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, HA_FRAME_HEADER_BYTES, encodeReport } from '../../src/ha/ha-protocol.js';
import { liveSendfileWorkers, sendfileSender } from '../../src/ha/ha-sendfile-sender.js';
import { sendfileSpareReady } from '../../src/ha/ha-sendfile-spare.js';
import { tcpTransport } from '../../src/net/tcp-transport.js';
import type { Connection, Listener } from '../../src/net/transport.js';
import { PERSISTENCE_POSITIONS } from '../../src/flush/persistence-layout.js';
import { segmentFileName } from '../../src/segment/segment-name.js';
import type { ReplicationSource } from '../../src/replication/replication-types.js';
import { systemClock } from '../../src/util/clock.js';
import { ControlBlock } from '../../src/util/control-block.js';
import { memoryLogger } from '../../src/util/logger.js';
import { realScheduler } from '../../src/util/scheduler.js';
import { masterStatus, startMaster, startSlave, stopNode, waitCaughtUp, waitSlaves, type HaNode } from '../helpers/ha-inproc.js';
import { expectIdenticalLogs } from '../helpers/ha-logs.js';
import { rawPeer, withDeadline } from '../helpers/ha-raw-peer.js';
import { hasAddon, NEEDS_ADDON } from '../helpers/native.js';
import { skipNotice } from '../helpers/skip-notice.js';
import { AVAILABLE_BACKENDS, bodyOf, SMALL_SEGMENT_BYTES, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

skipNotice('sendfile HA sender tests', hasAddon ? null : NEEDS_ADDON);

const newDir = tempDirs('mqstore-ha-sendfile-');
const TOPIC = 'HaSendfile';
const SENDFILE = { haTransferMode: 'sendfile' };
let nodes: HaNode[] = [];

afterEach(async () => {
  for (const n of nodes.reverse()) await stopNode(n);
  nodes = [];
  await noWorkersLeft();
});

async function track(p: Promise<HaNode>): Promise<HaNode> {
  const n = await p;
  nodes.push(n);
  return n;
}

function untrack(n: HaNode): void {
  nodes = nodes.filter((x) => x !== n);
}

function noWorkersLeft(): Promise<void> {
  return waitUntil(() => liveSendfileWorkers() === 0, 'every sendfile worker exited', 5000);
}

/** `count` puts, `inFlight` at a time, bodies of varying size (segments roll). */
async function putMany(node: HaNode, count: number, inFlight: number, expectOk = true): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const r = await node.store.putMessage({ topic: TOPIC, queueId: i % 3, body: bodyOf(i, 100 + ((i * 37) % 3000)) });
      if (expectOk) expect(r.status, r.reason).toBe('PUT_OK');
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Stop both, then compare their logs byte by byte. */
async function expectSameLogs(master: HaNode, slave: HaNode): Promise<void> {
  await waitCaughtUp(master, slave);
  const [min, end] = [master.store.getMinPhyOffset(), master.store.getMaxPhyOffset()];
  for (const n of [slave, master]) {
    await stopNode(n);
    untrack(n);
  }
  expectIdenticalLogs(master.dir, slave.dir, min, end, SMALL_SEGMENT_BYTES);
}

function logged(node: HaNode, text: string): boolean {
  return node.logger.lines.some((l) => l.includes(text));
}

describe.skipIf(!hasAddon).each(AVAILABLE_BACKENDS)('sendfile HA sender (%s backend master)', (backend) => {
  it('SYNC_MASTER: every put PUT_OK once the slave has it; logs byte-identical across segment rolls', async () => {
    const master = await track(startMaster(newDir(), backend, 'SYNC_MASTER', SENDFILE));
    const slave = await track(startSlave(newDir(), backend, master, 1));
    await waitSlaves(master, 1);
    await waitUntil(() => liveSendfileWorkers() === 1, 'one sendfile worker runs');
    await putMany(master, 300, 32);
    expect(master.store.getMaxPhyOffset()).toBeGreaterThan(4 * SMALL_SEGMENT_BYTES);
    const s = masterStatus(master).slaves[0]!;
    expect(s.transferredBytes).toBe(master.store.getMaxPhyOffset());
    expect(s.transferFromOffset).toBe(master.store.getMaxPhyOffset());
    expect(logged(master, 'disconnected')).toBe(false);
    await expectSameLogs(master, slave);
  });

  it('a slave that goes away and comes back resumes from its own end', async () => {
    const master = await track(startMaster(newDir(), backend, 'ASYNC_MASTER', SENDFILE));
    const slaveDir = newDir();
    const first = await track(startSlave(slaveDir, backend, master, 1));
    await putMany(master, 120, 8);
    await waitCaughtUp(master, first);
    const resumeAt = first.store.runtimeInfo().wroteOffset;
    await stopNode(first);
    untrack(first);
    await waitUntil(() => masterStatus(master).slaves.length === 0, 'the master dropped the slave');
    await putMany(master, 120, 8);
    const again = await track(startSlave(slaveDir, backend, master, 1));
    await waitCaughtUp(master, again);
    expect(logged(master, `connected at offset ${resumeAt}; streaming from ${resumeAt}`)).toBe(true);
    expect(masterStatus(master).slaves[0]!.transferredBytes).toBe(master.store.getMaxPhyOffset() - resumeAt);
    await expectSameLogs(master, again);
  });

  it('closing while streaming leaves no worker behind', async () => {
    const master = await track(startMaster(newDir(), backend, 'ASYNC_MASTER', { ...SENDFILE, haTransferBatchSize: 1024 }));
    await putMany(master, 2000, 16);
    const slave = await track(startSlave(newDir(), backend, master, 1));
    await waitUntil(() => slave.store.runtimeInfo().wroteOffset > 0, 'the slave received its first bytes');
    await withDeadline(master.ha.close(), 5000, 'master HA closed while streaming');
    await noWorkersLeft();
  });

  it('closing while the worker waits on a full socket stops it within a poll slice', async () => {
    const master = await track(startMaster(newDir(), backend, 'ASYNC_MASTER', SENDFILE));
    await putMany(master, 3000, 16); // ~5 MB: more than loopback socket buffers hold
    const peer = await rawPeer(master.ha.port!);
    peer.socket.pause(); // never reads
    peer.socket.write(encodeReport(0));
    await waitUntil(() => liveSendfileWorkers() === 1 && masterStatus(master).slaves[0]!.transferFromOffset > 0, 'the worker is streaming');
    const t0 = performance.now();
    await master.ha.close();
    await noWorkersLeft();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(masterStatus(master).slaves).toHaveLength(0);
    peer.socket.destroy();
  });

  it('heartbeats keep an idle slave connected past haHousekeepingInterval', async () => {
    const periods = { haSendHeartbeatInterval: 100, haHousekeepingInterval: 500 };
    const master = await track(startMaster(newDir(), backend, 'ASYNC_MASTER', { ...SENDFILE, ...periods }));
    const slave = await track(startSlave(newDir(), backend, master, 1, periods));
    await waitSlaves(master, 1);
    const address = masterStatus(master).slaves[0]!.address;
    const t0 = Date.now();
    // a frame read three housekeeping periods later, on the same connection
    await waitUntil(() => {
      const s = slave.ha.status();
      return s.role === 'SLAVE' && s.lastReadTimestamp > t0 + 3 * periods.haHousekeepingInterval;
    }, 'the slave still reads heartbeats after 3 housekeeping periods');
    const s = slave.ha.status();
    expect(s.role === 'SLAVE' && s.connected).toBe(true);
    expect(masterStatus(master).slaves.map((x) => x.address)).toEqual([address]);
    expect(logged(master, 'disconnected') || logged(slave, 'disconnected')).toBe(false);
  });
});

describe.skipIf(!hasAddon)('sendfile spare worker', () => {
  it('a listening sendfile master keeps one spare worker booted, takes it for a slave, and ends it on close', async () => {
    expect(sendfileSpareReady()).toBe(false);
    const master = await track(startMaster(newDir(), AVAILABLE_BACKENDS[0]!, 'ASYNC_MASTER', SENDFILE));
    expect(sendfileSpareReady()).toBe(true);
    const peer = await rawPeer(master.ha.port!);
    peer.socket.write(encodeReport(0));
    await waitUntil(() => liveSendfileWorkers() === 1, 'the slave got a worker');
    expect(sendfileSpareReady()).toBe(true); // replaced at once
    await master.ha.close();
    await noWorkersLeft();
    expect(sendfileSpareReady()).toBe(false);
    peer.socket.destroy();
  });
});

describe.skipIf(!hasAddon)('sendfile sender handover', () => {
  it('bytes the main thread wrote before start() reach the peer before the first frame', async () => {
    const dir = newDir();
    const segment = Buffer.alloc(SMALL_SEGMENT_BYTES, 0x61);
    const fd = openSync(join(dir, segmentFileName(0)), 'w');
    writeSync(fd, segment);
    closeSync(fd);
    const block = ControlBlock.create(PERSISTENCE_POSITIONS);
    block.store('committed', 5000);
    const source: ReplicationSource = {
      segmentBytes: SMALL_SEGMENT_BYTES,
      maxOffset: () => block.load('committed'),
      minOffset: () => 0,
      read: () => new Uint8Array(0),
      waitForData: (offset, ms) => block.waitAtLeastAsync('committed', offset + 1, ms),
      segmentPath: () => join(dir, segmentFileName(0)),
      shared: () => ({ buffer: block.buffer, committedIndex: block.slotOf('committed'), segmentDir: dir }),
    };
    const { server, serverSide, client } = await socketPair();
    const prelude = Buffer.alloc(16 << 20, 0x7a); // far more than the socket takes before the peer reads
    try {
      serverSide.write(prelude);
      expect(serverSide.writableLength).toBeGreaterThan(0);
      const errors: Error[] = [];
      const sender = sendfileSender({
        socket: serverSide,
        source,
        options: { transferBatchBytes: 4096, heartbeatIntervalMs: 60_000, idleWaitMs: 10 },
        logger: memoryLogger(),
        clock: systemClock,
        scheduler: realScheduler,
        onError: (e) => errors.push(e),
      });
      sender.start(0);
      const received: Buffer[] = [];
      let bytes = 0;
      const want = prelude.byteLength + 5000 + 2 * HA_FRAME_HEADER_BYTES;
      client.on('data', (c: Buffer) => {
        received.push(c);
        bytes += c.byteLength;
      });
      client.resume();
      await waitUntil(() => bytes >= want, `the peer received ${want} bytes`);
      const all = Buffer.concat(received);
      expect(all.subarray(0, prelude.byteLength).equals(prelude)).toBe(true);
      const bodies: Buffer[] = [];
      const decoder = new FrameDecoder({ expectedOffset: 0, acceptFirstOffset: false, maxBodyBytes: 4096, segmentBytes: SMALL_SEGMENT_BYTES });
      decoder.push(all.subarray(prelude.byteLength), { onHeader: () => {}, onBody: (_o, b) => bodies.push(Buffer.from(b)) });
      expect(Buffer.concat(bodies).equals(segment.subarray(0, 5000))).toBe(true);
      expect(sender.nextOffset).toBe(5000);
      sender.close();
      await withDeadline(sender.stopped, 5000, 'the sender worker stopped');
      expect(errors).toEqual([]);
    } finally {
      serverSide.destroy();
      client.destroy();
      await server.close();
    }
  });
});

describe.skipIf(!hasAddon)('sendfile sender on a connection without a descriptor', () => {
  it('reports a HaTransferError saying so, and starts no worker', async () => {
    const block = ControlBlock.create(PERSISTENCE_POSITIONS);
    const source: ReplicationSource = {
      segmentBytes: SMALL_SEGMENT_BYTES,
      maxOffset: () => 0,
      minOffset: () => 0,
      read: () => new Uint8Array(0),
      waitForData: (offset, ms) => block.waitAtLeastAsync('committed', offset + 1, ms),
      segmentPath: () => join(newDir(), segmentFileName(0)),
      shared: () => ({ buffer: block.buffer, committedIndex: block.slotOf('committed'), segmentDir: newDir() }),
    };
    // a simulated link: nothing queued, no OS descriptor
    const link = { remoteAddress: 'sim:1', writableLength: 0, writableNeedDrain: false, destroyed: false, fileDescriptor: () => null } as unknown as Connection;
    const errors: Error[] = [];
    const sender = sendfileSender({
      socket: link,
      source,
      options: { transferBatchBytes: 4096, heartbeatIntervalMs: 60_000, idleWaitMs: 10 },
      logger: memoryLogger(),
      clock: systemClock,
      scheduler: realScheduler,
      onError: (e) => errors.push(e),
    });
    sender.start(0);
    await waitUntil(() => errors.length > 0, 'the sender reported the missing descriptor', 5000);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.name).toBe('HaTransferError');
    expect(errors[0]!.message).toContain('no OS file descriptor');
    expect(liveSendfileWorkers()).toBe(0);
    sender.close();
  });
});

/** The server side through the TCP transport (what HaConnection hands a sender), the client a raw socket. */
async function socketPair(): Promise<{ server: Listener; serverSide: Connection; client: Socket }> {
  let onAccepted: (c: Connection) => void = () => {};
  const accepted = new Promise<Connection>((resolve) => (onAccepted = resolve));
  const server = await tcpTransport.listen({ host: '127.0.0.1', port: 0, maxConnections: 1, onConnection: (c) => onAccepted(c) });
  const client = connect(server.port, '127.0.0.1');
  const serverSide = await withDeadline(accepted, 5000, 'loopback accept');
  client.pause();
  return { server, serverSide, client };
}
