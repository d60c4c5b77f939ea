// openNode with enableDLegerCommitLog=true starts the DLedger member instead of classic HA:
// status() carries `dledger`, the HA side says why it is not running, promote is refused, and
// close() stops the member before the store.
import { afterEach, describe, expect, it } from 'vitest';
import { openNode, type StoreNode } from '../../src/node/open-node.js';
import { PutMessageStatus } from '../../src/store/statuses.js';
import { memoryLogger } from '../../src/util/logger.js';
import { DLedgerTestGroup } from '../helpers/dledger-group.js';
import { CALM_DISK_USAGE, waitUntil } from '../helpers/store-harness.js';
import { tempDirs } from '../helpers/temp-dir.js';

const dirs = tempDirs('mqstore-dledger-node-');
let nodes: StoreNode[] = [];

afterEach(async () => {
  for (const n of nodes) await n.close().catch(() => {});
  nodes = [];
});

describe('openNode in DLedger mode', () => {
  it('runs a 3-member group: status().dledger, puts on the leader, promote refused', async () => {
    const group = await DLedgerTestGroup.create(dirs, 3);
    for (const m of group.members) nodes.push(await openNode(group.config(m), { logger: memoryLogger(5000), store: { diskUsage: CALM_DISK_USAGE } }));
    let leader: StoreNode | null = null;
    await waitUntil(() => {
      const l = nodes.filter((n) => n.status().dledger?.role === 'LEADER' && n.status().dledger?.acceptingPuts);
      leader = l.length === 1 ? l[0]! : null;
      return leader !== null;
    }, 'one DLedger leader among the nodes', 15_000);
    const l = leader! as StoreNode;
    const st = l.status();
    expect(st.dledger).toMatchObject({ role: 'LEADER', group: 'g1' });
    expect(st.haService).toBe('none');
    expect(st.haNote).toContain('DLedger mode');
    expect(l.replication).toBeNull();
    expect(l.dledger).not.toBeNull();
    const r = await l.store.putMessage({ topic: 'T', body: 'hello' });
    expect(r.status, r.reason).toBe(PutMessageStatus.PUT_OK);
    await expect(l.promote()).rejects.toThrow(/no HA service/);
    const follower = nodes.find((n) => n !== l)!;
    expect((await follower.store.putMessage({ topic: 'T', body: 'x' })).status).toBe(PutMessageStatus.SERVICE_NOT_AVAILABLE);
    await l.close();
    expect(() => l.status()).toThrow();
  });
});
