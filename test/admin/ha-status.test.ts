// The HA status contract (normalizeHaStatus), transfer rates, and the RocketMQ-style printers,
// on synthetic statuses: every branch without processes.
import { describe, expect, it } from 'vitest';
import { AdminErrorCode } from '../../src/admin/admin-error.js';
import { brokerStatusTable, formatBrokerStatus, formatRuntime, humanReadableByteCount } from '../../src/admin/format-broker-status.js';
import { formatHaStatus } from '../../src/admin/format-ha-status.js';
import { haServiceProvider, noHaProvider, normalizeHaStatus, type HaStatus } from '../../src/admin/ha-status-provider.js';
import type { NodeStatus } from '../../src/admin/node-status.js';
import { withTransferRates } from '../../src/admin/transfer-rate.js';

const MASTER_RAW = {
  role: 'SYNC_MASTER',
  listenPort: 10912,
  masterMaxOffset: 5000,
  replicatedOffset: 4000,
  slaves: [
    { address: '10.0.0.2:40000', ackedOffset: 5000, lagBytes: 0, transferredBytes: 5000, inSync: true },
    { address: '10.0.0.3:40001', ackedOffset: 1000, lagBytes: 4000, transferredBytes: 1200, inSync: false, extra: 'dropped' },
  ],
};
const SLAVE_RAW = { role: 'SLAVE', masterAddress: '10.0.0.1:10912', connected: true, slaveMaxOffset: 900, masterMaxOffset: 1000, lagBytes: 100, lastError: null };

function status(ha: HaStatus | null, over: Partial<NodeStatus> = {}): NodeStatus {
  return {
    brokerClusterName: 'C',
    brokerName: 'b',
    brokerId: 0,
    brokerAddr: '10.0.0.1:10911',
    haMasterAddress: null,
    storePathRootDir: '/s',
    storePathCommitLog: '/s/commitlog',
    mappedFileSizeCommitLog: 1 << 30,
    pid: 1,
    version: '0.1.0',
    bootTimestamp: 0,
    adminPort: 10913,
    haPort: 10912,
    brokerRole: 'SYNC_MASTER',
    ioBackend: 'node',
    writeMode: 'buffer',
    persistencePlacement: 'worker',
    flushDiskType: 'ASYNC_FLUSH',
    transientStorePoolEnable: false,
    transientStorePoolAvailable: null,
    minPhyOffset: 0,
    maxPhyOffset: 5000,
    wroteOffset: 5000,
    committedOffset: 5000,
    flushedOffset: 3464,
    commitBehindBytes: 0,
    flushBehindBytes: 1536,
    dispatchBehindMessages: 0,
    putMessageTimesTotal: 10,
    putTps: 12.345,
    diskFull: false,
    serviceFailure: null,
    lastRecovery: null,
    uptimeMs: 90_061_000,
    haService: ha ? 'running' : 'none',
    haNote: ha ? null : 'disabled with --no-ha',
    ha,
    ...over,
  } as NodeStatus;
}

describe('normalizeHaStatus', () => {
  it('reads a master status (slaves[]) and a slave status (masterAddress), dropping unknown fields', () => {
    const m = normalizeHaStatus(MASTER_RAW);
    expect(m).toMatchObject({ kind: 'master', role: 'SYNC_MASTER', listenPort: 10912, masterMaxOffset: 5000, replicatedOffset: 4000 });
    expect(m.kind === 'master' && m.slaves[1]).toEqual({ address: '10.0.0.3:40001', ackedOffset: 1000, lagBytes: 4000, transferredBytes: 1200, inSync: false });
    expect(normalizeHaStatus(SLAVE_RAW)).toEqual({ ...SLAVE_RAW, kind: 'slave' });
  });

  it('refuses a status that does not have the documented shape, with a stable code', () => {
    for (const bad of [null, 7, { role: 'X' }, { ...MASTER_RAW, masterMaxOffset: 'x' }, { ...MASTER_RAW, slaves: [{ ackedOffset: 1 }] }]) {
      expect(() => normalizeHaStatus(bad)).toThrow(expect.objectContaining({ code: AdminErrorCode.BAD_HA_STATUS }));
    }
  });

  it('haServiceProvider passes port, promote (with or without a role) and close through', async () => {
    const calls: unknown[][] = [];
    let closed = false;
    const p = haServiceProvider({
      port: 1234,
      status: () => MASTER_RAW,
      promote: async (...args: unknown[]) => {
        calls.push(args);
      },
      close: async () => {
        closed = true;
      },
    } as never);
    expect(p.haPort()).toBe(1234);
    await p.promote!();
    await p.promote!('SYNC_MASTER');
    expect(calls).toEqual([[], ['SYNC_MASTER']]);
    await p.close();
    expect(closed).toBe(true);
    const none = noHaProvider('why');
    expect([none.kind, none.status(), none.haPort(), none.promote]).toEqual(['none', null, null, undefined]);
  });
});

describe('withTransferRates', () => {
  it('bytes per second per slave between two samples; a reset counter starts over; gone slaves are forgotten', async () => {
    let now = 0;
    let raw: typeof MASTER_RAW = MASTER_RAW;
    const p = withTransferRates(haServiceProvider({ status: () => raw, close: async () => {} }), { intervalMs: 1e9, nowMs: () => now });
    p.sampleNow();
    now = 500;
    raw = { ...MASTER_RAW, slaves: [{ ...MASTER_RAW.slaves[0]!, transferredBytes: 5000 + 2048 }, { ...MASTER_RAW.slaves[1]!, transferredBytes: 10 }] };
    p.sampleNow();
    const s = p.status();
    expect(s?.kind === 'master' && s.slaves.map((x) => x.transferredBytesPerSecond)).toEqual([4096, 0]);
    raw = { ...MASTER_RAW, slaves: [] };
    p.sampleNow();
    raw = MASTER_RAW;
    expect(p.status()?.kind === 'master' && (p.status() as { slaves: { transferredBytesPerSecond?: number }[] }).slaves[0]!.transferredBytesPerSecond).toBe(0);
    await p.close();
  });
});

describe('brokerStatus text', () => {
  it('`%-32s: %s` rows in key order with RocketMQ names and formats', () => {
    const text = formatBrokerStatus(status(normalizeHaStatus(MASTER_RAW)));
    const lines = text.split('\n');
    expect(lines[0]).toBe(`${'bootTimestamp'.padEnd(32)}: 0`);
    expect(text).toContain(`${'commitLogMaxOffset'.padEnd(32)}: 5000\n`);
    expect(text).toContain(`${'remainHowManyDataToFlush'.padEnd(32)}: 1.5 KiB\n`);
    expect(text).toContain(`${'remainTransientStoreBufferNumbs'.padEnd(32)}: 2147483647\n`);
    expect(text).toContain(`${'runtime'.padEnd(32)}: [ 1 days, 1 hours, 1 minutes, 1 seconds ]\n`);
    expect(text).toContain(`${'putTps'.padEnd(32)}: 12.35\n`);
    const keys = brokerStatusTable(status(null)).map(([k]) => k);
    expect(keys).toEqual([...keys].sort());
    expect(keys).not.toContain('remainHowManyDataToCommit');
    const tsp = brokerStatusTable(status(null, { transientStorePoolEnable: true, transientStorePoolAvailable: 3, commitBehindBytes: 10 }));
    expect(Object.fromEntries(tsp)).toMatchObject({ remainHowManyDataToCommit: '10 B', remainTransientStoreBufferNumbs: '3', haService: 'none (disabled with --no-ha)' });
  });

  it('humanReadableByteCount and formatRuntime follow RocketMQ', () => {
    expect([0, 1023, 1024, 1536, 5 * 2 ** 30].map(humanReadableByteCount)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '5.0 GiB']);
    expect(formatRuntime(59_999)).toBe('[ 0 days, 0 hours, 0 minutes, 59 seconds ]');
  });
});

describe('haStatus text', () => {
  it('master: the header lines, then one fixed-width row per slave (OK / Fall Behind)', () => {
    const ha = normalizeHaStatus(MASTER_RAW);
    if (ha.kind === 'master') ha.slaves[0]!.transferredBytesPerSecond = 2048;
    const lines = formatHaStatus(status(ha)).split('\n');
    expect(lines.slice(0, 5)).toEqual(['', '#MasterAddr\t10.0.0.1:10911', '#MasterCommitLogMaxOffset\t5000', '#SlaveNum\t2', '#InSyncSlaveNum\t1']);
    expect(lines[5]).toBe(
      `${'#SlaveAddr'.padEnd(32)}  ${'#SlaveAckOffset'.padEnd(16)} ${'#Diff'.padStart(16)} ${'#TransferSpeed(KB/s)'.padStart(16)} ${'#Status'.padStart(16)} ${'#TransferFromWhere'.padStart(16)}`,
    );
    expect(lines[6]).toBe(`${'10.0.0.2:40000'.padEnd(32)}  ${'5000'.padEnd(16)} ${'0'.padStart(16)} ${'2.00'.padStart(16)} ${'OK'.padStart(16)} ${'-'.padStart(16)}`);
    expect(lines[7]).toMatch(/^10\.0\.0\.3:40001 +1000 +4000 +0\.00 +Fall Behind +-$/);
  });

  it('slave: RocketMQ slave lines plus #Connected and #Diff', () => {
    const text = formatHaStatus(status(normalizeHaStatus({ ...SLAVE_RAW, lastReadTimestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }), { brokerRole: 'SLAVE' }));
    expect(text).toContain('#MasterAddr\t10.0.0.1:10912\n#CommitLogMaxOffset\t900\n#TransferSpeed(KB/s)\t-\n');
    expect(text).toMatch(/#LastReadTime\t2026-01-0\d \d\d:04:05,006\n#LastWriteTime\t-\n#MasterFlushOffset\t1000\n#Connected\ttrue\n#Diff\t100$/);
  });

  it('no HA service: says so, for a master and for a slave', () => {
    expect(formatHaStatus(status(null))).toMatch(/#SlaveNum\t0\n#InSyncSlaveNum\t0\n#HAService\tnot running \(disabled with --no-ha\)$/);
    const slave = formatHaStatus(status(null, { brokerRole: 'SLAVE', haMasterAddress: '10.0.0.1:10912' }));
    expect(slave).toContain('#MasterAddr\t10.0.0.1:10912\n#CommitLogMaxOffset\t5000\n#Connected\tfalse\n#HAService\tnot running');
  });
});
