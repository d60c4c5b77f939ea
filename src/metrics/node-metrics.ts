// The Prometheus metrics of one store node, in a private prom-client Registry (never the global
// one, so two nodes in one process, or a host application's own metrics, do not collide).
// Gauges are read at scrape time from one snapshot of the MetricsSource; the put latency is a
// histogram fed by recordPutLatency(ms), which whoever performs puts calls (the store does not
// call it itself: see the report of issue 4).
//
// Store metrics (names from RocketMQ where one exists, else mqstore_*):
// | name                                              | type      | value                                   |
// |---------------------------------------------------|-----------|-----------------------------------------|
// | rocketmq_storage_flush_behind_bytes               | gauge     | wrote - flushed (5.x: toCommit + toFlush) |
// | rocketmq_brokeruntime_remain_howmanydata_toflush  | gauge     | committed - flushed (exporter)          |
// | rocketmq_brokeruntime_commitlog_maxoffset         | gauge     | committed end of the CommitLog          |
// | rocketmq_brokeruntime_commitlog_minoffset         | gauge     | first offset still on disk              |
// | rocketmq_brokeruntime_put_tps                     | gauge     | puts/s over the store's last 1 s window |
// | rocketmq_brokeruntime_putmessage_times_total      | counter   | messages put since open                 |
// | rocketmq_brokeruntime_remain_transientstore_buffer_numbs | gauge | free TSP buffers (2^31-1 when TSP is off, as RocketMQ) |
// | mqstore_put_latency_ms                            | histogram | put latency, RocketMQ's distribution edges |
// | mqstore_flushed_offset / mqstore_committed_offset / mqstore_wrote_offset | gauge | positions |
// | mqstore_dispatch_behind_messages                  | gauge     | records waiting for ConsumeQueue dispatch |
// | mqstore_disk_full / mqstore_service_failed        | gauge     | 1 when puts are refused for that reason |
// plus the HA metrics (ha-metrics.ts), the DLedger metrics (dledger-metrics.ts) and prom-client's process_* / nodejs_* defaults.
// Default labels on every series: cluster, broker, broker_id.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerDLedgerMetrics } from './dledger-metrics.js';
import { registerHaMetrics } from './ha-metrics.js';
import type { MetricsSnapshot, MetricsSource, StoreGauges } from './metrics-source.js';

/** RocketMQ's putMessageDistributeTime edges (ms): 0, 0-10, 10-50, ... 5-10 s, >10 s. */
export const PUT_LATENCY_BUCKETS_MS = [0, 10, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000, 10000];
const JAVA_INT_MAX = 2 ** 31 - 1;

export interface NodeMetricsLabels {
  cluster: string;
  broker: string;
  brokerId: number;
}

export interface NodeMetrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Record one put's latency (from the call to its result), in milliseconds. */
  recordPutLatency(ms: number): void;
  /** The exposition text of every metric, from one snapshot of the source. */
  metricsText(): Promise<string>;
}

export function createNodeMetrics(source: MetricsSource, labels: NodeMetricsLabels, options: { processMetrics?: boolean } = {}): NodeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ cluster: labels.cluster, broker: labels.broker, broker_id: String(labels.brokerId) });
  let current: MetricsSnapshot | null = null;
  const snapshot = (): MetricsSnapshot => (current ??= { store: source.store(), ha: source.ha(), dledger: source.dledger?.() ?? null });
  registerStoreGauges(registry, () => snapshot().store);
  registerHaMetrics(registry, snapshot);
  registerDLedgerMetrics(registry, snapshot);
  const latency = new Histogram({
    name: 'mqstore_put_latency_ms',
    help: 'Put latency in milliseconds, from the call to its result (RocketMQ putMessageDistributeTime edges)',
    buckets: PUT_LATENCY_BUCKETS_MS,
    registers: [registry],
  });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    contentType: registry.contentType,
    recordPutLatency(ms: number): void {
      if (Number.isFinite(ms) && ms >= 0) latency.observe(ms);
    },
    async metricsText(): Promise<string> {
      // Every collect() runs synchronously inside registry.metrics() before its first await,
      // so one snapshot serves the whole scrape; it is dropped right after.
      current = null;
      const text = registry.metrics();
      current = null;
      return text;
    },
  };
}

function registerStoreGauges(registry: Registry, store: () => StoreGauges): void {
  const gauge = (name: string, help: string, value: (s: StoreGauges) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(store()));
      },
    });
  };
  gauge('rocketmq_storage_flush_behind_bytes', 'Bytes written but not yet flushed to disk (not yet committed + not yet flushed)', (s) => s.commitBehindBytes + s.flushBehindBytes);
  gauge('rocketmq_brokeruntime_remain_howmanydata_toflush', 'Committed bytes not yet flushed (RocketMQ remainHowManyDataToFlush)', (s) => s.flushBehindBytes);
  gauge('rocketmq_brokeruntime_commitlog_maxoffset', 'CommitLog max (committed) offset', (s) => s.maxPhyOffset);
  gauge('rocketmq_brokeruntime_commitlog_minoffset', 'CommitLog min offset (first byte still on disk)', (s) => s.minPhyOffset);
  gauge('rocketmq_brokeruntime_put_tps', 'Messages put per second over the last 1 s window', (s) => s.putTps);
  gauge(
    'rocketmq_brokeruntime_remain_transientstore_buffer_numbs',
    'Free TransientStorePool buffers (2147483647 when the pool is off, as RocketMQ)',
    (s) => (s.transientStorePoolEnable ? (s.transientStorePoolAvailable ?? 0) : JAVA_INT_MAX),
  );
  gauge('mqstore_flushed_offset', 'CommitLog offset known flushed (fdatasync/msync)', (s) => s.flushedOffset);
  gauge('mqstore_committed_offset', 'CommitLog offset committed to the file (readable)', (s) => s.committedOffset);
  gauge('mqstore_wrote_offset', 'CommitLog offset written into the write buffer', (s) => s.wroteOffset);
  gauge('mqstore_dispatch_behind_messages', 'Records written but not yet in their ConsumeQueue', (s) => s.dispatchBehindMessages);
  gauge('mqstore_disk_full', '1 while puts are refused because the disk is full', (s) => (s.diskFull ? 1 : 0));
  gauge('mqstore_service_failed', '1 after a persistence failure stopped the store accepting writes', (s) => (s.serviceFailure !== null ? 1 : 0));
  new Counter({
    name: 'rocketmq_brokeruntime_putmessage_times_total',
    help: 'Messages put since the store opened (RocketMQ putMessageTimesTotal)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(store().putMessageTimesTotal);
    },
  });
}
