// Delay and transaction state replicate with the CommitLog: a master (in-process HA) runs the
// delay timer and the transaction service; its slave, promoted after the master stops, rebuilds
// both from the replicated log. The slave's timer is idle while it is a SLAVE (nothing delivered
// there); after the promotion it delivers exactly the pending delay messages plus the documented
// window (deliveries after the last progress record), and the promoted node's transaction service
// has the pending half (its commit delivers it) and not the rolled-back one.
import { describe, expect, it } from 'vitest';
import { DelayTimer } from '../../src/broker/timer/delay-timer.js';
import { delayedPut } from '../../src/broker/timer/delay-send.js';
import { TransactionService } from '../../src/broker/transaction/transaction-service.js';
import { TIMER_PROGRESS_TOPIC } from '../../src/broker/system-topics.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { ManualClock } from '../../src/util/clock.js';
import { consoleLogger } from '../../src/util/logger.js';
import { ManualScheduler } from '../../src/util/scheduler.js';
import { startMaster, startSlave, stopNode, stopNodesAfterEach, waitCaughtUp, waitSlaves } from '../helpers/ha-inproc.js';
import { waitCommitted } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const newDir = tempDirs('mqstore-timer-ha-');
const track = stopNodesAfterEach();
const REAL = 'FailoverReal';
const KEYS = { timerCheckpointIntervalMs: 1500, transactionTimeOut: 600_000 };

async function ids(store: MessageStore): Promise<string[]> {
  await waitCommitted(store);
  const got = await store.getMessage({ group: 'g', topic: REAL, queueId: 0, offset: 0, maxMsgNums: 100 });
  return got.messages.map((m) => m.properties.UNIQ_KEY!);
}

describe('delay timer and transactions across a failover', () => {
  it('the promoted slave rebuilds both from the replicated log', async () => {
    const master = await track(startMaster(newDir(), 'node', 'ASYNC_MASTER', KEYS));
    const slave = await track(startSlave(newDir(), 'node', master, 1, KEYS));
    await waitSlaves(master, 1);
    const clock = new ManualClock();
    const logger = consoleLogger('t', 'warn');
    const t0 = clock.nowMs();
    for (let i = 0; i < 4; i++) {
      const put = delayedPut({ topic: REAL, queueId: 0, body: `d${i}`, properties: { UNIQ_KEY: `D${i}` } }, { systemProperties: { deliveryTimestamp: { seconds: (t0 + 1000 * (i + 1)) / 1000 } } }, t0, master.store.config);
      expect((await master.store.putMessage(put)).status).toBe('PUT_OK');
    }
    const tx = new TransactionService(master.store, master.store.config, clock, new ManualScheduler(clock), logger);
    const kept = await tx.sendHalf({ topic: REAL, queueId: 0, body: 'tx-kept', properties: { UNIQ_KEY: 'TK' }, messageId: 'TK' }, 'c1');
    const dropped = await tx.sendHalf({ topic: REAL, queueId: 0, body: 'tx-dropped', properties: { UNIQ_KEY: 'TD' }, messageId: 'TD' }, 'c1');
    await tx.end({ topic: { name: REAL }, messageId: 'TD', transactionId: dropped.transactionId, resolution: 2 });
    await waitCommitted(master.store);

    const timer = new DelayTimer(master.store, master.store.config, clock, new ManualScheduler(clock), logger);
    clock.advance(2000);
    await timer.step(); // D0, D1
    clock.advance(1000);
    await timer.step(); // D2
    clock.advance(500);
    await timer.step(); // timerCheckpointIntervalMs passed: a progress record
    clock.advance(500);
    await timer.step(); // D3, after the last progress record: the window
    expect(await ids(master.store)).toEqual(['D0', 'D1', 'D2', 'D3']);
    await waitCommitted(master.store);
    expect(master.store.getMaxOffsetInQueue(TIMER_PROGRESS_TOPIC, 0)).toBe(1);

    // a timer on the slave stays idle
    const slaveTimer = new DelayTimer(slave.store, slave.store.config, clock, new ManualScheduler(clock), logger);
    await slaveTimer.step();
    expect(slaveTimer.stats().pendingInMemory).toBe(0);
    await waitCaughtUp(master, slave);
    await timer.close();
    await tx.close();
    await stopNode(master);

    await slave.ha.promote();
    await slaveTimer.step(); // rebuilt from the replicated progress record: D3 again (window), nothing else
    expect(await ids(slave.store)).toEqual(['D0', 'D1', 'D2', 'D3', 'D3']);
    clock.advance(10_000);
    await slaveTimer.step();
    expect(await ids(slave.store)).toHaveLength(5);
    await slaveTimer.close();

    const promotedTx = new TransactionService(slave.store, slave.store.config, clock, new ManualScheduler(clock), logger);
    await promotedTx.end({ topic: { name: REAL }, messageId: 'TK', transactionId: kept.transactionId, resolution: 1 });
    await expect(promotedTx.end({ topic: { name: REAL }, messageId: 'TD', transactionId: dropped.transactionId, resolution: 1 })).rejects.toThrow(/already ended with ROLLBACK/);
    expect(promotedTx.stats()).toMatchObject({ ready: true, pending: 0 });
    expect(await ids(slave.store)).toEqual(['D0', 'D1', 'D2', 'D3', 'D3', 'TK']);
    await promotedTx.close();
  });
});
