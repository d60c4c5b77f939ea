// HA metrics, named as the issue lists them after RocketMQ's exporter (rocketmq_ha_*).
// On a master: the master's max offset, one row per slave connection (acked offset, bytes
// behind, bytes transferred), the connection and in-sync counts. On a slave: its own max
// offset and bytes behind (label slave="self"), the master's max offset it last heard of,
// and connection_count 1 while connected. Without an HA service the per-slave series are absent
// and the unlabeled gauges read 0 (prom-client keeps a 0 sample for an unlabeled gauge after
// reset(); read rocketmq_ha_connection_count and /status `haService` to tell "no HA" apart).
//
// | name                                  | type    | labels | master                     | slave            |
// |---------------------------------------|---------|--------|----------------------------|------------------|
// | rocketmq_ha_master_max_offset         | gauge   |        | CommitLog max offset       | master's, as heard |
// | rocketmq_ha_slave_max_offset          | gauge   | slave  | acked offset per slave     | own max offset   |
// | rocketmq_ha_slave_fall_behind_bytes   | gauge   | slave  | master max - acked         | lagBytes         |
// | rocketmq_ha_transfer_byte_total       | counter | slave  | bytes sent per connection  | bytes received (if reported) |
// | rocketmq_ha_connection_count          | gauge   |        | connected slaves           | 1 / 0            |
// | rocketmq_ha_in_sync_slave_count       | gauge   |        | slaves within haMaxGapNotInSync | 0          |
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSnapshot } from './metrics-source.js';

const SELF = 'self';

export function registerHaMetrics(registry: Registry, snapshot: () => MetricsSnapshot): void {
  const registers = [registry];
  new Gauge({
    name: 'rocketmq_ha_master_max_offset',
    help: 'CommitLog max offset of the master (on a slave: the master offset it last heard of)',
    registers,
    collect() {
      this.reset();
      const ha = snapshot().ha;
      if (ha) this.set(ha.masterMaxOffset);
    },
  });
  new Gauge({
    name: 'rocketmq_ha_slave_max_offset',
    help: 'CommitLog offset a slave has acknowledged (on a slave: its own max offset, slave="self")',
    labelNames: ['slave'],
    registers,
    collect() {
      this.reset();
      const ha = snapshot().ha;
      if (ha?.kind === 'master') for (const s of ha.slaves) this.set({ slave: s.address }, s.ackedOffset);
      else if (ha?.kind === 'slave') this.set({ slave: SELF }, ha.slaveMaxOffset);
    },
  });
  new Gauge({
    name: 'rocketmq_ha_slave_fall_behind_bytes',
    help: 'Bytes a slave is behind the master (RocketMQ "slave fall behind master N bytes")',
    labelNames: ['slave'],
    registers,
    collect() {
      this.reset();
      const ha = snapshot().ha;
      if (ha?.kind === 'master') for (const s of ha.slaves) this.set({ slave: s.address }, s.lagBytes);
      else if (ha?.kind === 'slave') this.set({ slave: SELF }, ha.lagBytes);
    },
  });
  new Counter({
    name: 'rocketmq_ha_transfer_byte_total',
    help: 'CommitLog bytes sent to a slave over its current connection (on a slave: bytes received, when reported)',
    labelNames: ['slave'],
    registers,
    collect() {
      this.reset();
      const ha = snapshot().ha;
      if (ha?.kind === 'master') for (const s of ha.slaves) this.inc({ slave: s.address }, s.transferredBytes);
      else if (ha?.kind === 'slave' && ha.receivedBytes !== undefined) this.inc({ slave: SELF }, ha.receivedBytes);
    },
  });
  new Gauge({
    name: 'rocketmq_ha_connection_count',
    help: 'HA connections: slaves connected to this master, or 1 when this slave is connected to its master',
    registers,
    collect() {
      const ha = snapshot().ha;
      this.set(ha === null ? 0 : ha.kind === 'master' ? ha.slaves.length : ha.connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'rocketmq_ha_in_sync_slave_count',
    help: 'Slaves within haMaxGapNotInSync of the master (RocketMQ #InSyncSlaveNum); 0 on a slave',
    registers,
    collect() {
      this.reset();
      const ha = snapshot().ha;
      if (ha?.kind === 'master') this.set(ha.slaves.filter((s) => s.inSync).length);
    },
  });
}
