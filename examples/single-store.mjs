// One store in this process, no replication: open, put 200 messages, read them back as a
// consumer group, commit the group's offset, print what the node reports, close.
//   node examples/single-store.mjs            (a temporary directory, removed at the end)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNode } from 'mqstore';

const COUNT = 200;
const dir = mkdtempSync(join(tmpdir(), 'mqstore-single-'));

const node = await openNode(
  {
    storePathRootDir: dir,
    flushDiskType: 'SYNC_FLUSH', // a put resolves once its bytes are on disk (group commit)
    mappedFileSizeCommitLog: 16 * 1024 * 1024, // small segment files for an example
    listenPort: 0,
    logLevel: 'warn',
  },
  { ha: false }, // a single store: no HA service (a master would otherwise listen for slaves)
);
try {
  const statuses = {};
  for (let i = 0; i < COUNT; i++) {
    const put = await node.store.putMessage({ topic: 'Orders', queueId: 0, body: `order-${i}`, keys: `k${i}`, tags: 'created' });
    statuses[put.status] = (statuses[put.status] ?? 0) + 1;
  }
  console.log(JSON.stringify({ step: 'put', statuses }));

  // A put is readable once it is dispatched to its ConsumeQueue (at once here, SYNC_FLUSH).
  let offset = node.store.queryOffset('billing', 'Orders', 0); // -1: the group has no offset yet
  if (offset < 0) offset = 0;
  let read = 0;
  for (let round = 0; round < 1000; round++) {
    const got = await node.store.getMessage({ group: 'billing', topic: 'Orders', queueId: 0, offset, maxMsgNums: 32 });
    if (got.messages.length === 0) break;
    read += got.messages.length;
    offset = got.nextBeginOffset;
  }
  node.store.commitOffset('billing', 'Orders', 0, offset);
  console.log(JSON.stringify({ step: 'read', read, committedOffset: node.store.queryOffset('billing', 'Orders', 0) }));

  const s = node.status(); // plain JSON: the same document as GET /status of `mqstore node`
  console.log(JSON.stringify({ step: 'status', brokerRole: s.brokerRole, maxPhyOffset: s.maxPhyOffset, flushedOffset: s.flushedOffset, putMessageTimesTotal: s.putMessageTimesTotal, haService: s.haService }));
} finally {
  await node.close();
  rmSync(dir, { recursive: true, force: true });
}
