// The HA client on simulated time: a ManualClock + ManualScheduler and a scripted in-test
// Connection (no sockets, no real waiting). Shows that the keep-alive report, the housekeeping
// timeout, the connect timeout and the reconnect back-off (doubling to its cap, jittered by the
// injected random source, reset only by real progress: bytes appended and acknowledged, or a
// connection that stayed up a housekeeping interval) all happen at exact simulated moments, that
// drop lines are rate-limited with counts, that a master whose data the store keeps refusing
// stops the client with the reason, and that the status timestamps are the injected clock's
// wall time.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { HaClient, type ReplicaLog } from '../../src/ha/ha-client.js';
import { ORIGIN_EPOCH, type EpochEntry } from '../../src/ha/epoch-history.js';
import { encodeEpochFrame, encodeFrameHeader, HA_REPORT_BYTES } from '../../src/ha/ha-protocol.js';
import type { Connection, Transport } from '../../src/net/transport.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/logger.js';
import { ManualScheduler, type Scheduler } from '../../src/util/scheduler.js';
import { JITTER_FRACTION } from '../../src/ha/reconnect-backoff.js';
import { MAX_DATA_REFUSALS } from '../../src/ha/ha-client.js';
import { Rng } from '../sim/rng.js';

/** A scripted link: the test emits the peer's side; writes are recorded; 'close' follows
 * destroy() on the scheduler's next turn, as on a real socket. */
class ScriptedLink extends EventEmitter implements Connection {
  readonly remoteAddress = '127.0.0.1:10912';
  readonly writableLength = 0;
  readonly writableNeedDrain = false;
  destroyed = false;
  readonly written: Buffer[] = [];

  constructor(private readonly scheduler: Scheduler) {
    super();
  }

  write(bytes: Uint8Array): boolean {
    this.written.push(Buffer.from(bytes));
    return true;
  }

  cork(): void {}

  uncork(): void {}

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.scheduler.soon(() => this.emit('close'));
  }

  fileDescriptor(): null {
    return null;
  }

  /** The offsets of the 8-byte reports written so far. */
  reports(): number[] {
    const all = Buffer.concat(this.written);
    const out: number[] = [];
    for (let at = 0; at + HA_REPORT_BYTES <= all.byteLength; at += HA_REPORT_BYTES) out.push(Number(all.readBigInt64BE(at)));
    return out;
  }
}

function emptyLog(): ReplicaLog {
  let epochs: readonly EpochEntry[] = [ORIGIN_EPOCH];
  return {
    maxOffset: () => 0,
    append: () => ({ status: 'PUT_OK', maxOffset: 0 }),
    ackableOffset: () => 0,
    whenAckable: () => Promise.resolve(),
    epochs: () => epochs,
    adoptEpochs: (entries) => {
      epochs = entries;
    },
  };
}

const OPTIONS = {
  host: '127.0.0.1',
  port: 10912,
  heartbeatIntervalMs: 1000,
  housekeepingIntervalMs: 5000,
  transferBatchBytes: 4096,
  segmentBytes: 1 << 20,
  connectTimeoutMs: 3000,
  backoffMinMs: 100,
  backoffMaxMs: 400,
};

/** A log that takes every append (or refuses all with `refuse`), acknowledging what it holds. */
function appendingLog(refuse: string | null = null): ReplicaLog & { end: number } {
  const log = {
    ...emptyLog(),
    end: 0,
    maxOffset: () => log.end,
    ackableOffset: () => log.end,
    append: (offset: number, bytes: Uint8Array) => {
      if (refuse !== null) return { status: 'INVALID_DATA', maxOffset: log.end, reason: refuse };
      log.end = offset + bytes.byteLength;
      return { status: 'PUT_OK', maxOffset: log.end };
    },
  };
  return log;
}

function setup(random: () => number = () => 0, log: ReplicaLog = emptyLog()) {
  const clock = new ManualClock();
  const scheduler = new ManualScheduler(clock);
  const links: ScriptedLink[] = [];
  const connectedAtMs: number[] = [];
  const transport: Transport = {
    kind: 'scripted',
    connect: () => {
      const link = new ScriptedLink(scheduler);
      links.push(link);
      connectedAtMs.push(clock.monotonicMs());
      return link;
    },
    listen: () => Promise.reject(new Error('the client never listens')),
  };
  const logger = memoryLogger();
  const client = new HaClient(log, OPTIONS, logger, { transport, clock, scheduler, random });
  /** The master side of a connection: accept, send the epoch frame. */
  const accept = (link: ScriptedLink, masterMaxOffset = 0): void => {
    link.emit('connect');
    link.emit('data', encodeEpochFrame({ masterMaxOffset, entries: [ORIGIN_EPOCH] }));
  };
  return { clock, scheduler, links, connectedAtMs, client, logger, accept };
}

describe('HaClient on a manual clock and scheduler', () => {
  it('keep-alive reports every heartbeatIntervalMs, drops a silent master at exactly haHousekeepingInterval, then backs off', async () => {
    const { clock, scheduler, links, connectedAtMs, client, logger, accept } = setup();
    const t0 = clock.nowMs();
    client.start();
    expect(links).toHaveLength(1);
    accept(links[0]!);
    expect(links[0]!.reports()).toEqual([0]); // the first report says where to resume
    expect(client.status()).toMatchObject({ state: 'connected', lastReadTimestamp: t0, lastWriteTimestamp: t0 });

    scheduler.advance(999);
    expect(links[0]!.reports()).toHaveLength(1);
    scheduler.advance(1);
    expect(links[0]!.reports()).toEqual([0, 0]); // keep-alive at 1000 ms
    expect(client.status().lastWriteTimestamp).toBe(t0 + 1000);

    scheduler.advance(3999); // t = 4999: silent for 4999 ms, still connected
    expect(links[0]!.destroyed).toBe(false);
    expect(links[0]!.reports()).toHaveLength(5);
    scheduler.advance(1); // t = 5000
    expect(links[0]!.destroyed).toBe(true);
    expect(client.status()).toMatchObject({ state: 'backoff', lastReadTimestamp: t0 });
    expect(client.status().lastError).toBe('nothing from the master for 5000 ms (haHousekeepingInterval=5000)');
    expect(logger.lines.some((l) => l.includes('retrying in 100 ms'))).toBe(true);

    scheduler.advance(99);
    expect(links).toHaveLength(1);
    scheduler.advance(1);
    expect(links).toHaveLength(2);
    expect(connectedAtMs).toEqual([0, 5100]);
    const closed = client.close();
    scheduler.advance(0); // the link's 'close'
    await closed;
    expect(client.status().state).toBe('stopped');
    expect(scheduler.size).toBe(0); // no timer left behind
  });

  it('connect timeouts and refusals double the back-off up to its cap; a valid frame alone does not reset it, a connection up for a housekeeping interval does', async () => {
    const { scheduler, links, connectedAtMs, client, accept } = setup();
    client.start();
    // 1: never answers -> connect timeout after 3000 ms, retry in 100
    scheduler.advance(3000);
    expect(links[0]!.destroyed).toBe(true);
    expect(client.status().lastError).toBe('connect timed out after 3000 ms');
    scheduler.advance(100);
    // 2, 3, 4: refused at once -> retries in 200, 400, 400 (the cap)
    for (const backoffMs of [200, 400, 400]) {
      const link = links[links.length - 1]!;
      link.emit('error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:10912'), { code: 'ECONNREFUSED' }));
      link.destroy();
      const before = links.length;
      scheduler.advance(backoffMs - 1);
      expect(links).toHaveLength(before);
      scheduler.advance(1);
      expect(links).toHaveLength(before + 1);
    }
    expect(connectedAtMs).toEqual([0, 3100, 3300, 3700, 4100]);
    // 5: accepted, a valid heartbeat, then a frame at the wrong offset: no progress, still the cap
    let link = links[4]!;
    accept(link);
    link.emit('data', encodeFrameHeader(0, 0));
    link.emit('data', encodeFrameHeader(4096, 0));
    expect(link.destroyed).toBe(true);
    expect(client.status()).toMatchObject({ state: 'backoff', reconnectDelayMs: 400, consecutiveFailures: 5 });
    scheduler.advance(400);
    expect(connectedAtMs).toEqual([0, 3100, 3300, 3700, 4100, 4500]);
    // 6: accepted, heartbeats only, silent after: up for 5000 ms = haHousekeepingInterval, which
    // counts as a healthy connection: back in 100
    link = links[5]!;
    accept(link);
    link.emit('data', encodeFrameHeader(0, 0));
    scheduler.advance(5000);
    expect(link.destroyed).toBe(true);
    scheduler.advance(100);
    expect(connectedAtMs).toEqual([0, 3100, 3300, 3700, 4100, 4500, 9600]);
    const closed = client.close();
    scheduler.advance(0);
    await closed;
  });

  it('seeded jitter: delays grow, stay under the cap, differ from the bare base; reset only after bytes were appended and acknowledged', async () => {
    const rng = Rng.fromSeed(14);
    const log = appendingLog();
    const { scheduler, links, connectedAtMs, client, accept } = setup(() => rng.float(), log);
    client.start();
    const gaps: number[] = [];
    const refuseOnce = (): void => {
      const link = links[links.length - 1]!;
      link.emit('error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      link.destroy();
      const before = links.length;
      const from = connectedAtMs[connectedAtMs.length - 1]!;
      for (let guard = 0; links.length === before && guard < 10_000; guard++) scheduler.advance(1);
      gaps.push(connectedAtMs[connectedAtMs.length - 1]! - from);
    };
    for (let i = 0; i < 8; i++) refuseOnce();
    const bases = [100, 200, 400, 400, 400, 400, 400, 400];
    gaps.forEach((gap, i) => {
      expect(gap).toBeLessThanOrEqual(bases[i]!);
      expect(gap).toBeGreaterThanOrEqual(Math.floor(bases[i]! * (1 - JITTER_FRACTION)));
    });
    expect(gaps.filter((g, i) => g !== bases[i]).length).toBeGreaterThan(4); // jittered
    expect(new Set(gaps.slice(3)).size).toBeGreaterThan(1); // capped delays still spread

    // a connection that only gets valid headers: no reset (still at the cap)
    let link = links[links.length - 1]!;
    accept(link, 1000);
    link.emit('data', encodeFrameHeader(0, 0));
    link.emit('error', new Error('read ECONNRESET'));
    expect(client.status().reconnectDelayMs).toBeGreaterThanOrEqual(200);
    scheduler.advance(400);
    // bytes appended and acknowledged: the next delay is back at the minimum
    link = links[links.length - 1]!;
    accept(link, 1000);
    link.emit('data', Buffer.concat([encodeFrameHeader(0, 64), Buffer.alloc(64, 7)]));
    scheduler.advance(0); // the acknowledgement turn
    expect(log.end).toBe(64);
    expect(link.reports()).toEqual([0, 64]);
    link.emit('error', new Error('read ECONNRESET'));
    expect(client.status().consecutiveFailures).toBe(1);
    expect(client.status().reconnectDelayMs).toBeLessThanOrEqual(100);
    const closed = client.close();
    scheduler.advance(0);
    await closed;
  });

  it('a master whose data the store keeps refusing: rate-limited drop lines, then the client stops with the reason', async () => {
    const { scheduler, links, client, logger, accept } = setup(() => 0, appendingLog('body CRC mismatch: stored 1, computed 2'));
    client.start();
    for (let i = 0; i < MAX_DATA_REFUSALS; i++) {
      const link = links[links.length - 1]!;
      accept(link, 1000);
      link.emit('data', Buffer.concat([encodeFrameHeader(0, 64), Buffer.alloc(64, 7)]));
      expect(link.destroyed).toBe(true);
      scheduler.advance(client.status().reconnectDelayMs);
    }
    expect(links).toHaveLength(MAX_DATA_REFUSALS);
    const s = client.status();
    expect(s.state).toBe('failed');
    expect(s.lastError).toContain('INVALID_DATA (body CRC mismatch: stored 1, computed 2)');
    expect(s.lastError).toContain(`refused ${MAX_DATA_REFUSALS} times in a row at offset 0`);
    const drops = logger.lines.filter((l) => l.includes('disconnected from master'));
    expect(drops.length).toBeLessThan(MAX_DATA_REFUSALS); // the repeats were counted, not written
    expect(drops.some((l) => /\[\d+ similar suppressed/.test(l))).toBe(true);
    expect(logger.lines.filter((l) => l.includes('replication stopped'))).toHaveLength(1);
    scheduler.advance(60_000);
    expect(links).toHaveLength(MAX_DATA_REFUSALS); // no reconnect after it stopped
    await client.close();
  });
});
