// The gRPC broker's Prometheus series, read at scrape time from a BrokerMetricsSource (the
// broker's counters and the consumer progress rows; no per-request work here). Names are
// RocketMQ 5's broker metrics or rocketmq-exporter's where one exists, else mqstore_*:
// | name                                   | type    | labels                    | value                          |
// |----------------------------------------|---------|---------------------------|--------------------------------|
// | rocketmq_messages_in_total             | counter | topic, message_type       | messages put (send OK)         |
// | rocketmq_throughput_in_total           | counter | topic, message_type       | body bytes put                 |
// | rocketmq_messages_out_total            | counter | topic, consumer_group     | messages delivered (receive)   |
// | mqstore_broker_acks_total              | counter | topic, consumer_group     | messages acked                 |
// | mqstore_broker_send_failures_total     | counter | code                      | messages refused / failed, by v2 status code |
// | rocketmq_producer_offset               | gauge   | topic                     | sum of the topic's queue max offsets (exporter) |
// | rocketmq_consumer_offset               | gauge   | group, topic              | sum of the group's committed offsets (exporter) |
// | rocketmq_group_diff                    | gauge   | group, topic              | lag: broker offset - consumer offset, summed over queues (exporter) |
// | mqstore_group_inflight                 | gauge   | group, topic              | delivered, not yet acked       |
// Rates (rocketmq-exporter's rocketmq_producer_tps / rocketmq_consumer_tps) are
// rate(rocketmq_messages_in_total[1m]) / rate(rocketmq_messages_out_total[1m]).
// Cardinality: the broker's counters keep at most MAX_COUNTED_TOPICS topics and
// MAX_COUNTED_GROUP_TOPICS (topic, group) pairs (broker-counters.ts), the progress gauges at most
// MAX_GAUGED_TOPICS topics and MAX_GAUGED_GROUP_TOPICS pairs; later ones are summed into the
// `_other_` label, so a scrape has a bounded number of series whatever clients do.
import { Counter, Gauge, type Registry } from 'prom-client';

export const MAX_GAUGED_TOPICS = 256;
export const MAX_GAUGED_GROUP_TOPICS = 1024;
const OTHER = '_other_';

export interface BrokerMetricsSnapshot {
  sent: Array<{ topic: string; messageType: string; messages: number; bytes: number }>;
  sendFailures: Array<{ code: string; count: number }>;
  consumed: Array<{ topic: string; group: string; received: number; acked: number }>;
  /** Per (group, topic, queue): the consumerProgress rows without timestamps. */
  progress: Array<{ group: string; topic: string; brokerOffset: number; consumerOffset: number | null; diff: number; inflight: number }>;
  /** Per topic: the sum of its queues' max offsets. */
  topicOffsets: Array<{ topic: string; maxOffset: number }>;
}

export function registerBrokerMetrics(registry: Registry, snapshot: () => BrokerMetricsSnapshot | null): void {
  const counter = (name: string, help: string, labelNames: string[], fill: (c: Counter<string>, s: BrokerMetricsSnapshot) => void): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        const s = snapshot();
        if (s) fill(this, s);
      },
    });
  };
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge<string>, s: BrokerMetricsSnapshot) => void): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        const s = snapshot();
        if (s) fill(this, s);
      },
    });
  };
  counter('rocketmq_messages_in_total', 'Messages put by SendMessage (status OK)', ['topic', 'message_type'], (c, s) => {
    for (const r of s.sent) c.inc({ topic: r.topic, message_type: r.messageType }, r.messages);
  });
  counter('rocketmq_throughput_in_total', 'Message body bytes put by SendMessage', ['topic', 'message_type'], (c, s) => {
    for (const r of s.sent) c.inc({ topic: r.topic, message_type: r.messageType }, r.bytes);
  });
  counter('rocketmq_messages_out_total', 'Messages delivered by ReceiveMessage (redeliveries included)', ['topic', 'consumer_group'], (c, s) => {
    for (const r of s.consumed) c.inc({ topic: r.topic, consumer_group: r.group }, r.received);
  });
  counter('mqstore_broker_acks_total', 'Messages acknowledged by AckMessage', ['topic', 'consumer_group'], (c, s) => {
    for (const r of s.consumed) c.inc({ topic: r.topic, consumer_group: r.group }, r.acked);
  });
  counter('mqstore_broker_send_failures_total', 'Messages SendMessage refused or failed, by v2 status code', ['code'], (c, s) => {
    for (const r of s.sendFailures) c.inc({ code: r.code }, r.count);
  });
  gauge('rocketmq_producer_offset', "Sum of the topic's queue max offsets (rocketmq-exporter)", ['topic'], (g, s) => {
    for (const [topic, v] of capped(s.topicOffsets.map((r) => [r.topic, r.maxOffset] as const), MAX_GAUGED_TOPICS)) g.set({ topic }, v);
  });
  const perGroupTopic = (value: (r: BrokerMetricsSnapshot['progress'][number]) => number) => (g: Gauge<string>, s: BrokerMetricsSnapshot) => {
    const sums = capped(
      s.progress.map((r) => [`${r.group}\u0001${r.topic}`, value(r)] as const),
      MAX_GAUGED_GROUP_TOPICS,
    );
    for (const [key, v] of sums) {
      const [group, topic] = key === OTHER ? [OTHER, OTHER] : key.split('\u0001');
      g.set({ group: group!, topic: topic! }, v);
    }
  };
  gauge('rocketmq_consumer_offset', "Sum of the group's committed offsets over the topic's queues (rocketmq-exporter)", ['group', 'topic'], perGroupTopic((r) => r.consumerOffset ?? 0));
  gauge('rocketmq_group_diff', 'Consumer lag: broker offset - consumer offset, summed over the queues (rocketmq-exporter)', ['group', 'topic'], perGroupTopic((r) => r.diff));
  gauge('mqstore_group_inflight', 'Messages delivered to the group and not yet acked', ['group', 'topic'], perGroupTopic((r) => r.inflight));
}

/** Sums by key, keeping the first `cap` keys; the others are summed under OTHER. */
function capped(entries: ReadonlyArray<readonly [string, number]>, cap: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of entries) {
    const key = out.has(k) || out.size < cap ? k : OTHER;
    out.set(key, (out.get(key) ?? 0) + v);
  }
  return out;
}
