// The broker's counters and their Prometheus series keep a bounded number of label sets: past
// the caps new topics / (topic, group) pairs are summed into `_other_`, so totals stay exact.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BrokerCounters, MAX_COUNTED_GROUP_TOPICS, MAX_COUNTED_TOPICS, OTHER_LABEL } from '../../src/broker/broker-counters.js';
import { MAX_GAUGED_GROUP_TOPICS, registerBrokerMetrics, type BrokerMetricsSnapshot } from '../../src/metrics/broker-metrics.js';

describe('BrokerCounters', () => {
  it('counts per topic and per (topic, group) up to the caps, the rest under _other_', () => {
    const c = new BrokerCounters();
    for (let i = 0; i < MAX_COUNTED_TOPICS + 50; i++) c.recordSent(`T${i}`, 'NORMAL', 10);
    c.recordSent('T0', 'NORMAL', 5);
    for (let i = 0; i < MAX_COUNTED_GROUP_TOPICS + 7; i++) c.recordReceived(`G${i}`, 'T', 2);
    c.recordAcked('G0', 'T', 1);
    c.recordAcked('G-new', 'T', 3);
    c.recordSendFailure('TOPIC_NOT_FOUND');
    const s = c.snapshot();
    expect(s.sent.length).toBe(MAX_COUNTED_TOPICS + 1);
    expect(s.sent.find((r) => r.topic === 'T0')).toMatchObject({ messages: 2, bytes: 15 });
    expect(s.sent.find((r) => r.topic === OTHER_LABEL)).toMatchObject({ messages: 50, bytes: 500 });
    expect(s.sent.reduce((n, r) => n + r.messages, 0)).toBe(MAX_COUNTED_TOPICS + 51);
    expect(s.consumed.length).toBe(MAX_COUNTED_GROUP_TOPICS + 1);
    expect(s.consumed.find((r) => r.group === OTHER_LABEL)).toMatchObject({ topic: OTHER_LABEL, received: 14, acked: 3 });
    expect(s.consumed.find((r) => r.group === 'G0')).toMatchObject({ received: 2, acked: 1 });
    expect(s.sendFailures).toEqual([{ code: 'TOPIC_NOT_FOUND', count: 1 }]);
  });
});

describe('broker Prometheus series', () => {
  it('group gauges are capped at MAX_GAUGED_GROUP_TOPICS series plus _other_, with exact totals', async () => {
    const progress = Array.from({ length: MAX_GAUGED_GROUP_TOPICS + 20 }, (_, i) => ({ group: `G${i}`, topic: 'T', brokerOffset: 10, consumerOffset: 4, diff: 6, inflight: 1 }));
    const snapshot: BrokerMetricsSnapshot = { sent: [{ topic: 'T', messageType: 'NORMAL', messages: 3, bytes: 30 }], sendFailures: [], consumed: [], progress, topicOffsets: [{ topic: 'T', maxOffset: 10 }] };
    const registry = new Registry();
    registerBrokerMetrics(registry, () => snapshot);
    const text = await registry.metrics();
    const diffLines = text.split('\n').filter((l) => l.startsWith('rocketmq_group_diff{'));
    expect(diffLines.length).toBe(MAX_GAUGED_GROUP_TOPICS + 1);
    expect(diffLines).toContain('rocketmq_group_diff{group="_other_",topic="_other_"} 120');
    expect(diffLines).toContain('rocketmq_group_diff{group="G0",topic="T"} 6');
    expect(text).toMatch(/^rocketmq_messages_in_total\{topic="T",message_type="NORMAL"\} 3$/m);
    expect(text).toMatch(/^rocketmq_producer_offset\{topic="T"\} 10$/m);
  });

  it('a node without a broker has the series declared and empty', async () => {
    const registry = new Registry();
    registerBrokerMetrics(registry, () => null);
    const text = await registry.metrics();
    expect(text).toMatch(/^# TYPE rocketmq_group_diff gauge$/m);
    expect(text).not.toMatch(/^rocketmq_group_diff\{/m);
  });
});
