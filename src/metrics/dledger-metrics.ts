// DLedger metrics of a member of a Raft group. On a node that is not one the labeled series are
// absent and the unlabeled gauges read 0 (prom-client keeps a 0 sample for an unlabeled gauge
// after reset(); read rocketmq_dledger_role or /status `dledger` to tell):
//
// | name                               | type  | labels | value                                       |
// |------------------------------------|-------|--------|---------------------------------------------|
// | rocketmq_dledger_term              | gauge |        | the member's current term                   |
// | rocketmq_dledger_role              | gauge | role   | 1 for the role it has (LEADER, FOLLOWER, CANDIDATE) |
// | rocketmq_dledger_elections         | gauge |        | elections this member started since it opened |
// | rocketmq_dledger_confirm_offset    | gauge |        | the confirm (committed) offset              |
// | rocketmq_dledger_peer_lag_bytes    | gauge | peer   | on the leader: bytes each peer is behind    |
import { Gauge, type Registry } from 'prom-client';
import type { DLedgerGauges, MetricsSnapshot } from './metrics-source.js';

export function registerDLedgerMetrics(registry: Registry, snapshot: () => MetricsSnapshot): void {
  const registers = [registry];
  const simple = (name: string, help: string, value: (d: DLedgerGauges) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.reset();
        const d = snapshot().dledger;
        if (d) this.set(value(d));
      },
    });
  };
  simple('rocketmq_dledger_term', 'The DLedger member\'s current Raft term', (d) => d.term);
  simple('rocketmq_dledger_elections', 'Elections this DLedger member started since it opened', (d) => d.elections);
  simple('rocketmq_dledger_confirm_offset', 'The DLedger confirm (committed) CommitLog offset: consumers read up to here', (d) => d.confirmOffset);
  new Gauge({
    name: 'rocketmq_dledger_role',
    help: 'The DLedger member\'s role: 1 for the role it has now',
    labelNames: ['role'],
    registers,
    collect() {
      this.reset();
      const d = snapshot().dledger;
      if (d) this.set({ role: d.role }, 1);
    },
  });
  new Gauge({
    name: 'rocketmq_dledger_peer_lag_bytes',
    help: 'On the DLedger leader: bytes each peer is behind the leader\'s log end',
    labelNames: ['peer'],
    registers,
    collect() {
      this.reset();
      const d = snapshot().dledger;
      if (d) for (const p of d.peers) if (p.lagBytes !== null) this.set({ peer: p.id }, p.lagBytes);
    },
  });
}
