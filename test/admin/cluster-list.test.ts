// clusterList from a /status document: a DLedger group's peers (the shape the DLedger side adds
// to /status) with the leader and this node marked, and a slave whose master is not connected.
import { describe, expect, it } from 'vitest';
import { clusterList } from '../../src/admin/cluster-list.js';
import { formatClusterList } from '../../src/admin/format-broker-admin.js';
import type { NodeStatus } from '../../src/admin/node-status.js';

// (partial documents on purpose: clusterList must cope with what an older or other node sends)
function status(extra: Record<string, unknown>): NodeStatus {
  return {
    brokerClusterName: 'C',
    brokerName: 'b',
    brokerId: 0,
    brokerAddr: '10.0.0.1:10911',
    brokerRole: 'ASYNC_MASTER',
    haMasterAddress: null,
    version: '0.1.0',
    grpcPort: 8081,
    putTps: 12.5,
    ha: null,
    ...extra,
  } as unknown as NodeStatus;
}

describe('clusterList', () => {
  it('a DLedger group: one row per peer, roles from leaderId, this node marked', () => {
    const c = clusterList(
      status({
        dledger: { selfId: 'n1', role: 'FOLLOWER', term: 7, leaderId: 'n0', leaderAddr: '10.0.0.0:40911', peers: [ { id: 'n0', addr: '10.0.0.0:40911' }, { id: 'n1', addr: '10.0.0.1:40911' }, { id: 'n2', addr: '10.0.0.2:40911' } ] },
      }),
    );
    expect(c).toMatchObject({ mode: 'dledger', term: 7 });
    expect(c.members.map((m) => [m.peerId, m.role, m.self, m.addr])).toEqual([
      ['n0', 'LEADER', false, '10.0.0.0:40911'],
      ['n1', 'FOLLOWER', true, '10.0.0.1:10911'],
      ['n2', 'FOLLOWER', false, '10.0.0.2:40911'],
    ]);
    expect(c.members[1]!.grpcAddr).toBe('10.0.0.1:8081');
    const text = formatClusterList(c);
    expect(text).toMatch(/^C +b +n0 +10\.0\.0\.0:40911 +LEADER +- +-$/m);
    expect(text).toMatch(/^C +b +0\/n1 +10\.0\.0\.1:10911 \* +FOLLOWER +mqstore 0\.1\.0 +12\.50$/m);
    expect(text).toMatch(/DLedger group, term 7/);
  });

  it('no leader known: the other peers are UNKNOWN, not guessed', () => {
    const c = clusterList(status({ dledger: { selfId: 'n0', role: 'CANDIDATE', leaderId: null, peers: [ { id: 'n0', addr: 'a:1' }, { id: 'n1', addr: 'b:1' } ] } }));
    expect(c.members.map((m) => m.role)).toEqual(['CANDIDATE', 'UNKNOWN']);
  });

  it('a slave whose master is not connected says so', () => {
    const c = clusterList(status({ brokerRole: 'SLAVE', brokerId: 1, haMasterAddress: '10.0.0.0:10912', ha: { kind: 'slave', role: 'SLAVE', masterAddress: '10.0.0.0:10912', connected: false, slaveMaxOffset: 0, masterMaxOffset: -1, lagBytes: 0 } }));
    expect(c.members.map((m) => [m.brokerId, m.role, m.addr])).toEqual([
      [0, 'MASTER (not connected)', '10.0.0.0:10912'],
      [1, 'SLAVE', '10.0.0.1:10911'],
    ]);
  });
});
