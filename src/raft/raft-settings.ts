// The Raft core's settings from the store config's DLedger keys (store-config.ts, DLedger section),
// and the timing defaults the simulator and tests use (the same numbers as the config defaults).
//   electionTimeoutMs = heartBeatTimeIntervalMs x maxHeartBeatLeak; the random election delay is
//   [minVoteIntervalMs, maxVoteIntervalMs] on top; the lease margin is a tenth of the timeout.
import type { MessageStoreConfig } from '../config/store-config.js';
import { parseDLedgerPeers } from '../config/dledger-peers.js';
import type { RaftSettings } from './raft-types.js';

/** Appends in flight per follower (not a key: the window in bytes is this x the batch size). */
export const MAX_INFLIGHT_APPENDS = 16;
/** How often a leader checks whether preferredLeaderId should lead (DLedger: 1 s). */
export const PREFERRED_LEADER_CHECK_MS = 1_000;

export type RaftTiming = Omit<RaftSettings, 'selfId' | 'peers' | 'ackPosition' | 'preferredLeaderId'>;

export function raftTiming(config: Pick<MessageStoreConfig, 'heartBeatTimeIntervalMs' | 'maxHeartBeatLeak' | 'minVoteIntervalMs' | 'maxVoteIntervalMs' | 'maxPushTimeOutMs' | 'enableBatchPush' | 'maxBatchPushSize' | 'haTransferBatchSize' | 'leadershipTransferWaitTimeout' | 'leadershipTransferMaxLagBytes'>): RaftTiming {
  const electionTimeoutMs = config.heartBeatTimeIntervalMs * config.maxHeartBeatLeak;
  return {
    heartbeatIntervalMs: config.heartBeatTimeIntervalMs,
    electionTimeoutMs,
    electionJitterMinMs: config.minVoteIntervalMs,
    electionJitterMaxMs: config.maxVoteIntervalMs,
    leaseMarginMs: Math.ceil(electionTimeoutMs / 10),
    maxAppendBytes: config.enableBatchPush ? config.maxBatchPushSize : config.haTransferBatchSize,
    maxInflightAppends: MAX_INFLIGHT_APPENDS,
    appendTimeoutMs: config.maxPushTimeOutMs,
    transferMaxLagBytes: config.leadershipTransferMaxLagBytes,
    transferTimeoutMs: config.leadershipTransferWaitTimeout,
    preferredLeaderCheckIntervalMs: PREFERRED_LEADER_CHECK_MS,
    preVote: true,
    currentTermCommitRule: true,
  };
}

/** The whole settings of this member (config already cross-checked: DLedger keys present and valid). */
export function raftSettingsFromConfig(config: MessageStoreConfig): RaftSettings {
  const peers = parseDLedgerPeers(config.dLegerPeers ?? '');
  if (typeof peers === 'string') throw new Error(`dLegerPeers: ${peers}`);
  return {
    ...raftTiming(config),
    selfId: config.dLegerSelfId ?? '',
    peers: peers.map((p) => p.id),
    ackPosition: config.flushDiskType === 'SYNC_FLUSH' ? 'flushed' : 'written',
    preferredLeaderId: config.preferredLeaderId,
  };
}
