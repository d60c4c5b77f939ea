import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { collect, configError } from '../helpers/config-errors.js';

const quiet = { warn: () => undefined };



const SLAVE = { brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '127.0.0.1:10912' } as const;

describe('cross-key rules: roles', () => {
  it('a SLAVE needs haMasterAddress', () => {
    const e = configError(() => loadStoreConfig({ brokerRole: 'SLAVE', brokerId: 1 }, quiet));
    expect(e.key).toBe('haMasterAddress');
    expect(e.message).toContain('required when brokerRole is SLAVE');
  });

  it('a SLAVE needs brokerId > 0', () => {
    const e = configError(() => loadStoreConfig({ ...SLAVE, brokerId: 0 }, quiet));
    expect(e.key).toBe('brokerId');
    expect(e.message).toContain('> 0 when brokerRole is SLAVE');
  });

  it('a master needs brokerId 0', () => {
    for (const brokerRole of ['ASYNC_MASTER', 'SYNC_MASTER']) {
      const e = configError(() => loadStoreConfig({ brokerRole, brokerId: 2 }, quiet));
      expect(e.key).toBe('brokerId');
      expect(e.message).toContain(`0 when brokerRole is ${brokerRole}`);
    }
  });

  it('haMasterAddress on a master is ignored with a warning', () => {
    const { warn, lines } = collect();
    const config = loadStoreConfig({ haMasterAddress: '10.0.0.1:10912' }, { warn });
    expect(config.haMasterAddress).toBe('10.0.0.1:10912');
    expect(lines).toEqual([expect.stringContaining("'haMasterAddress' (10.0.0.1:10912) is ignored")]);
  });
});

describe('cross-key rules: TransientStorePool (RocketMQ 5 rule: on unless SLAVE)', () => {
  it('is turned off on a SLAVE, with a warning', () => {
    const { warn, lines } = collect();
    expect(loadStoreConfig({ ...SLAVE, transientStorePoolEnable: true }, { warn }).transientStorePoolEnable).toBe(false);
    expect(lines).toEqual([expect.stringContaining('a SLAVE never uses the TransientStorePool')]);
  });

  it('stays on for masters, under ASYNC_FLUSH and SYNC_FLUSH', () => {
    const small = { mappedFileSizeCommitLog: 1 << 24, maxMessageSize: 1 << 20 };
    for (const flushDiskType of ['ASYNC_FLUSH', 'SYNC_FLUSH']) {
      expect(loadStoreConfig({ ...small, transientStorePoolEnable: true, flushDiskType }, quiet).transientStorePoolEnable).toBe(true);
    }
  });

  it('warns when the pool would take more than half of RAM', () => {
    const { warn, lines } = collect();
    loadStoreConfig({ transientStorePoolEnable: true, transientStorePoolSize: 64, mappedFileSizeCommitLog: 2 ** 31 - 4096 }, { warn });
    expect(lines.some((l) => l.includes('more than half'))).toBe(true);
  });
});

describe('cross-key rules: sizes', () => {
  it('a CommitLog segment must hold the largest record plus the end-of-file blank', () => {
    const e = configError(() => loadStoreConfig({ mappedFileSizeCommitLog: 1 << 20 }, quiet));
    expect(e.key).toBe('mappedFileSizeCommitLog');
    expect(e.message).toContain(`>= maxMessageSize + 64 KiB + 8 = ${4 * 1024 * 1024 + 65536 + 8}`);
    expect(() => loadStoreConfig({ mappedFileSizeCommitLog: 69632, maxMessageSize: 4096 }, quiet)).toThrow(ConfigError);
    expect(loadStoreConfig({ mappedFileSizeCommitLog: 73728, maxMessageSize: 4096 }, quiet).mappedFileSizeCommitLog).toBe(73728);
  });
});

describe('cross-key rules: disk ratios', () => {
  it('diskSpaceWarningLevelRatio >= diskMaxUsedSpaceRatio', () => {
    const e = configError(() => loadStoreConfig({ diskSpaceWarningLevelRatio: 86, diskMaxUsedSpaceRatio: 88 }, quiet));
    expect(e.key).toBe('diskSpaceWarningLevelRatio');
    expect(e.message).toContain('>= diskMaxUsedSpaceRatio (88)');
  });

  it('diskMaxUsedSpaceRatio 95 (RocketMQ allows it) is clamped to 90, not refused (issue 14: its doc said up to 95)', () => {
    const lines: string[] = [];
    expect(loadStoreConfig({ diskMaxUsedSpaceRatio: 95 }, { warn: (m) => lines.push(m) }).diskMaxUsedSpaceRatio).toBe(90);
    expect(lines.join('\n')).toMatch(/'diskMaxUsedSpaceRatio': 95 is outside \[10, 90\] and is clamped to 90, because it must not exceed diskSpaceWarningLevelRatio/);
  });

  it('diskSpaceWarningLevelRatio >= diskSpaceCleanForciblyRatio', () => {
    const e = configError(() => loadStoreConfig({ diskSpaceWarningLevelRatio: 80, diskMaxUsedSpaceRatio: 70 }, quiet));
    expect(e.message).toContain('>= diskSpaceCleanForciblyRatio (85)');
    expect(loadStoreConfig({ diskSpaceWarningLevelRatio: 80, diskMaxUsedSpaceRatio: 70, diskSpaceCleanForciblyRatio: 80 }, quiet).diskSpaceWarningLevelRatio).toBe(80);
  });
});

describe('cross-key rules: ports', () => {
  it('listenPort, haListenPort and adminPort must differ (0 excepted)', () => {
    expect(configError(() => loadStoreConfig({ haListenPort: 10911 }, quiet)).message).toContain('different from listenPort (10911)');
    expect(configError(() => loadStoreConfig({ adminPort: 10912 }, quiet)).message).toContain('different from haListenPort (10912)');
    expect(loadStoreConfig({ listenPort: 0, haListenPort: 0, adminPort: 0 }, quiet).adminPort).toBe(0);
  });

  it('a derived port past 65535 asks for the port to be set', () => {
    const e = configError(() => loadStoreConfig({ listenPort: 65535 }, quiet));
    expect(e.key).toBe('haListenPort');
    expect(e.message).toContain('set haListenPort');
    expect(loadStoreConfig({ listenPort: 65535, haListenPort: 65534, adminPort: 65533 }, quiet).haListenPort).toBe(65534);
  });
});

describe('cross-key rules: commitMode', () => {
  it("'direct' needs the native backend", () => {
    const e = configError(() => loadStoreConfig({ commitMode: 'direct', ioBackend: 'node' }, quiet));
    expect(e.key).toBe('commitMode');
    expect(e.message).toContain("'pwrite' when ioBackend is 'node'");
  });

  it("'direct' without the pool warns that it has no effect", () => {
    const { warn, lines } = collect();
    loadStoreConfig({ commitMode: 'direct' }, { warn });
    expect(lines).toEqual([expect.stringContaining('has no effect')]);
  });
});
