// Consumer groups with the OFFICIAL client: two SimpleConsumers of one group share the work (no
// message to both, every message to one), a second group gets every message on its own; a
// PushConsumer (QueryAssignment, ReceiveMessage with auto_renew, acks) consumes everything, a
// FAILURE from its listener comes back (ChangeInvisibleDuration with the advertised back-off)
// with attempt 2, and its shutdown is bounded by the advertised long polling
// (grpcPushConsumerLongPollingMs). Waits are client calls or waitUntil with deadlines.
import { ConsumeResult } from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { Clients, openBroker, type InProcessBroker } from './broker-harness.js';

const newDir = tempDirs('mqstore-broker-groups-');
let open: { broker: InProcessBroker; clients: Clients }[] = [];

async function setUp(overrides: Record<string, unknown> = {}): Promise<{ broker: InProcessBroker; clients: Clients }> {
  const broker = await openBroker(newDir(), overrides);
  const pair = { broker, clients: new Clients(broker.endpoints) };
  open.push(pair);
  return pair;
}

afterEach(async () => {
  for (const { broker, clients } of open.splice(0)) {
    await clients.closeAll();
    await broker.close();
  }
});

function committedSum(broker: InProcessBroker, group: string, topic: string, queues: number): number {
  let n = 0;
  for (let q = 0; q < queues; q++) n += Math.max(0, broker.store.queryOffset(group, topic, q));
  return n;
}

describe('consumer groups', () => {
  it('two consumers of a group share the messages without duplicates; another group gets all of them', async () => {
    const { clients } = await setUp({ defaultTopicQueueNums: 4 });
    const producer = await clients.producer(['Shared']);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add((await producer.send({ topic: 'Shared', body: Buffer.from(`s${i}`) })).messageId);
    const a = await clients.consumer('Workers', { Shared: '*' }, 1_000);
    const b = await clients.consumer('Workers', { Shared: '*' }, 1_000);
    const byA: string[] = [];
    const byB: string[] = [];
    for (let round = 0; round < 30 && byA.length + byB.length < 20; round++) {
      for (const [c, into] of [[a, byA], [b, byB]] as const) {
        for (const m of await c.receive(3, 15_000)) {
          into.push(m.messageId);
          await c.ack(m);
        }
      }
    }
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
    expect([...byA, ...byB].sort()).toEqual([...ids].sort()); // every one once: no duplicates
    const other = await clients.consumer('Auditors', { Shared: '*' }, 1_000);
    const all = new Set<string>();
    for (let round = 0; round < 10 && all.size < 20; round++) for (const m of await other.receive(16, 15_000)) (all.add(m.messageId), await other.ack(m));
    expect([...all].sort()).toEqual([...ids].sort());
  });

  it('a PushConsumer consumes and acks; a FAILURE comes back with attempt 2; shutdown is bounded', async () => {
    const { broker, clients } = await setUp({ defaultTopicQueueNums: 2, grpcPushConsumerLongPollingMs: 2_000 });
    const producer = await clients.producer(['Pushed']);
    const attempts = new Map<string, number[]>();
    let succeeded = 0;
    const consumer = await clients.pushConsumer('Pushers', { Pushed: '*' }, {
      consume: (m) => {
        const body = m.body.toString();
        attempts.set(body, [...(attempts.get(body) ?? []), m.deliveryAttempt ?? 0]);
        if (body === 'fail-once' && m.deliveryAttempt === 1) return ConsumeResult.FAILURE;
        succeeded++;
        return ConsumeResult.SUCCESS;
      },
    });
    for (const body of ['p0', 'p1', 'fail-once', 'p3']) await producer.send({ topic: 'Pushed', body: Buffer.from(body) });
    await waitUntil(() => succeeded >= 4, 'the push consumer to consume all four', 30_000);
    expect(attempts.get('fail-once')).toEqual([1, 2]);
    for (const b of ['p0', 'p1', 'p3']) expect(attempts.get(b)).toEqual([1]);
    await waitUntil(() => committedSum(broker, 'Pushers', 'Pushed', 2) === 4, 'the acks to commit all four', 20_000);
    const t = performance.now();
    await clients.shutdown(consumer);
    expect(performance.now() - t).toBeLessThan(15_000);
  });
});
