// The six rows of the TPS table every RocketMQ article prints, with the articles' ranges for one
// broker (as quoted in issue 5; anecdotal, see the store spec §10), and how to run each here; then
// two DLedger rows (a 3-member Raft group; the articles quote no range for them).
import type { BrokerRole, FlushDiskType } from '../../src/config/store-config.js';

export interface TpsMode {
  id: string;
  label: string;
  flushDiskType: FlushDiskType;
  /** null: a single node (no slave). */
  brokerRole: BrokerRole | null;
  /** DLedger mode: the group's member count (the bench process runs the leader); absent: classic. */
  dledgerMembers?: number;
  /** The RocketMQ articles' msg/s range for this mode (null: the articles give none). */
  articleRange: readonly [number, number] | null;
}

export const TPS_MODES: readonly TpsMode[] = [
  { id: 'async-flush', label: 'ASYNC_FLUSH (single node)', flushDiskType: 'ASYNC_FLUSH', brokerRole: null, articleRange: [10_000, 50_000] },
  { id: 'sync-flush', label: 'SYNC_FLUSH (single node)', flushDiskType: 'SYNC_FLUSH', brokerRole: null, articleRange: [1_000, 3_000] },
  { id: 'async-flush-async-master', label: 'ASYNC_FLUSH + ASYNC_MASTER', flushDiskType: 'ASYNC_FLUSH', brokerRole: 'ASYNC_MASTER', articleRange: [40_000, 50_000] },
  { id: 'sync-flush-async-master', label: 'SYNC_FLUSH + ASYNC_MASTER', flushDiskType: 'SYNC_FLUSH', brokerRole: 'ASYNC_MASTER', articleRange: [8_000, 10_000] },
  { id: 'async-flush-sync-master', label: 'ASYNC_FLUSH + SYNC_MASTER', flushDiskType: 'ASYNC_FLUSH', brokerRole: 'SYNC_MASTER', articleRange: [10_000, 15_000] },
  { id: 'sync-flush-sync-master', label: 'SYNC_FLUSH + SYNC_MASTER', flushDiskType: 'SYNC_FLUSH', brokerRole: 'SYNC_MASTER', articleRange: [3_000, 5_000] },
  // DLedger: PUT_OK once a majority wrote (ASYNC_FLUSH) or fsynced (SYNC_FLUSH) the put
  { id: 'dledger-async-flush', label: 'DLedger 3 members, ASYNC_FLUSH', flushDiskType: 'ASYNC_FLUSH', brokerRole: null, dledgerMembers: 3, articleRange: null },
  { id: 'dledger-sync-flush', label: 'DLedger 3 members, SYNC_FLUSH', flushDiskType: 'SYNC_FLUSH', brokerRole: null, dledgerMembers: 3, articleRange: null },
];
