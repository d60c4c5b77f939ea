// What the metrics read at each scrape: the store's gauges (a structural subset of
// MessageStore.runtimeInfo(), so metrics/ does not import store/) and the HA status.
// One snapshot is taken per scrape so every metric of one scrape describes the same moment.
import type { HaStatus } from '../admin/ha-status-provider.js';

export interface StoreGauges {
  minPhyOffset: number;
  maxPhyOffset: number;
  wroteOffset: number;
  committedOffset: number;
  flushedOffset: number;
  commitBehindBytes: number;
  flushBehindBytes: number;
  putTps: number;
  putMessageTimesTotal: number;
  dispatchBehindMessages: number;
  diskFull: boolean;
  serviceFailure: string | null;
  transientStorePoolEnable: boolean;
  transientStorePoolAvailable: number | null;
}

/** A DLedger member's gauges (a structural subset of dledger/dledger-status.ts DLedgerStatus). */
export interface DLedgerGauges {
  role: string;
  term: number;
  elections: number;
  confirmOffset: number;
  peers: readonly { id: string; lagBytes: number | null }[];
}

export interface MetricsSource {
  store(): StoreGauges;
  /** The HA status, or null when the node runs no HA service. */
  ha(): HaStatus | null;
  /** The DLedger member's gauges, or null (absent) when the node is not one. */
  dledger?(): DLedgerGauges | null;
}

export interface MetricsSnapshot {
  store: StoreGauges;
  ha: HaStatus | null;
  dledger: DLedgerGauges | null;
}
