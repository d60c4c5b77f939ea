// The store's configuration: the MessageStoreConfig type (RocketMQ's key names, readonly) and
// DEFAULT_STORE_CONFIG, the table of every key with its type, default, range and one-line doc.
// A user can copy a RocketMQ broker.conf and each key means what it means there; keys marked
// origin 'mqstore' are ours, and `rocketmqDefault` marks every default that differs from
// RocketMQ's (with the reason). RocketMQ keys we do not implement are in unsupported-keys.ts.
//
// Invariant: every default passes its own spec (checked by test/config/store-config.test.ts),
// and the table has exactly the keys of MessageStoreConfig (checked by the compiler).
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LogLevel } from '../util/logger.js';
import { parseHostList } from './host-list.js';
import type { KeySpec, KeySpecFor } from './key-spec.js';
import { DLEDGER_ID, parseDLedgerPeers } from './dledger-peers.js';
import { isBrokerName, isHost, isStorePath, normalizeStorePath, parseDeleteWhenHours, parseHostPort } from './value-formats.js';

export const FLUSH_DISK_TYPES = ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const;
export type FlushDiskType = (typeof FLUSH_DISK_TYPES)[number];

export const BROKER_ROLES = ['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE'] as const;
export type BrokerRole = (typeof BROKER_ROLES)[number];

export const IO_BACKENDS = ['auto', 'native', 'node'] as const;
export type IoBackendSetting = (typeof IO_BACKENDS)[number];

export const COMMIT_MODES = ['pwrite', 'direct'] as const;
export const HA_TRANSFER_MODES = ['auto', 'sendfile', 'socket'] as const;
export type HaTransferMode = (typeof HA_TRANSFER_MODES)[number];
export const EMULATED_DEVICES = ['none', 'hdd', 'sata-ssd', 'nvme'] as const;
export type EmulatedDevice = (typeof EMULATED_DEVICES)[number];
export type CommitMode = (typeof COMMIT_MODES)[number];

export const ADMIN_READ_AUTH_MODES = ['open', 'token'] as const;
export type AdminReadAuth = (typeof ADMIN_READ_AUTH_MODES)[number];

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];

/** OS page size used for segment alignment and the *LeastPages keys. */
export const OS_PAGE_SIZE_BYTES = 4096;
/** Size of one consume-queue entry (commitLogOffset int64, size int32, tagsCode int64). */
export const CQ_ENTRY_SIZE_BYTES = 20;
/** Room RocketMQ allows beyond maxMessageSize for the rest of a record (header, topic, properties). */
export const RECORD_OVERHEAD_MAX_BYTES = 64 * 1024;
/** The end-of-file blank record (size + magic) that must always fit after the last record. */
export const END_FILE_MIN_BLANK_BYTES = 8;

const INT_MAX = 2 ** 31 - 1;
const LONG_MAX = Number.MAX_SAFE_INTEGER;
const MIB = 1024 * 1024;

export interface MessageStoreConfig {
  // --- paths
  readonly storePathRootDir: string;
  readonly storePathCommitLog: string;
  // --- sizes
  readonly mappedFileSizeCommitLog: number;
  readonly mappedFileSizeConsumeQueue: number;
  readonly maxMessageSize: number;
  readonly maxTopicLength: number;
  readonly maxQueueId: number;
  // --- flush (CommitLog, ConsumeQueue, offsets)
  readonly flushDiskType: FlushDiskType;
  readonly flushIntervalCommitLog: number;
  readonly flushCommitLogTimed: boolean;
  readonly flushCommitLogLeastPages: number;
  readonly flushCommitLogThoroughInterval: number;
  readonly syncFlushTimeout: number;
  readonly flushIntervalConsumeQueue: number;
  readonly flushConsumerOffsetInterval: number;
  // --- TransientStorePool and commit
  readonly transientStorePoolEnable: boolean;
  readonly transientStorePoolSize: number;
  readonly osPageCacheBusyTimeOutMills: number;
  readonly commitIntervalCommitLog: number;
  readonly commitCommitLogLeastPages: number;
  readonly commitCommitLogThoroughInterval: number;
  readonly wakeCommitWhenPutMessage: boolean;
  readonly wakeFlushWhenPutMessage: boolean;
  // --- segment allocation, recovery, reads
  readonly writeWithoutMmap: boolean;
  readonly warmMapedFileEnable: boolean;
  readonly checkCRCOnRecover: boolean;
  readonly readUnCommitted: boolean;
  readonly maxTransferBytesOnMessageInMemory: number;
  readonly maxTransferCountOnMessageInMemory: number;
  readonly maxTransferBytesOnMessageInDisk: number;
  readonly maxTransferCountOnMessageInDisk: number;
  readonly accessMessageInMemoryMaxRatio: number;
  readonly slaveReadEnable: boolean;
  readonly checkCRCOnRead: boolean;
  // --- retention
  readonly fileReservedTime: number;
  readonly deleteWhen: string;
  readonly diskMaxUsedSpaceRatio: number;
  readonly diskSpaceWarningLevelRatio: number;
  readonly diskSpaceCleanForciblyRatio: number;
  readonly cleanFileForciblyEnable: boolean;
  readonly cleanResourceInterval: number;
  readonly deleteFileBatchMax: number;
  // --- broker identity, roles, HA
  readonly brokerRole: BrokerRole;
  readonly brokerClusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerIP1: string;
  readonly listenPort: number;
  readonly haListenPort: number;
  readonly adminPort: number;
  readonly adminTokenFile: string | null;
  readonly adminReadAuth: AdminReadAuth;
  readonly adminTrustedNetwork: boolean;
  readonly adminAllowedHosts: string | null;
  readonly adminTlsCertFile: string | null;
  readonly adminTlsKeyFile: string | null;
  readonly haMasterAddress: string | null;
  readonly haSendHeartbeatInterval: number;
  readonly haHousekeepingInterval: number;
  readonly haMetadataSyncInterval: number;
  readonly haTransferBatchSize: number;
  readonly haMaxGapNotInSync: number;
  readonly haSlaveFallbehindMax: number;
  readonly slaveTimeout: number;
  readonly inSyncReplicas: number;
  readonly haRejoinTruncateMaxBytes: number;
  readonly haRejoinAllowTruncate: boolean;
  // --- DLedger (Raft CommitLog); see the section's comment in the table
  readonly enableDLegerCommitLog: boolean;
  readonly dLegerGroup: string | null;
  readonly dLegerPeers: string | null;
  readonly dLegerSelfId: string | null;
  readonly preferredLeaderId: string | null;
  readonly enableBatchPush: boolean;
  readonly maxBatchPushSize: number;
  readonly heartBeatTimeIntervalMs: number;
  readonly maxHeartBeatLeak: number;
  readonly minVoteIntervalMs: number;
  readonly maxVoteIntervalMs: number;
  readonly maxPushTimeOutMs: number;
  readonly maxWaitAckTimeMs: number;
  readonly maxPendingRequestsNum: number;
  readonly leadershipTransferWaitTimeout: number;
  readonly leadershipTransferMaxLagBytes: number;
  // --- replication security (mqstore only; src/net/replication-security.ts)
  readonly replicationSecretFile: string | null;
  readonly replicationTrustedNetwork: boolean;
  readonly replicationHandshakeTimeout: number;
  readonly replicationMaxPendingHandshakes: number;
  readonly replicationMaxConnectionsPerSource: number;
  readonly replicationTlsEnable: boolean;
  readonly replicationTlsCertFile: string | null;
  readonly replicationTlsKeyFile: string | null;
  readonly replicationTlsCaFile: string | null;
  readonly replicationTlsRequireClientCert: boolean;
  // --- broker: the gRPC MessagingService (src/broker/)
  readonly grpcServerPort: number;
  readonly grpcBindAddress: string | null;
  readonly grpcMaxInboundMessageSize: number;
  readonly grpcTlsCertFile: string | null;
  readonly grpcTlsKeyFile: string | null;
  readonly autoCreateTopicEnable: boolean;
  readonly autoCreateSubscriptionGroup: boolean;
  readonly defaultTopicQueueNums: number;
  readonly grpcPushConsumerLongPollingMs: number;
  // --- mqstore only
  readonly ioBackend: IoBackendSetting;
  readonly commitMode: CommitMode;
  readonly flushServiceInWorker: boolean;
  readonly haTransferMode: HaTransferMode;
  readonly emulateDevice: EmulatedDevice;
  readonly logLevel: LogLevel;
}

export type StoreConfigTable = { readonly [K in keyof MessageStoreConfig]: KeySpecFor<MessageStoreConfig[K]> };

const ms = (def: number, doc: string, min = 1): KeySpecFor<number> => ({
  type: 'int',
  default: def,
  min,
  max: INT_MAX,
  unit: 'ms',
  doc,
  origin: 'rocketmq',
});

const pages = (def: number, doc: string): KeySpecFor<number> => ({
  type: 'int',
  default: def,
  min: 0,
  max: INT_MAX,
  unit: 'pages',
  doc,
  origin: 'rocketmq',
});

const flag = (def: boolean, doc: string): KeySpecFor<boolean> => ({ type: 'boolean', default: def, doc, origin: 'rocketmq' });

export const DEFAULT_STORE_CONFIG: StoreConfigTable = {
  // --- paths
  storePathRootDir: {
    type: 'string',
    default: join(homedir(), 'store'),
    allowed: 'a non-empty path (a leading ~ is expanded; made absolute)',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: 'Root of the store directory (commitlog/, consumequeue/, checkpoint, abort, config/). Default ~/store.',
    origin: 'rocketmq',
  },
  storePathCommitLog: {
    type: 'string',
    default: null,
    derived: '<storePathRootDir>/commitlog',
    allowed: 'a non-empty path without "," (multiple commit log paths are not supported)',
    check: (v) => isStorePath(v) && !v.includes(','),
    normalize: normalizeStorePath,
    doc: 'Directory of the CommitLog segments; <storePathRootDir>/commitlog when not set (RocketMQ 5 rule).',
    origin: 'rocketmq',
  },
  // --- sizes
  mappedFileSizeCommitLog: {
    type: 'int',
    default: 1024 * MIB,
    min: OS_PAGE_SIZE_BYTES,
    max: INT_MAX - (OS_PAGE_SIZE_BYTES - 1),
    multipleOf: OS_PAGE_SIZE_BYTES,
    unit: 'bytes',
    aliases: ['mapedFileSizeCommitLog'],
    doc: 'CommitLog segment size in bytes (1 GiB); must hold maxMessageSize + 64 KiB + 8.',
    origin: 'rocketmq',
  },
  mappedFileSizeConsumeQueue: {
    type: 'int',
    default: 300_000 * CQ_ENTRY_SIZE_BYTES,
    min: CQ_ENTRY_SIZE_BYTES,
    max: INT_MAX - (INT_MAX % CQ_ENTRY_SIZE_BYTES),
    roundUpTo: CQ_ENTRY_SIZE_BYTES,
    unit: 'bytes',
    aliases: ['mapedFileSizeConsumeQueue'],
    doc: 'ConsumeQueue segment size in bytes (300000 entries x 20); rounded up to a multiple of 20.',
    origin: 'rocketmq',
  },
  maxMessageSize: {
    type: 'int',
    default: 4 * MIB,
    min: 1,
    max: 1024 * MIB,
    unit: 'bytes',
    doc: 'Largest message body in bytes (4 MiB); the whole record may be up to this + 64 KiB.',
    origin: 'rocketmq',
  },
  maxTopicLength: {
    type: 'int',
    default: 127,
    min: 1,
    max: 32_767,
    unit: 'bytes',
    doc: 'Longest topic name in bytes; up to 127 fits the V1 record (1-byte length), longer needs V2.',
    origin: 'rocketmq',
    rocketmqDefault: '1000 (5.x); we keep 127 so every record stays in the 4.x V1 layout by default',
  },
  maxQueueId: {
    type: 'int',
    default: 1023,
    min: 0,
    max: 65_535,
    unit: 'id',
    doc: 'Largest queueId a put may use (mqstore: bounds the number of consume-queue directories per topic).',
    origin: 'mqstore',
  },
  // --- flush
  flushDiskType: {
    type: 'enum',
    values: FLUSH_DISK_TYPES,
    default: 'ASYNC_FLUSH',
    doc: 'SYNC_FLUSH: a put returns after its bytes are fsynced (group commit); ASYNC_FLUSH: periodic flush.',
    origin: 'rocketmq',
  },
  flushIntervalCommitLog: ms(500, 'ASYNC_FLUSH: period of the CommitLog flush service in ms.'),
  flushCommitLogTimed: flag(true, 'ASYNC_FLUSH: true = the flush period is a plain sleep; false = puts can wake the flusher early. Accepted but not yet acted on: mqstore always flushes by the period (and wakeFlushWhenPutMessage).'),
  flushCommitLogLeastPages: pages(4, 'ASYNC_FLUSH: flush only when at least this many 4 KiB pages are dirty (0 = any).'),
  flushCommitLogThoroughInterval: ms(10_000, 'ASYNC_FLUSH: flush everything (0 pages) at least this often, in ms.', 0),
  syncFlushTimeout: ms(5000, 'SYNC_FLUSH: a put not flushed within this many ms returns FLUSH_DISK_TIMEOUT.'),
  flushIntervalConsumeQueue: ms(1000, 'Period of the ConsumeQueue flush service in ms.'),
  flushConsumerOffsetInterval: ms(5000, 'Period in ms of writing config/consumerOffset.json (a RocketMQ BrokerConfig key).'),
  // --- TransientStorePool
  transientStorePoolEnable: flag(
    false,
    'Append into pooled off-heap buffers and let the commit service copy them to the file. Turned off on a SLAVE (RocketMQ 5 rule).',
  ),
  transientStorePoolSize: {
    type: 'int',
    default: 5,
    min: 1,
    max: 64,
    unit: 'count',
    doc: 'Number of pool buffers, each one CommitLog segment large.',
    origin: 'rocketmq',
  },
  osPageCacheBusyTimeOutMills: ms(
    1000,
    'TSP: how long a put waits for a pool buffer when every buffer still holds a segment the commit service has not finished; then it answers OS_PAGE_CACHE_BUSY (retriable, nothing appended). RocketMQ answers OS_PAGE_CACHE_BUSY when a put has held the put lock this long.',
  ),
  commitIntervalCommitLog: ms(200, 'TSP: period of the commit service in ms.'),
  commitCommitLogLeastPages: pages(4, 'TSP: commit only when at least this many pages are pending (0 = any).'),
  commitCommitLogThoroughInterval: ms(200, 'TSP: commit everything at least this often, in ms.', 0),
  wakeCommitWhenPutMessage: flag(true, 'TSP: puts wake the commit service early: once commitCommitLogLeastPages pages accumulated since the last wake, or the first put after commitCommitLogThoroughInterval ms (a wake that meets neither would commit nothing).'),
  wakeFlushWhenPutMessage: flag(false, 'ASYNC_FLUSH: puts wake the flush service early, once flushCommitLogLeastPages pages accumulated since the last wake or after flushCommitLogThoroughInterval ms.'),
  // --- allocation, recovery, reads
  writeWithoutMmap: flag(
    false,
    'Write CommitLog records into a staging buffer that the persistence worker commits with pwrite, instead of into a mapping. mqstore always does so under SYNC_FLUSH (mmap writes stall on pages under writeback); this key extends it to ASYNC_FLUSH (faster; a process crash can then lose up to commitIntervalCommitLog of acknowledged puts, as with the TransientStorePool).',
  ),
  warmMapedFileEnable: {
    type: 'boolean',
    default: false,
    aliases: ['warmMappedFileEnable'],
    doc: 'Touch every page of a new CommitLog segment (and mlock it) before use.',
    origin: 'rocketmq',
  },
  checkCRCOnRecover: flag(true, 'Check the body CRC of every record scanned during recovery.'),
  readUnCommitted: flag(
    false,
    'false = consumers see only confirmed data (flushed under SYNC_FLUSH, RocketMQ 5.3 rule); true = everything appended.',
  ),
  maxTransferBytesOnMessageInMemory: {
    type: 'int',
    default: 256 * 1024,
    min: 1,
    max: INT_MAX,
    unit: 'bytes',
    doc: 'Pull batch byte limit when the messages are likely in page cache.',
    origin: 'rocketmq',
  },
  maxTransferCountOnMessageInMemory: {
    type: 'int',
    default: 32,
    min: 1,
    max: INT_MAX,
    unit: 'count',
    doc: 'Pull batch message limit when the messages are likely in page cache.',
    origin: 'rocketmq',
  },
  maxTransferBytesOnMessageInDisk: {
    type: 'int',
    default: 64 * 1024,
    min: 1,
    max: INT_MAX,
    unit: 'bytes',
    doc: 'Pull batch byte limit when the messages are likely only on disk.',
    origin: 'rocketmq',
  },
  maxTransferCountOnMessageInDisk: {
    type: 'int',
    default: 8,
    min: 1,
    max: INT_MAX,
    unit: 'count',
    doc: 'Pull batch message limit when the messages are likely only on disk.',
    origin: 'rocketmq',
  },
  accessMessageInMemoryMaxRatio: {
    type: 'percent',
    default: 40,
    min: 0,
    max: 100,
    unit: 'percent',
    doc: 'A message older than this % of RAM behind the write head counts as "in disk" (and suggests slave reads).',
    origin: 'rocketmq',
  },
  slaveReadEnable: flag(false, 'Let lagging consumers be redirected to a slave (a RocketMQ BrokerConfig key).'),
  checkCRCOnRead: {
    type: 'boolean',
    default: true,
    doc: 'Check the body CRC of every message getMessage returns; a mismatch is the MESSAGE_CORRUPTED status (never the damaged bytes) and a rate-limited log line.',
    origin: 'mqstore',
  },
  // --- retention
  fileReservedTime: {
    type: 'int',
    default: 72,
    min: 0,
    max: 876_000,
    unit: 'hours',
    doc: 'Hours a CommitLog segment is kept after its last write before it may be deleted.',
    origin: 'rocketmq',
  },
  deleteWhen: {
    type: 'string',
    default: '04',
    allowed: 'hours of the day 0-23 separated by ";" (e.g. "04" or "04;16")',
    check: (v) => parseDeleteWhenHours(v) !== undefined,
    normalize: (v) => v.trim(),
    doc: 'Hours of the day at which expired files are deleted.',
    origin: 'rocketmq',
  },
  diskMaxUsedSpaceRatio: {
    type: 'percent',
    default: 75,
    min: 0,
    max: 100,
    clampTo: [10, 90],
    clampReason: 'because it must not exceed diskSpaceWarningLevelRatio (at most 90); RocketMQ clamps to [10, 95]',
    unit: 'percent',
    doc: 'Disk usage % above which expired files are deleted at once, not only at deleteWhen; at most diskSpaceWarningLevelRatio.',
    origin: 'rocketmq',
  },
  diskSpaceWarningLevelRatio: {
    type: 'percent',
    default: 90,
    min: 0,
    max: 100,
    clampTo: [35, 90],
    unit: 'percent',
    doc: 'Disk usage % above which the store is marked disk-full and puts return SERVICE_NOT_AVAILABLE; at least diskMaxUsedSpaceRatio and diskSpaceCleanForciblyRatio.',
    origin: 'rocketmq',
  },
  diskSpaceCleanForciblyRatio: {
    type: 'percent',
    default: 85,
    min: 0,
    max: 100,
    clampTo: [30, 85],
    unit: 'percent',
    doc: 'Disk usage % above which files are deleted even before fileReservedTime; at most diskSpaceWarningLevelRatio.',
    origin: 'rocketmq',
  },
  cleanFileForciblyEnable: {
    type: 'boolean',
    default: false,
    doc: 'Above diskSpaceCleanForciblyRatio, delete the oldest CommitLog segments even when they are not expired and hold messages a consumer group has not consumed (logged as a WARN). false: only expired segments or segments every consumer group has consumed go; otherwise puts are refused at diskSpaceWarningLevelRatio.',
    origin: 'rocketmq',
    rocketmqDefault: 'true; deleting acknowledged messages nobody consumed is data loss, so it is opt-in here',
  },
  cleanResourceInterval: ms(10_000, 'Period of the retention (clean) service in ms.'),
  deleteFileBatchMax: {
    type: 'int',
    default: 10,
    min: 1,
    max: INT_MAX,
    unit: 'count',
    doc: 'Most CommitLog segments deleted in one round.',
    origin: 'rocketmq',
  },
  // --- broker identity, roles, HA
  brokerRole: {
    type: 'enum',
    values: BROKER_ROLES,
    default: 'ASYNC_MASTER',
    doc: 'ASYNC_MASTER: replicate in the background; SYNC_MASTER: a put waits for slave acks; SLAVE: replicate from haMasterAddress.',
    origin: 'rocketmq',
  },
  brokerClusterName: {
    type: 'string',
    default: 'DefaultCluster',
    allowed: 'letters, digits, "_", "-", ".", "%" (1-255 characters)',
    check: isBrokerName,
    normalize: (v) => v.trim(),
    doc: 'Cluster this broker belongs to (a RocketMQ BrokerConfig key).',
    origin: 'rocketmq',
  },
  brokerName: {
    type: 'string',
    default: 'broker-a',
    allowed: 'letters, digits, "_", "-", ".", "%" (1-255 characters)',
    check: isBrokerName,
    normalize: (v) => v.trim(),
    doc: 'Name shared by a master and its slaves (a RocketMQ BrokerConfig key).',
    origin: 'rocketmq',
    rocketmqDefault: 'the local host name; we use the name of the RocketMQ example configs so a default is stable across hosts',
  },
  brokerId: {
    type: 'long',
    default: 0,
    min: 0,
    max: LONG_MAX,
    unit: 'id',
    doc: '0 for a master, > 0 for a slave (a RocketMQ BrokerConfig key).',
    origin: 'rocketmq',
  },
  brokerIP1: {
    type: 'string',
    default: '127.0.0.1',
    allowed: 'an IP address or host name',
    check: isHost,
    normalize: (v) => v.trim(),
    doc: 'Address this broker advertises to clients. Default 127.0.0.1 for embedded use; set it for a networked node.',
    origin: 'rocketmq',
    rocketmqDefault: 'the first non-loopback local address; an embedded store should not guess a public address',
  },
  listenPort: {
    type: 'int',
    default: 10_911,
    min: 0,
    max: 65_535,
    unit: 'port',
    doc: 'Client port (0 = any free port; then haListenPort and adminPort default to 0 too).',
    origin: 'rocketmq',
  },
  haListenPort: {
    type: 'int',
    default: null,
    derived: 'listenPort + 1',
    min: 0,
    max: 65_535,
    unit: 'port',
    doc: 'Port on which a master accepts slaves (0 = any free port).',
    origin: 'rocketmq',
  },
  adminPort: {
    type: 'int',
    default: null,
    derived: 'listenPort + 2',
    min: 0,
    max: 65_535,
    unit: 'port',
    doc: 'mqstore admin/metrics HTTP port (0 = any free port).',
    origin: 'mqstore',
  },
  adminTokenFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a file holding one token of >= 16 printable characters, mode 600 or 640 (e.g. openssl rand -hex 32 > f; chmod 600 f; a leading ~ is expanded)',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: 'File with the admin bearer token: every state-changing admin request (POST) needs `Authorization: Bearer <token>`. Unset: admin writes are open, allowed only on a loopback admin host (or with adminTrustedNetwork).',
    origin: 'mqstore',
  },
  adminReadAuth: {
    type: 'enum',
    values: ADMIN_READ_AUTH_MODES,
    default: 'open',
    doc: 'Admin read routes (GET /status, /metrics): open to anyone who reaches the port (Host/Origin still checked), or token (the adminTokenFile bearer token, as for writes).',
    origin: 'mqstore',
  },
  adminTrustedNetwork: {
    type: 'boolean',
    default: false,
    doc: 'true: the network of a non-loopback admin host is trusted, so the node starts without adminTokenFile (anyone who reaches the port can promote). false: such a node refuses to start.',
    origin: 'mqstore',
  },
  adminAllowedHosts: {
    type: 'string',
    default: null,
    allowed: 'a comma-separated list of host names or addresses, each optionally with :port (e.g. node1.example.com,10.0.0.5:8080)',
    check: (v) => parseHostList(v) !== undefined,
    normalize: (v) => v.trim(),
    doc: 'Host header values an admin request may carry besides the bind address (and localhost names on a loopback bind); anything else is refused 403 (DNS rebinding defence).',
    origin: 'mqstore',
  },
  adminTlsCertFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a PEM certificate (chain) file',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: 'With adminTlsKeyFile: the admin port serves HTTPS with this certificate (so the bearer token is not sent in clear text). Both or neither.',
    origin: 'mqstore',
  },
  adminTlsKeyFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a PEM private key file (mode 600 or 640)',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: 'The private key of adminTlsCertFile.',
    origin: 'mqstore',
  },
  haMasterAddress: {
    type: 'string',
    default: null,
    allowed: 'host:port of the master HA port (e.g. 10.0.0.5:10912)',
    check: (v) => parseHostPort(v) !== undefined,
    normalize: (v) => v.trim(),
    doc: 'SLAVE: where to replicate from (required for a SLAVE; ignored on a master).',
    origin: 'rocketmq',
  },
  haSendHeartbeatInterval: ms(5000, 'HA keep-alive period in ms (slave offset report; master empty frame).'),
  haHousekeepingInterval: ms(20_000, 'HA connection idle timeout in ms (both sides).'),
  haMetadataSyncInterval: {
    ...ms(3000, 'SLAVE: how often, in ms, the slave copies its master\'s consumer offsets (RocketMQ\'s SlaveSynchronize; 0 = never). After a promotion, queryOffset answers what groups committed on the old master up to this long before it went away.', 0),
    origin: 'mqstore',
  },
  haTransferBatchSize: {
    type: 'int',
    default: 32 * 1024,
    min: 1,
    max: 4 * MIB,
    unit: 'bytes',
    doc: 'Largest body of one HA data frame (the slave receive buffer is 4 MiB).',
    origin: 'rocketmq',
  },
  haMaxGapNotInSync: {
    type: 'long',
    default: 256 * MIB,
    min: 0,
    max: LONG_MAX,
    unit: 'bytes',
    doc: 'A slave further behind than this many bytes is "not in sync" (haStatus "Fall Behind").',
    origin: 'rocketmq',
  },
  haSlaveFallbehindMax: {
    type: 'long',
    default: 256 * MIB,
    min: 0,
    max: LONG_MAX,
    unit: 'bytes',
    doc: 'SYNC_MASTER: with no slave within this many bytes, a put returns SLAVE_NOT_AVAILABLE at once (4.x rule).',
    origin: 'rocketmq',
  },
  slaveTimeout: ms(3000, 'SYNC_MASTER: a put not acked by enough slaves within this many ms returns FLUSH_SLAVE_TIMEOUT.'),
  inSyncReplicas: {
    type: 'int',
    default: 1,
    min: 1,
    max: 64,
    unit: 'count',
    doc: 'SYNC_MASTER: number of SLAVES that must ack a put. NOTE: RocketMQ 5 counts the master too.',
    origin: 'rocketmq',
    rocketmqDefault:
      '1 counting the master (so 5.x SYNC_MASTER does not wait by default); ours counts slaves only, giving the classic 4.x wait-for-one-slave behaviour',
  },
  haRejoinTruncateMaxBytes: {
    type: 'long',
    default: 16 * MIB,
    min: 0,
    max: LONG_MAX,
    unit: 'bytes',
    doc: 'SLAVE start-up: the most bytes a rejoin may drop from a log that diverged from its master\'s without haRejoinAllowTruncate (the dropped bytes are copied to <storePathRootDir>/quarantine/ first, and kept until the operator removes them).',
    origin: 'mqstore',
  },
  haRejoinAllowTruncate: {
    type: 'boolean',
    default: false,
    doc: 'SLAVE start-up: let the rejoin drop diverged bytes it would otherwise refuse to: more than haRejoinTruncateMaxBytes, bytes this node acknowledged to a master as a slave, or bytes a master with a history that is not newer (a new or wiped master) does not have. Meant for one start (mqstore node --set haRejoinAllowTruncate=true); the dropped bytes go to quarantine/.',
    origin: 'mqstore',
  },
  // --- DLedger (Raft CommitLog). Checked together in cross-checks.ts when enableDLegerCommitLog
  // is true. The Raft core (src/raft/) reads them (raft-settings.ts); the node glue that runs it
  // on the CommitLog is src/dledger/ (openNode starts it instead of classic HA).
  // Timing defaults: failover (last heartbeat heard -> new leader) in 350-600 ms on loopback.
  enableDLegerCommitLog: flag(
    false,
    'Replace the classic master/slave CommitLog by a Raft group of dLegerPeers (DLedger mode): the members elect a leader, only the leader takes puts, a put is PUT_OK once a majority holds it (SYNC_FLUSH: fsynced on a majority; ASYNC_FLUSH: written on a majority), consumers on every member read only committed messages. Needs dLegerGroup, dLegerPeers and dLegerSelfId; classic HA (haMasterAddress, SLAVE) is not used.',
  ),
  dLegerGroup: {
    type: 'string',
    default: null,
    allowed: '1-64 of letters, digits, "_", "-", "." (e.g. broker-a)',
    check: (v) => /^[A-Za-z0-9_.-]{1,64}$/.test(v),
    normalize: (v) => v.trim(),
    doc: 'DLedger mode: the Raft group name, the same on every member (usually the brokerName). Required with enableDLegerCommitLog.',
    origin: 'rocketmq',
  },
  dLegerPeers: {
    type: 'string',
    default: null,
    allowed: 'id-host:port entries separated by ";" (e.g. n0-10.0.0.1:40911;n1-10.0.0.2:40911;n2-10.0.0.3:40911), 3 or 5 members, distinct ids and addresses',
    check: (v) => typeof parseDLedgerPeers(v) !== 'string',
    normalize: (v) => v.trim(),
    doc: 'DLedger mode: every member of the group (static membership, 3 or 5) with the address its Raft port listens on. Required with enableDLegerCommitLog.',
    origin: 'rocketmq',
  },
  dLegerSelfId: {
    type: 'string',
    default: null,
    allowed: 'a member id of dLegerPeers (1-64 of letters, digits, "_", ".")',
    check: (v) => DLEDGER_ID.test(v),
    normalize: (v) => v.trim(),
    doc: 'DLedger mode: which member of dLegerPeers this node is. Required with enableDLegerCommitLog.',
    origin: 'rocketmq',
  },
  preferredLeaderId: {
    type: 'string',
    default: null,
    allowed: 'a member id of dLegerPeers',
    check: (v) => DLEDGER_ID.test(v),
    normalize: (v) => v.trim(),
    doc: 'DLedger mode: the member that should lead; the leader checks every second and hands leadership to it once it is live and within leadershipTransferMaxLagBytes (a transfer stops puts for up to leadershipTransferWaitTimeout).',
    origin: 'rocketmq',
  },
  enableBatchPush: {
    type: 'boolean',
    default: false,
    aliases: ['isEnableBatchPush'],
    doc: 'DLedger mode: false = each append to a follower carries at most haTransferBatchSize bytes; true = up to maxBatchPushSize (fewer round trips for a follower catching up, larger frames on the wire and more bytes re-sent after a loss).',
    origin: 'rocketmq',
  },
  maxBatchPushSize: {
    type: 'int',
    default: MIB,
    min: 1024,
    max: 4 * MIB,
    unit: 'bytes',
    doc: 'DLedger mode with enableBatchPush: the largest append to a follower, in bytes.',
    origin: 'rocketmq',
    rocketmqDefault: '4 KiB (one batch of DLedger entries); our appends are byte ranges of the log, so a larger batch costs nothing extra to build',
  },
  heartBeatTimeIntervalMs: {
    ...ms(100, 'DLedger mode: leader heartbeat period in ms. Shorter: faster failover detection, more idle traffic (one small frame per follower per period).'),
    rocketmqDefault: '2000 (DLedger detects a dead leader after 6 s); 100 ms lets a follower notice in ~300 ms on loopback/LAN',
  },
  maxHeartBeatLeak: {
    type: 'int',
    default: 3,
    min: 2,
    max: 100,
    unit: 'count',
    doc: 'DLedger mode: election timeout = heartBeatTimeIntervalMs x this. A follower that heard no leader that long starts an election (after a random vote delay); a leader that heard from no majority that long steps down; a member that heard a leader that recently refuses votes. Larger: fewer false elections under load or GC pauses, slower failover.',
    origin: 'rocketmq',
  },
  minVoteIntervalMs: {
    ...ms(50, 'DLedger mode: lower bound of the random delay added to each election timeout, ms.', 0),
    rocketmqDefault: '300; with a 300 ms timeout a smaller spread keeps failover under ~600 ms',
  },
  maxVoteIntervalMs: {
    ...ms(300, 'DLedger mode: upper bound of that random delay, ms (>= minVoteIntervalMs). A wider spread makes split votes rarer; a narrower one makes failover quicker.', 0),
    rocketmqDefault: '1000',
  },
  maxPushTimeOutMs: {
    ...ms(300, 'DLedger mode: an append a follower has not acknowledged within this many ms is sent again from the last acknowledged offset. Shorter: faster recovery from a lost frame, more duplicate bytes on a slow link.'),
    rocketmqDefault: '1000',
  },
  maxWaitAckTimeMs: ms(2500, 'DLedger mode: a put not held by a majority within this many ms answers IN_SYNC_REPLICAS_NOT_ENOUGH (the message may still commit: retry with care for duplicates).'),
  maxPendingRequestsNum: {
    type: 'int',
    default: 10_000,
    min: 1,
    max: INT_MAX,
    unit: 'count',
    doc: 'DLedger mode: puts waiting for a majority beyond this many answer OS_PAGE_CACHE_BUSY (nothing appended).',
    origin: 'rocketmq',
  },
  leadershipTransferWaitTimeout: ms(1000, 'DLedger mode: a leadership transfer whose transferee has not taken over within this many ms is abandoned (TAKE_LEADERSHIP_FAILED) and the leader takes puts again.'),
  leadershipTransferMaxLagBytes: {
    type: 'long',
    default: MIB,
    min: 0,
    max: LONG_MAX,
    unit: 'bytes',
    doc: 'DLedger mode: a transfer to a member further behind than this many bytes is refused (FALL_BEHIND_TOO_MUCH); within it, the leader stops taking puts until the transferee holds everything. DLedger counts entries (maxLeadershipTransferWaitIndex, 1000); our log is counted in bytes.',
    origin: 'mqstore',
  },
  // --- replication security (mqstore only; src/net/replication-security.ts)
  replicationSecretFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a file holding the shared secret (>= 16 bytes, not group-writable or world-accessible)',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc:
      'File holding the replication secret shared by the group (e.g. `openssl rand -hex 32 > f; chmod 600 f`): every HA connection first runs a mutual HMAC-SHA256 challenge-response bound to brokerName and the brokerIds; a peer without it gets no log byte and its acks count for nothing. Required when brokerIP1 or haMasterAddress is not a loopback address, unless replicationTrustedNetwork=true. The secret itself never goes in the config.',
    origin: 'mqstore',
  },
  replicationTrustedNetwork: {
    type: 'boolean',
    default: false,
    doc:
      'true: allow replication without replicationSecretFile on a non-loopback address. Trade-off: anyone who can reach the HA port reads the whole CommitLog and can acknowledge SYNC_MASTER puts for data no replica holds; only for a network where every host is trusted (an isolated VLAN, a namespace).',
    origin: 'mqstore',
  },
  replicationHandshakeTimeout: {
    ...ms(5000, 'A replication peer that has not completed its authentication (and TLS) handshake this many ms after it connected is dropped. Shorter frees slots held by silent peers sooner; too short fails real peers on a slow link.'),
    origin: 'mqstore',
  },
  replicationMaxPendingHandshakes: {
    type: 'int',
    default: 32,
    min: 1,
    max: 10_000,
    unit: 'count',
    doc: 'Most replication handshakes in progress at once per port; more connections are closed at once (they never take a slave slot). Bounds what unauthenticated peers cost.',
    origin: 'mqstore',
  },
  replicationMaxConnectionsPerSource: {
    type: 'int',
    default: 16,
    min: 1,
    max: 10_000,
    unit: 'count',
    doc: 'Most open replication connections (in handshake or authenticated) from one source IP address per port; more are closed at once. A slave needs 1 plus its short metadata and rejoin connections.',
    origin: 'mqstore',
  },
  replicationTlsEnable: {
    type: 'boolean',
    default: false,
    doc:
      'Encrypt replication with TLS (node:tls, TLS 1.2+) using replicationTlsCertFile, replicationTlsKeyFile and replicationTlsCaFile. The master then streams from the main thread (no sendfile: the bytes must be encrypted), so haTransferMode=sendfile is refused and auto picks socket.',
    origin: 'mqstore',
  },
  replicationTlsCertFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a PEM certificate (chain) file',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: "This node's TLS certificate (PEM), presented as server to slaves and as client to its master; its SAN must name the address peers dial (e.g. IP:10.0.0.5).",
    origin: 'mqstore',
  },
  replicationTlsKeyFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a PEM private key file (not group-writable or world-accessible)',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: "The private key of replicationTlsCertFile (PEM).",
    origin: 'mqstore',
  },
  replicationTlsCaFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a PEM file of CA certificates',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: "The CA(s) a peer's certificate must chain to (only these: the system CAs are not trusted for replication).",
    origin: 'mqstore',
  },
  replicationTlsRequireClientCert: {
    type: 'boolean',
    default: true,
    doc: 'With TLS on, a master asks every connecting peer for a certificate from replicationTlsCaFile and refuses one without (mutual TLS). false: only the master proves itself by certificate.',
    origin: 'mqstore',
  },
  // --- broker: the gRPC MessagingService (src/broker/)
  grpcServerPort: {
    type: 'int',
    default: null,
    derived: '8081, or 0 when listenPort is 0',
    min: 0,
    max: 65_535,
    unit: 'port',
    doc: 'Port of the gRPC MessagingService (RocketMQ 5 clients; the RocketMQ proxy key). 0 = any free port.',
    origin: 'rocketmq',
    rocketmqDefault: '8081 always; ours follows listenPort 0 (any free port) like haListenPort and adminPort, so test nodes never collide',
  },
  grpcBindAddress: {
    type: 'string',
    default: null,
    derived: 'brokerIP1',
    allowed: 'an IP address or host name to bind (0.0.0.0 = every interface)',
    check: isHost,
    normalize: (v) => v.trim(),
    doc: 'Address the gRPC MessagingService binds. Default: brokerIP1, the address it advertises in routes.',
    origin: 'mqstore',
  },
  grpcTlsCertFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a PEM certificate (chain) file',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: 'With grpcTlsKeyFile: the gRPC MessagingService speaks TLS (clients connect with sslEnabled / TLS credentials trusting its CA). Without both, the port is plaintext: bodies and properties cross the network in clear, so keep it on loopback or a trusted network.',
    origin: 'mqstore',
  },
  grpcTlsKeyFile: {
    type: 'string',
    default: null,
    allowed: 'the path of a PEM private key file (not group-writable or world-accessible)',
    check: isStorePath,
    normalize: normalizeStorePath,
    doc: 'The private key of grpcTlsCertFile (both or neither).',
    origin: 'mqstore',
  },
  grpcMaxInboundMessageSize: {
    type: 'int',
    default: 130 * MIB,
    min: 64 * 1024,
    max: INT_MAX,
    unit: 'bytes',
    doc: 'Largest gRPC request accepted (bytes). Keep it above maxMessageSize so an oversized body gets MESSAGE_BODY_TOO_LARGE with a reason, not a transport error.',
    origin: 'rocketmq',
  },
  autoCreateTopicEnable: flag(true, 'The broker creates a topic (defaultTopicQueueNums queues) on its first route query or send.'),
  autoCreateSubscriptionGroup: flag(true, 'The broker creates a consumer group on its first use.'),
  defaultTopicQueueNums: {
    type: 'int',
    default: 8,
    min: 1,
    max: 1024,
    unit: 'count',
    doc: 'Read and write queues of an auto-created topic.',
    origin: 'rocketmq',
  },
  grpcPushConsumerLongPollingMs: {
    type: 'int',
    default: 30_000,
    min: 1000,
    max: 60_000,
    unit: 'ms',
    doc: "long_polling_timeout the broker sends PushConsumers in their settings (they use it, not their own option, and their shutdown waits for polls this long).",
    origin: 'mqstore',
  },
  // --- mqstore only
  ioBackend: {
    type: 'enum',
    values: IO_BACKENDS,
    default: 'auto',
    doc: 'File IO backend: native addon, pure Node fs, or auto (addon if it loads, else node with one warning).',
    origin: 'mqstore',
  },
  commitMode: {
    type: 'enum',
    values: COMMIT_MODES,
    default: 'pwrite',
    doc: 'How the TSP commit service writes pool buffers: positional write to page cache, or O_DIRECT (native only).',
    origin: 'mqstore',
  },
  flushServiceInWorker: {
    type: 'boolean',
    default: true,
    doc: 'Run the persistence service (TSP commit and flush, one thread) in a worker thread; false: on the main thread.',
    origin: 'mqstore',
  },
  haTransferMode: {
    type: 'enum',
    values: HA_TRANSFER_MODES,
    default: 'auto',
    doc: "How a master streams to slaves: sendfile (frame bodies by sendfile(2) from the segment files, one worker thread per slave; needs the native addon, Linux), socket (frames written by the main thread through node:net), or auto (sendfile when the addon is loaded and ioBackend is not 'node', else socket, saying why once).",
    origin: 'mqstore',
  },
  emulateDevice: {
    type: 'enum',
    values: EMULATED_DEVICES,
    default: 'none',
    doc: 'Benchmarks only: make every flush cost what it would on this device class (fdatasync latency + bytes / bandwidth). Labelled as emulated everywhere.',
    origin: 'mqstore',
  },
  logLevel: {
    type: 'enum',
    values: LOG_LEVELS,
    default: 'info',
    doc: 'Lowest log level written.',
    origin: 'mqstore',
  },
};

/** Every key of MessageStoreConfig, in table order. */
export const STORE_CONFIG_KEYS = Object.freeze(Object.keys(DEFAULT_STORE_CONFIG)) as readonly (keyof MessageStoreConfig)[];

/** Alternative spelling -> canonical key. */
export const KEY_ALIASES: ReadonlyMap<string, keyof MessageStoreConfig> = new Map(
  STORE_CONFIG_KEYS.flatMap((key) => ((DEFAULT_STORE_CONFIG[key] as KeySpec).aliases ?? []).map((alias) => [alias, key] as const)),
);

export function isStoreConfigKey(key: string): key is keyof MessageStoreConfig {
  return Object.prototype.hasOwnProperty.call(DEFAULT_STORE_CONFIG, key);
}

export function specOf(key: keyof MessageStoreConfig): KeySpec {
  return DEFAULT_STORE_CONFIG[key] as KeySpec;
}
