// The node's Prometheus metrics from a stub source: names and values for a master with slaves,
// a slave, and a node without HA; the put latency histogram; a private registry per node.
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { normalizeHaStatus, type HaStatus } from '../../src/admin/ha-status-provider.js';
import type { StoreGauges } from '../../src/metrics/metrics-source.js';
import { createNodeMetrics, PUT_LATENCY_BUCKETS_MS } from '../../src/metrics/node-metrics.js';

const STORE: StoreGauges = {
  minPhyOffset: 0,
  maxPhyOffset: 9000,
  wroteOffset: 9500,
  committedOffset: 9000,
  flushedOffset: 8000,
  commitBehindBytes: 500,
  flushBehindBytes: 1000,
  putTps: 123.5,
  putMessageTimesTotal: 77,
  dispatchBehindMessages: 3,
  diskFull: false,
  serviceFailure: null,
  transientStorePoolEnable: false,
  transientStorePoolAvailable: null,
};

const LABELS = { cluster: 'C', broker: 'b', brokerId: 0 };

function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = /^(\S+?)(\{.*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '').replace(/,?(cluster|broker|broker_id)="[^"]*"/g, '').replace(/^\{,?/, '{').replace(/\{\}$/, '');
    out.set(`${m[1]}${labels === '{' ? '' : labels}`, Number(m[3]));
  }
  return out;
}

async function scrape(ha: HaStatus | null, store: StoreGauges = STORE): Promise<{ text: string; values: Map<string, number> }> {
  const metrics = createNodeMetrics({ store: () => store, ha: () => ha }, LABELS, { processMetrics: false });
  const text = await metrics.metricsText();
  return { text, values: samples(text) };
}

describe('node metrics', () => {
  it('store gauges: flush behind, positions, TPS, put count, pool buffers, health flags', async () => {
    const { values, text } = await scrape(null);
    expect(values.get('rocketmq_storage_flush_behind_bytes')).toBe(1500);
    expect(values.get('rocketmq_brokeruntime_remain_howmanydata_toflush')).toBe(1000);
    expect(values.get('rocketmq_brokeruntime_commitlog_maxoffset')).toBe(9000);
    expect(values.get('rocketmq_brokeruntime_commitlog_minoffset')).toBe(0);
    expect(values.get('rocketmq_brokeruntime_put_tps')).toBe(123.5);
    expect(values.get('rocketmq_brokeruntime_putmessage_times_total')).toBe(77);
    expect(values.get('rocketmq_brokeruntime_remain_transientstore_buffer_numbs')).toBe(2 ** 31 - 1);
    expect(values.get('mqstore_flushed_offset')).toBe(8000);
    expect(values.get('mqstore_dispatch_behind_messages')).toBe(3);
    expect(values.get('mqstore_disk_full')).toBe(0);
    expect(values.get('mqstore_service_failed')).toBe(0);
    expect(text).toContain('# TYPE rocketmq_brokeruntime_putmessage_times_total counter');
    expect(text).toMatch(/^rocketmq_brokeruntime_commitlog_maxoffset\{cluster="C",broker="b",broker_id="0"\} 9000$/m);
    const failing = await scrape(null, { ...STORE, diskFull: true, serviceFailure: 'EIO', transientStorePoolEnable: true, transientStorePoolAvailable: 2 });
    expect([failing.values.get('mqstore_disk_full'), failing.values.get('mqstore_service_failed')]).toEqual([1, 1]);
    expect(failing.values.get('rocketmq_brokeruntime_remain_transientstore_buffer_numbs')).toBe(2);
  });

  it('HA on a master: one series per slave, counts; a node without HA has connection_count 0', async () => {
    const ha = normalizeHaStatus({
      role: 'SYNC_MASTER',
      listenPort: 1,
      masterMaxOffset: 9000,
      slaves: [
        { address: 'a:1', ackedOffset: 9000, lagBytes: 0, transferredBytes: 9000, inSync: true },
        { address: 'b:2', ackedOffset: 100, lagBytes: 8900, transferredBytes: 100, inSync: false },
      ],
    });
    const { values, text } = await scrape(ha);
    expect(values.get('rocketmq_ha_master_max_offset')).toBe(9000);
    expect(values.get('rocketmq_ha_slave_max_offset{slave="a:1"}')).toBe(9000);
    expect(values.get('rocketmq_ha_slave_max_offset{slave="b:2"}')).toBe(100);
    expect(values.get('rocketmq_ha_slave_fall_behind_bytes{slave="b:2"}')).toBe(8900);
    expect(values.get('rocketmq_ha_transfer_byte_total{slave="a:1"}')).toBe(9000);
    expect(values.get('rocketmq_ha_connection_count')).toBe(2);
    expect(values.get('rocketmq_ha_in_sync_slave_count')).toBe(1);
    expect(text).toContain('# TYPE rocketmq_ha_transfer_byte_total counter');
    const none = await scrape(null);
    expect(none.values.get('rocketmq_ha_connection_count')).toBe(0);
    expect([...none.values.keys()].filter((k) => k.startsWith('rocketmq_ha_slave'))).toEqual([]);
  });

  it('HA on a slave: its own offset and lag as slave="self", connected = 1 connection', async () => {
    const ha = normalizeHaStatus({ role: 'SLAVE', masterAddress: 'm:1', connected: true, slaveMaxOffset: 800, masterMaxOffset: 1000, lagBytes: 200, receivedBytes: 800 });
    const { values } = await scrape(ha);
    expect(values.get('rocketmq_ha_slave_max_offset{slave="self"}')).toBe(800);
    expect(values.get('rocketmq_ha_slave_fall_behind_bytes{slave="self"}')).toBe(200);
    expect(values.get('rocketmq_ha_transfer_byte_total{slave="self"}')).toBe(800);
    expect(values.get('rocketmq_ha_master_max_offset')).toBe(1000);
    expect(values.get('rocketmq_ha_connection_count')).toBe(1);
    expect(values.get('rocketmq_ha_in_sync_slave_count')).toBe(0);
  });

  it('DLedger: term, role, elections, confirm offset and per-peer lag; absent on a node that is no member', async () => {
    const dledger = { role: 'LEADER', term: 4, elections: 2, confirmOffset: 8800, peers: [{ id: 'n1', lagBytes: 0 }, { id: 'n2', lagBytes: 700 }, { id: 'n3', lagBytes: null }] };
    const metrics = createNodeMetrics({ store: () => STORE, ha: () => null, dledger: () => dledger }, LABELS, { processMetrics: false });
    const values = samples(await metrics.metricsText());
    expect(values.get('rocketmq_dledger_term')).toBe(4);
    expect(values.get('rocketmq_dledger_elections')).toBe(2);
    expect(values.get('rocketmq_dledger_confirm_offset')).toBe(8800);
    expect(values.get('rocketmq_dledger_role{role="LEADER"}')).toBe(1);
    expect(values.get('rocketmq_dledger_peer_lag_bytes{peer="n2"}')).toBe(700);
    expect(values.get('rocketmq_dledger_peer_lag_bytes{peer="n1"}')).toBe(0);
    expect(values.has('rocketmq_dledger_peer_lag_bytes{peer="n3"}')).toBe(false);
    const none = await scrape(null);
    expect([...none.values.keys()].some((k) => k.startsWith('rocketmq_dledger_role'))).toBe(false);
  });

  it('recordPutLatency fills the histogram with RocketMQ edges; bad values are ignored', async () => {
    const metrics = createNodeMetrics({ store: () => STORE, ha: () => null }, LABELS, { processMetrics: false });
    for (const ms of [0, 3, 7, 45, 250, 20_000, -1, Number.NaN]) metrics.recordPutLatency(ms);
    const values = samples(await metrics.metricsText());
    expect(values.get('mqstore_put_latency_ms_count')).toBe(6);
    expect(values.get('mqstore_put_latency_ms_bucket{le="0"}')).toBe(1);
    expect(values.get('mqstore_put_latency_ms_bucket{le="10"}')).toBe(3);
    expect(values.get('mqstore_put_latency_ms_bucket{le="50"}')).toBe(4);
    expect(values.get('mqstore_put_latency_ms_bucket{le="500"}')).toBe(5);
    expect(values.get('mqstore_put_latency_ms_bucket{le="+Inf"}')).toBe(6);
    expect(PUT_LATENCY_BUCKETS_MS.at(-1)).toBe(10_000);
  });

  it('each node has a private registry: two in one process do not collide, the global one stays empty', async () => {
    const one = createNodeMetrics({ store: () => STORE, ha: () => null }, LABELS);
    const two = createNodeMetrics({ store: () => ({ ...STORE, maxPhyOffset: 1 }), ha: () => null }, { ...LABELS, broker: 'other' });
    expect(samples(await one.metricsText()).get('rocketmq_brokeruntime_commitlog_maxoffset')).toBe(9000);
    expect(samples(await two.metricsText()).get('rocketmq_brokeruntime_commitlog_maxoffset')).toBe(1);
    expect(await one.metricsText()).toMatch(/^process_cpu_user_seconds_total/m);
    expect(await globalRegistry.metrics()).not.toContain('rocketmq_');
  });

  it('one snapshot per scrape: the source is read once', async () => {
    let reads = 0;
    const metrics = createNodeMetrics(
      {
        store: () => {
          reads++;
          return STORE;
        },
        ha: () => null,
      },
      LABELS,
      { processMetrics: false },
    );
    await metrics.metricsText();
    await metrics.metricsText();
    expect(reads).toBe(2);
  });
});
