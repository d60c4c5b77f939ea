// RocketMQ keys that mqstore does not implement but that appear in real broker.conf files
// (BrokerConfig, NettyServerConfig, MessageStoreConfig features we lack). Loading a file with
// one of them succeeds with a warning, so a copied broker.conf still loads. A few switch on a
// whole mode we do not have (DLedger, controller mode): turning those on is refused, because
// running as a classic master instead would silently mean something else.
//
// RocketMQ itself ignores unknown keys silently (MixAll.properties2Object); we reject keys that
// are neither here nor in DEFAULT_STORE_CONFIG, so typos are caught.

export type UnsupportedKeyGroup = 'broker' | 'remoting' | 'store' | 'dledger' | 'controller';

export interface UnsupportedKey {
  readonly key: string;
  /** Which RocketMQ subsystem the key belongs to. */
  readonly group: UnsupportedKeyGroup;
  /** Extra words for the warning (what mqstore does instead). */
  readonly note?: string;
  /** When set and the value is `true`, loading fails: this explains what is allowed instead. */
  readonly refuseTrue?: string;
}

const broker = (keys: readonly string[], note?: string): UnsupportedKey[] =>
  keys.map((key) => (note === undefined ? { key, group: 'broker' } : { key, group: 'broker', note }));

const STORE_PATH_NOTE = 'RocketMQ ignores it too; mqstore always uses the fixed layout under storePathRootDir';
const REPLICAS_NOTE = 'mqstore inSyncReplicas counts acking slaves only (RocketMQ 5 counts the master too)';

export const KNOWN_UNSUPPORTED_KEYS: readonly UnsupportedKey[] = Object.freeze([
  // --- BrokerConfig: name server, registration, permissions, features of the broker process
  ...broker([
    'namesrvAddr',
    'fetchNamesrvAddrByAddressServer',
    'rocketmqHome',
    'brokerIP2',
    'brokerPermission',
    'clusterTopicEnable',
    'brokerTopicEnable',
    'traceTopicEnable',
    'msgTraceTopicName',
    'aclEnable',
    'enablePropertyFilter',
    'rejectTransactionMessage',
    'longPollingEnable',
    'shortPollingTimeMills',
    'notifyConsumerIdsChangedEnable',
    'highSpeedMode',
    'transferMsgByHeap',
    'maxDelayTime',
    'registerBrokerTimeoutMills',
    'registerNameServerPeriod',
    'forceRegister',
    'compressedRegister',
    'isolateLogEnable',
    'enableDetailStat',
    'autoDeleteUnusedStats',
    'brokerFastFailureEnable',
    'waitTimeMillsInSendQueue',
    'waitTimeMillsInPullQueue',
    'waitTimeMillsInHeartbeatQueue',
    'waitTimeMillsInTransactionQueue',
    'sendThreadPoolQueueCapacity',
    'pullThreadPoolQueueCapacity',
    'queryThreadPoolQueueCapacity',
    'sendMessageThreadPoolNums',
    'pullMessageThreadPoolNums',
    'queryMessageThreadPoolNums',
    'adminBrokerThreadPoolNums',
    'clientManageThreadPoolNums',
    'consumerManageThreadPoolNums',
    'heartbeatThreadPoolNums',
    'endTransactionThreadPoolNums',
    'processReplyMessageThreadPoolNums',
    'commercialEnable',
    'filterServerNums',
    'enableCalcFilterBitMap',
    'expectConsumerNumUseFilter',
    'maxErrorRateOfBloomFilter',
    'filterDataCleanTimeSpan',
    'filterSupportRetry',
    'enableSlaveActingMaster',
    'timerWheelEnable',
  ]),
  // --- NettyServerConfig / NettyClientConfig
  ...[
    'serverWorkerThreads',
    'serverCallbackExecutorThreads',
    'serverSelectorThreads',
    'serverOnewaySemaphoreValue',
    'serverAsyncSemaphoreValue',
    'serverChannelMaxIdleTimeSeconds',
    'serverSocketSndBufSize',
    'serverSocketRcvBufSize',
    'serverPooledByteBufAllocatorEnable',
    'useEpollNativeSelector',
    'clientWorkerThreads',
    'clientCallbackExecutorThreads',
    'clientOnewaySemaphoreValue',
    'clientAsyncSemaphoreValue',
    'connectTimeoutMillis',
    'clientChannelMaxIdleTimeSeconds',
    'clientSocketSndBufSize',
    'clientSocketRcvBufSize',
  ].map((key): UnsupportedKey => ({ key, group: 'remoting' })),
  // --- MessageStoreConfig keys of features mqstore does differently (accepted with a warning saying what it does)
  { key: 'dataReadAheadEnable', group: 'store', note: "reads use pread, not the mapping; the kernel's read-ahead stays on" },
  { key: 'deleteCommitLogFilesInterval', group: 'store', note: 'retention deletes up to deleteFileBatchMax segments in one pass, without a pause between them' },
  { key: 'deleteConsumeQueueFilesInterval', group: 'store', note: 'retention deletes ConsumeQueue files in the same pass as their CommitLog segments' },
  { key: 'destroyMapedFileIntervalForcibly', group: 'store', note: 'a deleted segment is unmapped and removed at once (no reader keeps a reference count)' },
  { key: 'destroyMappedFileIntervalForcibly', group: 'store', note: 'a deleted segment is unmapped and removed at once (no reader keeps a reference count)' },
  { key: 'fastFailIfNoBufferInStorePool', group: 'store', note: 'an empty TransientStorePool never fails fast here' },
  { key: 'flushConsumeQueueLeastPages', group: 'store', note: 'ConsumeQueue tails are written and fdatasynced whole every flushIntervalConsumeQueue' },
  { key: 'flushConsumeQueueThoroughInterval', group: 'store', note: 'ConsumeQueue tails are written and fdatasynced whole every flushIntervalConsumeQueue' },
  { key: 'flushDelayOffsetInterval', group: 'store', note: 'mqstore has no delayed-message scheduler (no delayOffset.json)' },
  { key: 'flushLeastPagesWhenWarmMapedFile', group: 'store', note: 'warm-up faults pages in with madvise(MADV_POPULATE_WRITE), no msync while warming' },
  { key: 'flushLeastPagesWhenWarmMappedFile', group: 'store', note: 'warm-up faults pages in with madvise(MADV_POPULATE_WRITE), no msync while warming' },
  { key: 'offsetCheckInSlave', group: 'store', note: 'the store has no pull-offset correction; a broker on it decides' },
  { key: 'putMessageTimeout', group: 'store', note: 'RocketMQ declares it without using it; a put waits at most syncFlushTimeout (flush) and slaveTimeout (replication)' },
  // --- MessageStoreConfig features mqstore does not have
  { key: 'storePathConsumeQueue', group: 'store', note: STORE_PATH_NOTE },
  { key: 'storePathIndex', group: 'store', note: STORE_PATH_NOTE },
  { key: 'storeCheckpoint', group: 'store', note: STORE_PATH_NOTE },
  { key: 'abortFile', group: 'store', note: STORE_PATH_NOTE },
  { key: 'storePathEpochFile', group: 'store', note: STORE_PATH_NOTE },
  { key: 'readOnlyCommitLogStorePaths', group: 'store' },
  { key: 'messageIndexEnable', group: 'store', note: 'mqstore has no message-key index' },
  { key: 'messageIndexSafe', group: 'store', note: 'mqstore has no message-key index' },
  { key: 'maxHashSlotNum', group: 'store', note: 'mqstore has no message-key index' },
  { key: 'maxIndexNum', group: 'store', note: 'mqstore has no message-key index' },
  { key: 'maxMsgsNumBatch', group: 'store' },
  { key: 'defaultQueryMaxNum', group: 'store' },
  { key: 'messageDelayLevel', group: 'store', note: 'mqstore has no delayed-message scheduler' },
  { key: 'enableConsumeQueueExt', group: 'store' },
  { key: 'mappedFileSizeConsumeQueueExt', group: 'store' },
  { key: 'bitMapLengthConsumeQueueExt', group: 'store' },
  { key: 'putMsgIndexHightWater', group: 'store' },
  { key: 'useReentrantLockWhenPutMessage', group: 'store', note: 'appends are serialized by the event loop' },
  { key: 'maxAsyncPutMessageRequests', group: 'store' },
  { key: 'enableRunningFlagsInFlush', group: 'store', note: 'mqstore always stops accepting writes after repeated flush errors' },
  { key: 'redeleteHangedFileInterval', group: 'store' },
  { key: 'maxRecoveryCommitlogFiles', group: 'store' },
  { key: 'duplicationEnable', group: 'store' },
  { key: 'debugLockEnable', group: 'store' },
  { key: 'diskFallRecorded', group: 'store' },
  { key: 'enableScheduleMessageStats', group: 'store' },
  { key: 'enableLmq', group: 'store' },
  { key: 'enableMultiDispatch', group: 'store' },
  { key: 'maxLmqConsumeQueueNum', group: 'store' },
  { key: 'enableCleanExpiredOffset', group: 'store' },
  { key: 'dispatchFromSenderThread', group: 'store' },
  { key: 'haFlowControlEnable', group: 'store' },
  { key: 'maxHaTransferByteInSecond', group: 'store' },
  { key: 'totalReplicas', group: 'store', note: REPLICAS_NOTE },
  { key: 'minInSyncReplicas', group: 'store', note: REPLICAS_NOTE },
  { key: 'allAckInSyncStateSet', group: 'store', note: REPLICAS_NOTE },
  { key: 'enableAutoInSyncReplicas', group: 'store', note: REPLICAS_NOTE },
  // --- DLedger: the mode's keys are config keys now (store-config.ts); this one path is not
  { key: 'storePathDLedgerCommitLog', group: 'dledger', note: 'DLedger mode keeps the RocketMQ CommitLog layout under storePathRootDir' },
  // --- RocketMQ 5 controller mode
  {
    key: 'enableControllerMode',
    group: 'controller',
    refuseTrue: 'false (controller mode is not implemented by mqstore)',
  },
  ...['controllerAddr', 'fetchControllerAddrByDnsLookup', 'syncBrokerMetadataPeriod', 'checkSyncStateSetPeriod', 'haMaxTimeSlaveNotCatchup', 'syncFromLastFile', 'asyncLearner'].map(
    (key): UnsupportedKey => ({ key, group: 'controller' }),
  ),
]);

const BY_KEY: ReadonlyMap<string, UnsupportedKey> = new Map(KNOWN_UNSUPPORTED_KEYS.map((u) => [u.key, u]));

export function findUnsupportedKey(key: string): UnsupportedKey | undefined {
  return BY_KEY.get(key);
}
