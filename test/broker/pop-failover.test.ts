// The pop state replicates with the log: an in-process master/slave pair (classic HA, both with
// the gRPC broker), the official client consumes on the master (acks two of four, two stay in
// flight); the master goes away, the slave is promoted, and the slave's broker, replaying the
// journal it received, delivers only the two unacked messages, as their second delivery, and
// nothing acked. Waits are on positions and client calls with deadlines; no sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { openNode, type StoreNode } from '../../src/node/open-node.js';
import { memoryLogger } from '../../src/util/logger.js';
import { HA_TEST_DEFAULTS } from '../helpers/ha-inproc.js';
import { CALM_DISK_USAGE, smallConfig, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';
import { Clients } from './broker-harness.js';

const newDir = tempDirs('mqstore-pop-failover-');
const nodes: StoreNode[] = [];
const clientSets: Clients[] = [];

afterEach(async () => {
  for (const c of clientSets.splice(0)) await c.closeAll();
  for (const n of nodes.splice(0).reverse()) await n.close();
});

async function node(overrides: Record<string, unknown>): Promise<StoreNode> {
  const n = await openNode(smallConfig(newDir(), 'node', { ...HA_TEST_DEFAULTS, listenPort: 0, maxMessageSize: 65_536, mappedFileSizeCommitLog: 1 << 20, defaultTopicQueueNums: 1, ...overrides }), {
    logger: memoryLogger(),
    ha: { listenPort: 0, backoffMaxMs: 500 },
    store: { diskUsage: CALM_DISK_USAGE },
    broker: {},
  });
  nodes.push(n);
  return n;
}

describe('pop state across a failover (classic HA)', () => {
  it('the promoted slave delivers only what the master had not acked, as the next attempt', async () => {
    const master = await node({ brokerRole: 'ASYNC_MASTER' });
    const slave = await node({ brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: `127.0.0.1:${master.haPort()}` });
    const onMaster = new Clients(`127.0.0.1:${master.broker!.port}`);
    clientSets.push(onMaster);
    const producer = await onMaster.producer(['Failover']);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await producer.send({ topic: 'Failover', body: Buffer.from(`f${i}`) })).messageId);
    const consumer = await onMaster.consumer('FailoverGroup', { Failover: '*' }, 1_000);
    const got = new Map<string, Awaited<ReturnType<typeof consumer.receive>>[number]>();
    for (let round = 0; round < 8 && got.size < 4; round++) for (const m of await consumer.receive(4, 1_000)) got.set(m.messageId, m);
    expect([...got.keys()].sort()).toEqual([...ids].sort());
    await consumer.ack(got.get(ids[0]!)!);
    await consumer.ack(got.get(ids[1]!)!);
    await onMaster.closeAll();
    const end = master.store.getMaxPhyOffset();
    await waitUntil(() => slave.store.runtimeInfo().wroteOffset >= end, 'the slave to have the master log, journal included', 20_000);
    await master.close();
    nodes.splice(nodes.indexOf(master), 1);
    await slave.promote('ASYNC_MASTER');

    const onSlave = new Clients(`127.0.0.1:${slave.broker!.port}`);
    clientSets.push(onSlave);
    const again = await onSlave.consumer('FailoverGroup', { Failover: '*' }, 2_000);
    const after = new Map<string, number | undefined>();
    for (let round = 0; round < 8 && after.size < 2; round++) {
      for (const m of await again.receive(4, 1_000)) {
        after.set(m.messageId, m.deliveryAttempt);
        await again.ack(m);
      }
    }
    expect(Object.fromEntries(after)).toEqual({ [ids[2]!]: 2, [ids[3]!]: 2 });
    expect(await again.receive(4, 1_000)).toEqual([]);
  });
});
