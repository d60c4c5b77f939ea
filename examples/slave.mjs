// The slave of a replicated pair: replicates the master's log; on "promote" (a line on stdin)
// it becomes the master: reads back what it replicated, takes a new write, and closes.
//   node examples/slave.mjs <storeDir> <masterHaAddress>
// Prints one JSON line per step on stdout ({"step":"replicating"}, then {"step":"promoted",...}).
// Run by examples/failover.mjs, which promotes it once the master has gone.
import { createInterface } from 'node:readline';
import { openNode } from 'mqstore';

const [dir, masterAddress] = process.argv.slice(2);
if (!dir || !masterAddress) throw new Error('usage: node slave.mjs <storeDir> <masterHaAddress>');
const TOPIC = 'Orders';
const print = (line) => console.log(JSON.stringify(line));

const node = await openNode({
  storePathRootDir: dir,
  brokerRole: 'SLAVE',
  brokerId: 1, // a slave's brokerId is > 0
  haMasterAddress: masterAddress, // the master's HA port (host:port)
  mappedFileSizeCommitLog: 16 * 1024 * 1024, // the same segment size as the master
  listenPort: 0,
  haSendHeartbeatInterval: 500,
  logLevel: 'warn',
});
try {
  print({ step: 'replicating', masterAddress, rejoin: node.rejoin.kind });
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === 'promote') break;
  }
  // An operator (or your failure detector) decided the master is gone: promote this slave.
  const promoted = await node.promote('ASYNC_MASTER');
  await waitUntil(() => node.store.runtimeInfo().dispatchBehindMessages === 0, 10_000); // every record indexed
  let read = 0;
  let offset = 0;
  for (let round = 0; round < 1000; round++) {
    const got = await node.store.getMessage({ group: 'billing', topic: TOPIC, queueId: 0, offset, maxMsgNums: 32 });
    if (got.messages.length === 0) break;
    read += got.messages.length;
    offset = got.nextBeginOffset;
  }
  const put = await node.store.putMessage({ topic: TOPIC, queueId: 0, body: 'after-the-promotion' });
  print({ step: 'promoted', ...promoted, messagesRead: read, newPut: put.status, newQueueOffset: put.queueOffset });
} finally {
  await node.close();
}

async function waitUntil(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
