// The master of a replicated pair (SYNC_MASTER: a put is PUT_OK once a slave has it too).
//   node examples/master.mjs <storeDir> [count]
// Prints one JSON line per step on stdout:
//   {"step":"listening","haAddress":"127.0.0.1:<port>"}       where a slave connects
//   {"step":"put-before-slave","status":"SLAVE_NOT_AVAILABLE"} a put with no slave yet
//   {"step":"slave-connected", ...}
//   {"step":"put","statuses":{"PUT_OK":<count>}}               puts with the slave there
// then closes and exits 0 (failover.mjs then promotes the slave). Run by examples/failover.mjs.
import { openNode } from 'mqstore';

const [dir, countText = '300'] = process.argv.slice(2);
if (!dir) throw new Error('usage: node master.mjs <storeDir> [count]');
const COUNT = Number(countText);
const TOPIC = 'Orders';
const print = (line) => console.log(JSON.stringify(line));

const node = await openNode(
  {
    storePathRootDir: dir,
    brokerRole: 'SYNC_MASTER',
    mappedFileSizeCommitLog: 16 * 1024 * 1024,
    listenPort: 0, // 0: the HA port (haListenPort) is any free port; node.haPort() says which
    brokerIP1: '127.0.0.1',
    haSendHeartbeatInterval: 500,
    logLevel: 'warn',
  },
  { ha: {} }, // the default: a master runs the HA service (it accepts slaves)
);
try {
  print({ step: 'listening', haAddress: `127.0.0.1:${node.haPort()}` });

  // No slave yet: the message IS in the master's log, but no slave confirmed it.
  const lonely = await node.store.putMessage({ topic: TOPIC, queueId: 0, body: 'before-the-slave' });
  print({ step: 'put-before-slave', status: lonely.status, reason: lonely.reason });

  const slave = await waitForSlave(node, 30_000);
  print({ step: 'slave-connected', address: slave.address, ackedOffset: slave.ackedOffset });

  const statuses = {};
  const IN_FLIGHT = 16;
  let next = 0;
  const lane = async () => {
    while (next < COUNT) {
      const i = next++;
      const put = await node.store.putMessage({ topic: TOPIC, queueId: 0, body: `order-${i}` });
      statuses[put.status] = (statuses[put.status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  print({ step: 'put', statuses, maxPhyOffset: node.store.getMaxPhyOffset() });
} finally {
  await node.close();
}

/** The first slave that has reported its offset (status().ha lists the master's slaves). */
async function waitForSlave(node, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const slave = node.status().ha?.slaves?.find((s) => s.ackedOffset >= 0);
    if (slave) return slave;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no slave connected within ${timeoutMs} ms`);
}
