import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeConfigKeys, loadStoreConfig } from '../../src/config/load-config.js';
import { editDistance, nearMisses } from '../../src/config/near-miss.js';
import { parseConfigValue } from '../../src/config/parse-value.js';
import { DEFAULT_STORE_CONFIG, KEY_ALIASES, STORE_CONFIG_KEYS, specOf } from '../../src/config/store-config.js';
import { KNOWN_UNSUPPORTED_KEYS } from '../../src/config/unsupported-keys.js';
import { parseDeleteWhenHours, parseHostPort } from '../../src/config/value-formats.js';

const quiet = { warn: () => undefined };

describe('defaults', () => {
  it('equal RocketMQ’s (MessageStoreConfig / BrokerConfig / BrokerStartup) for the keys we share', () => {
    const config = loadStoreConfig({}, quiet);
    const rocketmq = {
      storePathRootDir: join(homedir(), 'store'),
      storePathCommitLog: join(homedir(), 'store', 'commitlog'),
      mappedFileSizeCommitLog: 1024 * 1024 * 1024,
      mappedFileSizeConsumeQueue: 300000 * 20,
      maxMessageSize: 1024 * 1024 * 4,
      flushDiskType: 'ASYNC_FLUSH',
      flushIntervalCommitLog: 500,
      flushCommitLogTimed: true,
      flushCommitLogLeastPages: 4,
      flushCommitLogThoroughInterval: 10_000,
      syncFlushTimeout: 5000,
      flushIntervalConsumeQueue: 1000,
      flushConsumerOffsetInterval: 5000,
      transientStorePoolEnable: false,
      transientStorePoolSize: 5,
      commitIntervalCommitLog: 200,
      commitCommitLogLeastPages: 4,
      commitCommitLogThoroughInterval: 200,
      wakeCommitWhenPutMessage: true,
      wakeFlushWhenPutMessage: false,
      warmMapedFileEnable: false,
      checkCRCOnRecover: true,
      readUnCommitted: false,
      maxTransferBytesOnMessageInMemory: 262144,
      maxTransferCountOnMessageInMemory: 32,
      maxTransferBytesOnMessageInDisk: 65536,
      maxTransferCountOnMessageInDisk: 8,
      accessMessageInMemoryMaxRatio: 40,
      slaveReadEnable: false,
      fileReservedTime: 72,
      deleteWhen: '04',
      diskMaxUsedSpaceRatio: 75,
      diskSpaceWarningLevelRatio: 90,
      diskSpaceCleanForciblyRatio: 85,
      cleanFileForciblyEnable: false,
      cleanResourceInterval: 10_000,
      deleteFileBatchMax: 10,
      brokerRole: 'ASYNC_MASTER',
      brokerClusterName: 'DefaultCluster',
      brokerId: 0,
      listenPort: 10911,
      haListenPort: 10912,
      haMasterAddress: null,
      haSendHeartbeatInterval: 5000,
      haHousekeepingInterval: 20_000,
      haTransferBatchSize: 32 * 1024,
      haMaxGapNotInSync: 256 * 1024 * 1024,
      haSlaveFallbehindMax: 256 * 1024 * 1024,
      slaveTimeout: 3000,
      inSyncReplicas: 1,
    };
    expect(config).toMatchObject(rocketmq);
  });

  it('mqstore-only keys and our documented differences', () => {
    expect(loadStoreConfig({}, quiet)).toMatchObject({
      adminPort: 10913,
      brokerName: 'broker-a',
      brokerIP1: '127.0.0.1',
      maxTopicLength: 127,
      maxQueueId: 1023,
      ioBackend: 'auto',
      commitMode: 'pwrite',
      flushServiceInWorker: true,
      emulateDevice: 'none',
      logLevel: 'info',
      checkCRCOnRead: true,
    });
    const differing = describeConfigKeys()
      .filter((row) => row.rocketmqDefault !== undefined)
      .map((row) => row.key);
    expect(differing.sort()).toEqual([
      'brokerIP1',
      'brokerName',
      'cleanFileForciblyEnable',
      'grpcServerPort',
      // DLedger timing: faster failover than DLedger's 6 s detection (store-config.ts says why)
      'heartBeatTimeIntervalMs',
      'inSyncReplicas',
      'maxBatchPushSize',
      'maxPushTimeOutMs',
      'maxTopicLength',
      'maxVoteIntervalMs',
      'minVoteIntervalMs',
    ]);
  });

  it('every default passes its own spec, as a string and as a typed value', () => {
    for (const key of STORE_CONFIG_KEYS) {
      const spec = specOf(key);
      if (spec.default === null) continue;
      const fail = (m: string): never => {
        throw new Error(m);
      };
      expect(parseConfigValue(key, spec, String(spec.default), 'test', fail), key).toBe(spec.default);
      expect(parseConfigValue(key, spec, spec.default, 'test', fail), key).toBe(spec.default);
    }
  });

  it('the table is well formed: docs, min <= default <= max, derived defaults described', () => {
    for (const key of STORE_CONFIG_KEYS) {
      const spec = specOf(key);
      expect(spec.doc.length, key).toBeGreaterThan(10);
      if (spec.type === 'int' || spec.type === 'long' || spec.type === 'percent') {
        expect(spec.min, key).toBeLessThanOrEqual(spec.max);
        if (spec.default === null) expect(spec.derived, key).toBeDefined();
        else expect(spec.default >= spec.min && spec.default <= spec.max, key).toBe(true);
        if (spec.type === 'int') expect(spec.max, key).toBeLessThanOrEqual(2 ** 31 - 1);
      }
    }
  });

  it('supported keys, aliases and unsupported keys do not overlap', () => {
    const supported = new Set<string>(STORE_CONFIG_KEYS);
    for (const alias of KEY_ALIASES.keys()) expect(supported.has(alias), alias).toBe(false);
    const unsupported = KNOWN_UNSUPPORTED_KEYS.map((u) => u.key);
    expect(new Set(unsupported).size).toBe(unsupported.length);
    for (const key of unsupported) {
      expect(supported.has(key), key).toBe(false);
      expect(KEY_ALIASES.has(key), key).toBe(false);
    }
  });
});

describe('describeConfigKeys', () => {
  it('has one row per key with type, default, allowed and doc', () => {
    const rows = describeConfigKeys();
    expect(rows.map((r) => r.key)).toEqual([...STORE_CONFIG_KEYS]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    expect(byKey.get('flushDiskType')).toMatchObject({ type: 'enum', default: 'ASYNC_FLUSH', allowed: 'one of ASYNC_FLUSH | SYNC_FLUSH' });
    expect(byKey.get('haListenPort')).toMatchObject({ type: 'int', default: '(derived: listenPort + 1)', unit: 'port' });
    expect(byKey.get('haMasterAddress')?.default).toBe('(unset)');
    expect(byKey.get('warmMapedFileEnable')?.aliases).toEqual(['warmMappedFileEnable']);
    expect(byKey.get('mappedFileSizeConsumeQueue')?.allowed).toContain('rounded up to a multiple of 20');
    expect(Object.keys(DEFAULT_STORE_CONFIG)).toHaveLength(rows.length);
  });
});

describe('value formats', () => {
  it('parseDeleteWhenHours', () => {
    expect(parseDeleteWhenHours('04')).toEqual([4]);
    expect(parseDeleteWhenHours(' 04 ; 16 ')).toEqual([4, 16]);
    expect(parseDeleteWhenHours('04;')).toEqual([4]);
    expect(parseDeleteWhenHours('24')).toBeUndefined();
    expect(parseDeleteWhenHours('')).toBeUndefined();
    expect(parseDeleteWhenHours('4;;5')).toBeUndefined();
  });

  it('parseHostPort', () => {
    expect(parseHostPort('10.0.0.1:10912')).toEqual({ host: '10.0.0.1', port: 10912 });
    expect(parseHostPort('broker-1.example.com:1')).toEqual({ host: 'broker-1.example.com', port: 1 });
    expect(parseHostPort('[fe80::1]:10912')).toEqual({ host: 'fe80::1', port: 10912 });
    for (const bad of ['host', 'host:', ':1', 'host:65536', 'fe80::1:10912', '[nothex]:1', '-bad-:1']) expect(parseHostPort(bad), bad).toBeUndefined();
  });
});

describe('near misses', () => {
  it('edit distance counts insert, delete, substitute and adjacent swap as 1, ignoring case', () => {
    expect(editDistance('flushDiskTyp', 'flushDiskType')).toBe(1);
    expect(editDistance('flushDiskTypee', 'flushDiskType')).toBe(1);
    expect(editDistance('flushDiskTipe', 'flushDiskType')).toBe(1);
    expect(editDistance('brokerRloe', 'brokerRole')).toBe(1);
    expect(editDistance('LISTENPORT', 'listenPort')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('nearMisses keeps distance <= 2, nearest first', () => {
    expect(nearMisses('haListenPrt', STORE_CONFIG_KEYS)).toEqual(['haListenPort']);
    expect(nearMisses('xyz', STORE_CONFIG_KEYS)).toEqual([]);
  });
});
