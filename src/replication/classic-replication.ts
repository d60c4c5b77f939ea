// The policy of RocketMQ's classic master/slave replication (brokerRole):
//   ASYNC_MASTER  puts admitted, nothing waited for (slaves catch up on their own);
//   SYNC_MASTER   puts admitted, each waits for the gate (inSyncReplicas slaves acknowledged its
//                 end, ha-server.ts); with no gate installed (no HA service) a put is
//                 SLAVE_NOT_AVAILABLE at once, as RocketMQ answers with no slave connected;
//                 its bytes are committed at once (slaves only receive committed bytes);
//   SLAVE         client puts refused; replicated appends accepted.
// Consumers are not limited by replication (classic RocketMQ shows a master's consumers what it
// has flushed/committed, whatever the slaves hold): confirmOffset() is null.
// changeRole is the run-time switch (promotion, a demoted master); the log stays as it is.
import type { BrokerRole } from '../config/store-config.js';
import type { ReplicationPolicy, ReplicationRoleHooks } from './replication-policy.js';
import type { ReplicationGate, ReplicationWait } from './replication-types.js';

const NOT_AVAILABLE: Promise<ReplicationWait> = Promise.resolve('not-available');

export class ClassicReplication implements ReplicationPolicy {
  private current: BrokerRole;
  private gate: ReplicationGate | null = null;

  constructor(
    role: BrokerRole,
    private readonly hooks: ReplicationRoleHooks,
  ) {
    this.current = role;
  }

  get role(): BrokerRole {
    return this.current;
  }

  get follows(): boolean {
    return this.current === 'SLAVE';
  }

  get wantsPromptCommit(): boolean {
    return this.current === 'SYNC_MASTER';
  }

  putRefusal(): string | null {
    return this.current === 'SLAVE' ? 'this store is a SLAVE' : null;
  }

  afterAppend(endOffset: number): Promise<ReplicationWait> | null {
    if (this.current !== 'SYNC_MASTER') return null;
    return this.gate?.wait(endOffset) ?? NOT_AVAILABLE;
  }

  confirmOffset(): number | null {
    return null;
  }

  /** SYNC_MASTER puts wait on this gate (the HA server); null removes it. */
  setGate(gate: ReplicationGate | null): void {
    this.gate = gate;
  }

  changeRole(role: BrokerRole): void {
    const from = this.current;
    if (role === from) return;
    if (from === 'SLAVE') this.hooks.beforeLeading();
    this.current = role;
    this.hooks.onRoleChanged(from, role);
  }
}
