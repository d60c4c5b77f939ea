// Rules that involve more than one key, applied after every key has been parsed on its own:
// fills the derived defaults (storePathCommitLog, haListenPort, adminPort), applies RocketMQ's
// TransientStorePool enabling rule, and rejects combinations that cannot work.
//
// Rules (error = ConfigError, warn = the loader's warn callback):
//   derived   storePathCommitLog = <storePathRootDir>/commitlog; haListenPort = listenPort + 1;
//             adminPort = listenPort + 2 (listenPort 0 -> both 0 = any free port)
//   error     SLAVE needs brokerId > 0 and haMasterAddress
//   error     ASYNC_MASTER / SYNC_MASTER need brokerId 0 (RocketMQ silently forces 0; we refuse)
//   warn      haMasterAddress on a master is ignored
//   warn      transientStorePoolEnable on a SLAVE is turned off (RocketMQ 5 rule:
//             TSP && role != SLAVE; SYNC_FLUSH with TSP is allowed, unlike 4.9.7)
//   error     mappedFileSizeCommitLog >= maxMessageSize + 64 KiB + 8 (a record never spans segments)
//   error     diskSpaceWarningLevelRatio >= diskMaxUsedSpaceRatio and >= diskSpaceCleanForciblyRatio
//   error     listenPort, haListenPort, adminPort distinct (ports 0 excepted)
//   error     commitMode 'direct' needs O_DIRECT, so not ioBackend 'node'
//   warn      commitMode 'direct' without the pool has no effect
//   warn      the pool (transientStorePoolSize x segment size) is more than half of RAM
//   error     DLedger (enableDLegerCommitLog=true, dledger-checks.ts): dLegerGroup, dLegerPeers
//             (3 or 5 distinct ids and addresses), dLegerSelfId in them, preferredLeaderId in
//             them, brokerRole not SLAVE, no haMasterAddress, this member's Raft port distinct from
//             the node's ports, minVoteIntervalMs <= maxVoteIntervalMs; then refused as not yet
//             available (the node glue is the next step)
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { checkDLedger } from './dledger-checks.js';
import { END_FILE_MIN_BLANK_BYTES, RECORD_OVERHEAD_MAX_BYTES, type MessageStoreConfig } from './store-config.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The config before derivation: derived keys are null when the user did not set them. */
export type DraftStoreConfig = Omit<Mutable<MessageStoreConfig>, 'storePathCommitLog' | 'haListenPort' | 'adminPort'> & {
  storePathCommitLog: string | null;
  haListenPort: number | null;
  adminPort: number | null;
};

export function deriveAndCheck(draft: DraftStoreConfig, warn: (message: string) => void): MessageStoreConfig {
  const config: Mutable<MessageStoreConfig> = {
    ...draft,
    storePathCommitLog: draft.storePathCommitLog ?? join(draft.storePathRootDir, 'commitlog'),
    haListenPort: draft.haListenPort ?? derivedPort(draft.listenPort, 1, 'haListenPort'),
    adminPort: draft.adminPort ?? derivedPort(draft.listenPort, 2, 'adminPort'),
  };
  checkDLedger(config);
  checkRole(config, warn);
  applyTransientStorePoolRule(config, warn);
  checkSegmentHoldsLargestRecord(config);
  checkDiskRatios(config);
  checkPortsDistinct(config);
  checkCommitMode(config, warn);
  warnIfPoolTooLarge(config, warn);
  return config;
}

function derivedPort(listenPort: number, offset: number, key: string): number {
  if (listenPort === 0) return 0;
  const port = listenPort + offset;
  if (port > 65_535) {
    throw new ConfigError(key, port, `a port <= 65535; the default listenPort + ${offset} is too large for listenPort ${listenPort}, so set ${key}`);
  }
  return port;
}

function checkRole(config: Mutable<MessageStoreConfig>, warn: (message: string) => void): void {
  if (config.brokerRole === 'SLAVE') {
    if (config.brokerId <= 0) throw new ConfigError('brokerId', config.brokerId, 'an id > 0 when brokerRole is SLAVE');
    if (config.haMasterAddress === null) {
      throw new ConfigError('haMasterAddress', null, 'host:port of the master HA port; required when brokerRole is SLAVE');
    }
    return;
  }
  if (config.brokerId !== 0) {
    throw new ConfigError('brokerId', config.brokerId, `0 when brokerRole is ${config.brokerRole} (a master is always brokerId 0)`);
  }
  if (config.haMasterAddress !== null) {
    warn(`config key 'haMasterAddress' (${config.haMasterAddress}) is ignored: brokerRole is ${config.brokerRole}, not SLAVE`);
  }
}

function applyTransientStorePoolRule(config: Mutable<MessageStoreConfig>, warn: (message: string) => void): void {
  if (config.transientStorePoolEnable && config.brokerRole === 'SLAVE') {
    warn(`config key 'transientStorePoolEnable' is turned off: a SLAVE never uses the TransientStorePool (RocketMQ rule)`);
    config.transientStorePoolEnable = false;
  }
}

function checkSegmentHoldsLargestRecord(config: MessageStoreConfig): void {
  const needed = config.maxMessageSize + RECORD_OVERHEAD_MAX_BYTES + END_FILE_MIN_BLANK_BYTES;
  if (config.mappedFileSizeCommitLog < needed) {
    throw new ConfigError(
      'mappedFileSizeCommitLog',
      config.mappedFileSizeCommitLog,
      `a multiple of 4096 that is >= maxMessageSize + 64 KiB + 8 = ${needed} (maxMessageSize is ${config.maxMessageSize}; a record never spans two segments)`,
    );
  }
}

function checkDiskRatios(config: MessageStoreConfig): void {
  const warning = config.diskSpaceWarningLevelRatio;
  if (warning < config.diskMaxUsedSpaceRatio) {
    throw new ConfigError(
      'diskSpaceWarningLevelRatio',
      warning,
      `>= diskMaxUsedSpaceRatio (${config.diskMaxUsedSpaceRatio}): writes would stop before expired files are cleaned`,
    );
  }
  if (warning < config.diskSpaceCleanForciblyRatio) {
    throw new ConfigError(
      'diskSpaceWarningLevelRatio',
      warning,
      `>= diskSpaceCleanForciblyRatio (${config.diskSpaceCleanForciblyRatio}): writes would stop before forced cleaning starts`,
    );
  }
}

function checkPortsDistinct(config: MessageStoreConfig): void {
  const ports: [string, number][] = [
    ['listenPort', config.listenPort],
    ['haListenPort', config.haListenPort],
    ['adminPort', config.adminPort],
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = 0; j < i; j++) {
      const [key, port] = ports[i]!;
      const [otherKey, otherPort] = ports[j]!;
      if (port !== 0 && port === otherPort) throw new ConfigError(key, port, `a port different from ${otherKey} (${otherPort}), or 0`);
    }
  }
}

function checkCommitMode(config: MessageStoreConfig, warn: (message: string) => void): void {
  if (config.commitMode !== 'direct') return;
  if (config.ioBackend === 'node') {
    throw new ConfigError('commitMode', config.commitMode, "'pwrite' when ioBackend is 'node' (O_DIRECT needs the native addon's aligned buffers)");
  }
  if (!config.transientStorePoolEnable) {
    warn("config key 'commitMode' ('direct') has no effect: only the TransientStorePool commit service uses it");
  }
}

function warnIfPoolTooLarge(config: MessageStoreConfig, warn: (message: string) => void): void {
  if (!config.transientStorePoolEnable) return;
  const poolBytes = config.transientStorePoolSize * config.mappedFileSizeCommitLog;
  const ramBytes = totalmem();
  if (poolBytes > ramBytes / 2) {
    warn(
      `the TransientStorePool needs ${poolBytes} bytes (transientStorePoolSize ${config.transientStorePoolSize} x mappedFileSizeCommitLog ` +
        `${config.mappedFileSizeCommitLog}), more than half of this machine's ${ramBytes} bytes of RAM`,
    );
  }
}
