// mqstore's public API. Only what users import lives here; everything else is internal.
export { ErrorCode, StoreError, ConfigError, IoError } from './errors.js';
export type { ErrorCodeValue } from './errors.js';
export type {
  FileIO,
  IoBackendChoice,
  IoBackendName,
  IoCapabilities,
  MappedRegion,
  MadviseAdvice,
  OpenOptions,
  SendfileResult,
} from './io/file-io.js';
export { selectFileIO } from './io/select-io.js';
export { loadNativeAddon } from './io/native-addon.js';
export { crc32, crc32c } from './io/crc.js';
export { ControlBlock } from './util/control-block.js';
export { SabMutex } from './util/mutex.js';
export type { Clock } from './util/clock.js';
export { systemClock } from './util/clock.js';
export type { Logger, LogLevel } from './util/logger.js';
export { consoleLogger, memoryLogger } from './util/logger.js';
export { MessageStore } from './store/message-store.js';
export type { MessageStoreDependencies, StoreRuntimeInfo } from './store/message-store.js';
export { PutMessageStatus, GetMessageStatus, isWritten } from './store/statuses.js';
export type { PutMessageInput, PutMessageResult, GetMessageRequest, GetMessageResult, StoredMessage } from './store/statuses.js';
export type { RawReadResult, RawSlice } from './store/raw-read-path.js';
export type { ReplicationGate, ReplicationSource, ReplicationWait } from './replication/replication-types.js';
export { loadStoreConfig, describeConfigKeys } from './config/load-config.js';
export type { StoreConfigInput, UncheckedStoreConfigInput, LoadStoreConfigOptions, ConfigKeyDescription } from './config/load-config.js';
export type { MessageStoreConfig, BrokerRole, FlushDiskType } from './config/store-config.js';
export { startHa } from './ha/ha-service.js';
export type { HaService, HaStatus, HaMasterStatus, HaReplicaStatus, HaOptions, HaStore } from './ha/ha-service.js';
export { openWithRejoin } from './ha/slave-rejoin.js';
export type { RejoinOutcome, RejoinOptions } from './ha/slave-rejoin.js';
export { HaErrorCode } from './ha/ha-errors.js';
export type { HaErrorCodeValue } from './ha/ha-errors.js';
export { openNode } from './node/open-node.js';
export type { OpenNodeOptions, StoreNode, NodePromotion } from './node/open-node.js';
export type { NodeAdminOptions } from './node/node-admin.js';
export type { NodeStatus, NodeIdentity } from './admin/node-status.js';
export { AdminError, AdminErrorCode } from './admin/admin-error.js';
export type { AdminErrorCodeValue } from './admin/admin-error.js';
