import { writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../../src/errors.js';
import { loadStoreConfig } from '../../src/config/load-config.js';
import { collect, configError } from '../helpers/config-errors.js';
import { PropertiesSyntaxError } from '../../src/config/properties-file.js';
import { tempDirs } from '../helpers/temp-dir.js';

const tempDir = tempDirs('mqstore-config-');

function writeConf(text: string): string {
  const path = join(tempDir(), 'broker.conf');
  writeFileSync(path, text);
  return path;
}



const quiet = { warn: () => undefined };

describe('loadStoreConfig: a real-looking broker.conf', () => {
  it('loads with typed values and warns only for the broker-level keys mqstore does not implement', () => {
    const root = join(tempDir(), 'store');
    const file = writeConf(
      [
        '# Licensed to the Apache Software Foundation (ASF) ...',
        'brokerClusterName = DefaultCluster',
        'brokerName = broker-b',
        'brokerId = 0',
        'deleteWhen = 04;16',
        'fileReservedTime = 48',
        'brokerRole = SYNC_MASTER',
        'flushDiskType = SYNC_FLUSH',
        'listenPort=30911',
        'namesrvAddr=192.168.0.2:9876;192.168.0.3:9876',
        'brokerIP1=192.168.0.10',
        `storePathRootDir=${root}`,
        `storePathCommitLog=${root}/commitlog`,
        `storePathConsumeQueue=${root}/consumequeue`,
        `storePathIndex=${root}/index`,
        `storeCheckpoint=${root}/checkpoint`,
        `abortFile=${root}/abort`,
        'mapedFileSizeCommitLog=1073741824',
        'mapedFileSizeConsumeQueue=300000',
        'maxMessageSize=65536',
        'autoCreateTopicEnable=false',
        'autoCreateSubscriptionGroup=true',
        'sendMessageThreadPoolNums=128',
        'useReentrantLockWhenPutMessage=true',
        'waitTimeMillsInSendQueue=200',
        'transientStorePoolEnable=false',
        'diskMaxUsedSpaceRatio=88',
        'slaveReadEnable = true   ',
        '',
      ].join('\n'),
    );
    const { warn, lines } = collect();
    const config = loadStoreConfig({ configFile: file }, { warn });

    expect(config).toMatchObject({
      brokerClusterName: 'DefaultCluster',
      brokerName: 'broker-b',
      brokerId: 0,
      deleteWhen: '04;16',
      fileReservedTime: 48,
      brokerRole: 'SYNC_MASTER',
      flushDiskType: 'SYNC_FLUSH',
      listenPort: 30911,
      haListenPort: 30912,
      adminPort: 30913,
      brokerIP1: '192.168.0.10',
      storePathRootDir: root,
      storePathCommitLog: join(root, 'commitlog'),
      mappedFileSizeCommitLog: 1073741824,
      mappedFileSizeConsumeQueue: 300000,
      maxMessageSize: 65536,
      transientStorePoolEnable: false,
      diskMaxUsedSpaceRatio: 88,
      slaveReadEnable: true,
      autoCreateTopicEnable: false,
      autoCreateSubscriptionGroup: true,
    });
    const warnedKeys = lines.map((l) => /^config key '([^']+)'/.exec(l)?.[1]);
    expect(warnedKeys).toEqual([
      'namesrvAddr',
      'storePathConsumeQueue',
      'storePathIndex',
      'storeCheckpoint',
      'abortFile',
      'sendMessageThreadPoolNums',
      'useReentrantLockWhenPutMessage',
      'waitTimeMillsInSendQueue',
    ]);
    expect(lines[0]).toContain(`set in ${file}:10`);
    expect(lines[0]).toContain('does not implement; it is ignored');
  });

  it('warns, naming what mqstore does instead, for RocketMQ store keys it accepts but does not act on', () => {
    const { warn, lines } = collect();
    const config = loadStoreConfig({ putMessageTimeout: 8000, flushConsumeQueueLeastPages: 2, offsetCheckInSlave: true }, { warn });
    expect(config).not.toHaveProperty('putMessageTimeout');
    expect(lines.map((l) => /^config key '([^']+)'/.exec(l)?.[1])).toEqual(['putMessageTimeout', 'flushConsumeQueueLeastPages', 'offsetCheckInSlave']);
    expect(lines[0]).toMatch(/syncFlushTimeout .*slaveTimeout/);
  });

  it('loads a slave broker.conf', () => {
    const file = writeConf(
      'brokerClusterName=DefaultCluster\nbrokerName=broker-a\nbrokerId=1\nbrokerRole=SLAVE\nflushDiskType=ASYNC_FLUSH\n' +
        'haMasterAddress=10.0.0.5:10912\nlistenPort=10921\n',
    );
    const config = loadStoreConfig({ configFile: file }, quiet);
    expect(config).toMatchObject({ brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '10.0.0.5:10912', haListenPort: 10922 });
  });
});

describe('loadStoreConfig: sources and precedence', () => {
  it('starts from defaults, then the file, then the overrides', () => {
    const file = writeConf('flushDiskType=SYNC_FLUSH\nflushIntervalCommitLog=250\nsyncFlushTimeout=100\n');
    const config = loadStoreConfig({ configFile: file, syncFlushTimeout: 7000, flushDiskType: 'ASYNC_FLUSH' }, quiet);
    expect(config.flushIntervalCommitLog).toBe(250);
    expect(config.syncFlushTimeout).toBe(7000);
    expect(config.flushDiskType).toBe('ASYNC_FLUSH');
    expect(config.flushCommitLogLeastPages).toBe(4);
  });

  it('takes typed values and strings from code; undefined means "not given"', () => {
    const config = loadStoreConfig(
      { listenPort: '20911', checkCRCOnRecover: 'FALSE', flushCommitLogTimed: false, brokerId: 0n, maxMessageSize: undefined },
      quiet,
    );
    expect(config.listenPort).toBe(20911);
    expect(config.checkCRCOnRecover).toBe(false);
    expect(config.flushCommitLogTimed).toBe(false);
    expect(config.brokerId).toBe(0);
    expect(config.maxMessageSize).toBe(4 * 1024 * 1024);
  });

  it('matches enums exactly or case-insensitively', () => {
    const config = loadStoreConfig({ flushDiskType: 'sync_flush', brokerRole: 'Sync_Master', ioBackend: 'NODE', logLevel: 'Warn' }, quiet);
    expect(config).toMatchObject({ flushDiskType: 'SYNC_FLUSH', brokerRole: 'SYNC_MASTER', ioBackend: 'node', logLevel: 'warn' });
  });

  it('accepts the spelling aliases (warmMappedFileEnable, old mapedFileSize* names)', () => {
    const config = loadStoreConfig({ warmMappedFileEnable: true, mapedFileSizeCommitLog: 1 << 24 }, quiet);
    expect(config.warmMapedFileEnable).toBe(true);
    expect(config.mappedFileSizeCommitLog).toBe(1 << 24);
    expect('warmMappedFileEnable' in config).toBe(false);
  });

  it('rounds mappedFileSizeConsumeQueue up to a multiple of 20', () => {
    expect(loadStoreConfig({ mappedFileSizeConsumeQueue: 1001 }, quiet).mappedFileSizeConsumeQueue).toBe(1020);
    expect(loadStoreConfig({ mappedFileSizeConsumeQueue: 20 }, quiet).mappedFileSizeConsumeQueue).toBe(20);
  });

  it('clamps disk ratios the way RocketMQ does, with a warning', () => {
    const { warn, lines } = collect();
    const config = loadStoreConfig({ diskMaxUsedSpaceRatio: 5, diskSpaceWarningLevelRatio: 99 }, { warn });
    expect(config.diskMaxUsedSpaceRatio).toBe(10);
    expect(config.diskSpaceWarningLevelRatio).toBe(90);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/'diskMaxUsedSpaceRatio': 5 is outside \[10, 90\] and is clamped to 10/);
  });

  it('derives storePathCommitLog, haListenPort and adminPort unless set', () => {
    const root = join(tempDir(), 'r');
    expect(loadStoreConfig({ storePathRootDir: root }, quiet)).toMatchObject({
      storePathCommitLog: join(root, 'commitlog'),
      haListenPort: 10912,
      adminPort: 10913,
    });
    expect(loadStoreConfig({ storePathRootDir: root, storePathCommitLog: '/data/cl', haListenPort: 20000, adminPort: 0 }, quiet)).toMatchObject({
      storePathCommitLog: '/data/cl',
      haListenPort: 20000,
      adminPort: 0,
    });
    expect(loadStoreConfig({ listenPort: 0 }, quiet)).toMatchObject({ listenPort: 0, haListenPort: 0, adminPort: 0 });
  });

  it('expands ~ and makes store paths absolute', () => {
    expect(loadStoreConfig({ storePathRootDir: '~/mq' }, quiet).storePathRootDir).toBe(join(homedir(), 'mq'));
    expect(loadStoreConfig({ storePathRootDir: 'rel/dir' }, quiet).storePathRootDir).toBe(join(process.cwd(), 'rel/dir'));
  });

  it('an empty or null value unsets a nullable key (haMasterAddress=)', () => {
    const file = writeConf('haMasterAddress=\n');
    expect(loadStoreConfig({ configFile: file }, quiet).haMasterAddress).toBeNull();
    expect(loadStoreConfig({ haListenPort: null }, quiet).haListenPort).toBe(10912);
  });

  it('returns a frozen object', () => {
    const config = loadStoreConfig({}, quiet);
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { listenPort: number }).listenPort = 1;
    }).toThrow(TypeError);
    expect(config.listenPort).toBe(10911);
  });
});

describe('loadStoreConfig: unknown keys', () => {
  it('names the key and suggests the near miss', () => {
    const e = configError(() => loadStoreConfig({ flushDiskTyp: 'SYNC_FLUSH' }, quiet));
    expect(e.key).toBe('flushDiskTyp');
    expect(e.message).toContain("config key 'flushDiskTyp'");
    expect(e.message).toContain("did you mean 'flushDiskType'?");
    expect(e.message).toContain('set in options');
  });

  it('from a file, says which file and line', () => {
    const file = writeConf('brokerName=a\n\nfileReservedTim=48\n');
    const e = configError(() => loadStoreConfig({ configFile: file }, quiet));
    expect(e.key).toBe('fileReservedTim');
    expect(e.message).toContain(`set in ${file}:3`);
    expect(e.message).toContain("did you mean 'fileReservedTime'?");
  });

  it('suggests for swapped letters and case slips too', () => {
    expect(configError(() => loadStoreConfig({ brokerRloe: 'SLAVE' }, quiet)).message).toContain("'brokerRole'");
    expect(configError(() => loadStoreConfig({ ListenPort: 1 }, quiet)).message).toContain("'listenPort'");
  });

  it('with nothing close, points to the list of keys', () => {
    const e = configError(() => loadStoreConfig({ completelyDifferent: 1 }, quiet));
    expect(e.message).toContain('no known key is close to it');
    expect(e.message).toContain("every key is listed by 'mqstore config'");
    expect(e.message).not.toContain('src/');
  });
});

describe('loadStoreConfig: bad values name the key, the value and what is allowed', () => {
  it('enum', () => {
    const e = configError(() => loadStoreConfig({ flushDiskType: 'FAST_FLUSH' }, quiet));
    expect(e.key).toBe('flushDiskType');
    expect(e.message).toContain('"FAST_FLUSH"');
    expect(e.message).toContain('one of ASYNC_FLUSH | SYNC_FLUSH');
  });

  it('int: not a number, a fraction, hex', () => {
    for (const bad of ['abc', '12.5', '0x10', '', '1e3']) {
      const e = configError(() => loadStoreConfig({ flushIntervalCommitLog: bad }, quiet));
      expect(e.key).toBe('flushIntervalCommitLog');
      expect(e.message).toContain(JSON.stringify(bad));
      expect(e.message).toContain('an integer in [1, 2147483647]');
    }
    expect(configError(() => loadStoreConfig({ listenPort: 1.5 }, quiet)).message).toContain('1.5');
  });

  it('boolean: Java would read "yes" as false; we refuse it', () => {
    const file = writeConf('checkCRCOnRecover=yes\n');
    const e = configError(() => loadStoreConfig({ configFile: file }, quiet));
    expect(e.key).toBe('checkCRCOnRecover');
    expect(e.message).toContain('"yes"');
    expect(e.message).toContain('true or false');
    expect(e.message).toContain(`${file}:1`);
    expect(() => loadStoreConfig({ checkCRCOnRecover: 1 }, quiet)).toThrow(ConfigError);
  });

  it('range', () => {
    const e = configError(() => loadStoreConfig({ listenPort: 70000 }, quiet));
    expect(e.key).toBe('listenPort');
    expect(e.message).toContain('70000');
    expect(e.message).toContain('[0, 65535]');
    expect(configError(() => loadStoreConfig({ haTransferBatchSize: 8 * 1024 * 1024 }, quiet)).message).toContain('[1, 4194304]');
    expect(configError(() => loadStoreConfig({ maxTopicLength: 40000 }, quiet)).message).toContain('[1, 32767]');
    expect(configError(() => loadStoreConfig({ accessMessageInMemoryMaxRatio: 101 }, quiet)).message).toContain('percentage in [0, 100]');
  });

  it('segment size must be a multiple of 4096', () => {
    const e = configError(() => loadStoreConfig({ mappedFileSizeCommitLog: 1_000_000 }, quiet));
    expect(e.message).toContain('a multiple of 4096');
  });

  it('deleteWhen must be hours 0-23 separated by ";"', () => {
    for (const ok of ['04', '4', '04;16', '0;23', '04;']) expect(loadStoreConfig({ deleteWhen: ok }, quiet).deleteWhen).toBe(ok);
    for (const bad of ['24', '4;x', 'four', ';04', '', '04:00']) {
      const e = configError(() => loadStoreConfig({ deleteWhen: bad }, quiet));
      expect(e.message).toContain('hours of the day 0-23 separated by ";"');
    }
  });

  it('haMasterAddress must be host:port', () => {
    for (const bad of ['10.0.0.5', '10.0.0.5:0', 'host:99999', 'a b:10912', ':10912']) {
      const e = configError(() => loadStoreConfig({ haMasterAddress: bad }, quiet));
      expect(e.key).toBe('haMasterAddress');
      expect(e.message).toContain('host:port');
    }
    const slave = { brokerRole: 'SLAVE', brokerId: 2 };
    expect(loadStoreConfig({ ...slave, haMasterAddress: 'master-1.example:10912' }, quiet).haMasterAddress).toBe('master-1.example:10912');
    expect(loadStoreConfig({ ...slave, haMasterAddress: '[::1]:10912' }, quiet).haMasterAddress).toBe('[::1]:10912');
  });

  it('a wrong type from code', () => {
    expect(configError(() => loadStoreConfig({ brokerName: 42 }, quiet)).message).toContain('42');
    expect(configError(() => loadStoreConfig({ flushDiskType: 1 }, quiet)).key).toBe('flushDiskType');
    expect(configError(() => loadStoreConfig({ listenPort: null }, quiet)).key).toBe('listenPort');
    expect(configError(() => loadStoreConfig({ brokerId: 2n ** 60n }, quiet)).message).toContain('1152921504606846976n');
  });

  it('multiple commit log paths are refused', () => {
    expect(configError(() => loadStoreConfig({ storePathCommitLog: '/a/commitlog,/b/commitlog' }, quiet)).message).toContain(
      'multiple commit log paths',
    );
  });
});

describe('loadStoreConfig: unsupported RocketMQ keys', () => {
  it('refuses to turn on a mode mqstore does not have (controller mode) but accepts DLedger, and accepts modes off', () => {
    const dledger = { enableDLegerCommitLog: 'true', dLegerGroup: 'broker-a', dLegerPeers: 'n0-127.0.0.1:40911;n1-127.0.0.1:40912;n2-127.0.0.1:40913', dLegerSelfId: 'n0' };
    expect(loadStoreConfig(dledger, quiet).enableDLegerCommitLog).toBe(true); // DLedger mode exists (src/dledger/)
    expect(() => loadStoreConfig({ enableControllerMode: true }, quiet)).toThrow(/controller mode is not implemented/);
    const { warn, lines } = collect();
    loadStoreConfig({ enableDLegerCommitLog: 'false', dLegerPeers: 'n0-127.0.0.1:40911', storePathDLedgerCommitLog: '/x' }, { warn });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('RocketMQ dledger setting');
  });

  it('warns about the different meaning of inSyncReplicas when RocketMQ 5 replica keys appear', () => {
    const { warn, lines } = collect();
    loadStoreConfig({ totalReplicas: 2 }, { warn });
    expect(lines[0]).toContain('inSyncReplicas counts acking slaves only');
  });
});

describe('loadStoreConfig: file errors', () => {
  it('a malformed file is a PropertiesSyntaxError with the line', () => {
    const file = writeConf('brokerName=a\nbrokerClusterName=\\uZZZZ\n');
    expect(() => loadStoreConfig({ configFile: file }, quiet)).toThrow(PropertiesSyntaxError);
    expect(() => loadStoreConfig({ configFile: file }, quiet)).toThrow(`${file}:2`);
  });

  it('a missing file is an IO error', () => {
    expect(() => loadStoreConfig({ configFile: join(tempDir(), 'nope.conf') }, quiet)).toThrow(expect.objectContaining({ code: ErrorCode.IO }));
  });

  it('configFile must be a path', () => {
    expect(configError(() => loadStoreConfig({ configFile: '' }, quiet)).key).toBe('configFile');
  });

  it('a configFile key inside a file is unknown', () => {
    const file = writeConf('configFile=/etc/other.conf\n');
    expect(configError(() => loadStoreConfig({ configFile: file }, quiet)).key).toBe('configFile');
  });
});
