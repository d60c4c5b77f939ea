// Rules that involve more than one key, applied after every key has been parsed on its own:
// fills the derived defaults (storePathCommitLog, haListenPort, adminPort), applies RocketMQ's
// TransientStorePool enabling rule, and rejects combinations that cannot work.
//
// Rules (error = ConfigError, warn = the loader's warn callback):
//   derived   storePathCommitLog = <storePathRootDir>/commitlog; haListenPort = listenPort + 1;
//             adminPort = listenPort + 2 (listenPort 0 -> both 0 = any free port);
//             grpcServerPort = 8081 (0 when listenPort is 0)
//   error     SLAVE needs brokerId > 0 and haMasterAddress
//   error     ASYNC_MASTER / SYNC_MASTER need brokerId 0 (RocketMQ silently forces 0; we refuse)
//   warn      haMasterAddress on a master is ignored
//   warn      transientStorePoolEnable on a SLAVE is turned off (RocketMQ 5 rule:
//             TSP && role != SLAVE; SYNC_FLUSH with TSP is allowed, unlike 4.9.7)
//   error     mappedFileSizeCommitLog >= maxMessageSize + 64 KiB + 8 (a record never spans segments)
//   error     diskSpaceWarningLevelRatio >= diskMaxUsedSpaceRatio and >= diskSpaceCleanForciblyRatio
//   error     listenPort, haListenPort, adminPort, grpcServerPort distinct (ports 0 excepted)
//   error     defaultTopicQueueNums <= maxQueueId + 1
//   error     commitMode 'direct' needs O_DIRECT, so not ioBackend 'node'
//   warn      commitMode 'direct' without the pool has no effect
//   warn      the pool (transientStorePoolSize x segment size) is more than half of RAM
//   error     DLedger (enableDLegerCommitLog=true, dledger-checks.ts): dLegerGroup, dLegerPeers
//             (3 or 5 distinct ids and addresses), dLegerSelfId in them, preferredLeaderId in
//             them, brokerRole not SLAVE, no haMasterAddress, this member's Raft port distinct from
//             the node's ports, minVoteIntervalMs <= maxVoteIntervalMs; then refused as not yet
//             available (the node glue is the next step)
//   error     adminReadAuth 'token' needs adminTokenFile
//   error     adminTlsCertFile and adminTlsKeyFile: both or neither (also grpcTls*File)
//   error     replicationTlsEnable needs replicationTlsCertFile, replicationTlsKeyFile and
//             replicationTlsCaFile, and haTransferMode other than 'sendfile' (TLS bytes are
//             encrypted in user space; sendfile would send them in clear)
// (Whether a networked node needs replicationSecretFile is decided where the node starts,
// src/net/replication-security.ts: a bare store never opens a replication port.)
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { checkDLedger } from './dledger-checks.js';
import { END_FILE_MIN_BLANK_BYTES, RECORD_OVERHEAD_MAX_BYTES, type MessageStoreConfig } from './store-config.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The config before derivation: derived keys are null when the user did not set them. */
export type DraftStoreConfig = Omit<Mutable<MessageStoreConfig>, 'storePathCommitLog' | 'haListenPort' | 'adminPort' | 'grpcServerPort'> & {
  storePathCommitLog: string | null;
  haListenPort: number | null;
  adminPort: number | null;
  grpcServerPort: number | null;
};

/** RocketMQ proxy's default gRPC port. */
const DEFAULT_GRPC_SERVER_PORT = 8081;

export function deriveAndCheck(draft: DraftStoreConfig, warn: (message: string) => void): MessageStoreConfig {
  const config: Mutable<MessageStoreConfig> = {
    ...draft,
    storePathCommitLog: draft.storePathCommitLog ?? join(draft.storePathRootDir, 'commitlog'),
    haListenPort: draft.haListenPort ?? derivedPort(draft.listenPort, 1, 'haListenPort'),
    adminPort: draft.adminPort ?? derivedPort(draft.listenPort, 2, 'adminPort'),
    grpcServerPort: draft.grpcServerPort ?? (draft.listenPort === 0 ? 0 : DEFAULT_GRPC_SERVER_PORT),
  };
  checkDLedger(config);
  checkRole(config, warn);
  applyTransientStorePoolRule(config, warn);
  checkSegmentHoldsLargestRecord(config);
  checkDiskRatios(config);
  checkPortsDistinct(config);
  checkTopicQueueNums(config);
  checkCommitMode(config, warn);
  warnIfPoolTooLarge(config, warn);
  checkAdminAuth(config);
  checkReplicationTls(config);
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
    ['grpcServerPort', config.grpcServerPort],
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = 0; j < i; j++) {
      const [key, port] = ports[i]!;
      const [otherKey, otherPort] = ports[j]!;
      if (port !== 0 && port === otherPort) throw new ConfigError(key, port, `a port different from ${otherKey} (${otherPort}), or 0`);
    }
  }
}

function checkTopicQueueNums(config: MessageStoreConfig): void {
  if (config.defaultTopicQueueNums > config.maxQueueId + 1) {
    throw new ConfigError('defaultTopicQueueNums', config.defaultTopicQueueNums, `at most maxQueueId + 1 = ${config.maxQueueId + 1} queues`);
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

function checkAdminAuth(config: MessageStoreConfig): void {
  if (config.adminReadAuth === 'token' && config.adminTokenFile === null) {
    throw new ConfigError('adminReadAuth', config.adminReadAuth, "'open' unless adminTokenFile is set (read routes cannot ask for a token the node does not have)");
  }
  checkPair(config, 'adminTlsCertFile', 'adminTlsKeyFile', 'HTTPS');
  checkPair(config, 'grpcTlsCertFile', 'grpcTlsKeyFile', 'gRPC over TLS');
}

function checkPair(config: MessageStoreConfig, certKey: 'adminTlsCertFile' | 'grpcTlsCertFile', keyKey: 'adminTlsKeyFile' | 'grpcTlsKeyFile', what: string): void {
  if ((config[certKey] === null) !== (config[keyKey] === null)) {
    const [set, unset] = config[certKey] === null ? [keyKey, certKey] : [certKey, keyKey];
    throw new ConfigError(unset, null, `a file path too: ${set} is set, and ${what} needs both the certificate and its key`);
  }
}

function checkReplicationTls(config: MessageStoreConfig): void {
  if (!config.replicationTlsEnable) return;
  for (const key of ['replicationTlsCertFile', 'replicationTlsKeyFile', 'replicationTlsCaFile'] as const) {
    if (config[key] === null) throw new ConfigError(key, null, 'the path of a PEM file; required when replicationTlsEnable is true');
  }
  if (config.haTransferMode === 'sendfile') {
    throw new ConfigError('haTransferMode', config.haTransferMode, "'socket' or 'auto' when replicationTlsEnable is true (sendfile cannot encrypt)");
  }
}
