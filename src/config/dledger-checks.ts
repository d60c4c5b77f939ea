// The cross-key rules of DLedger mode (enableDLegerCommitLog=true), each a ConfigError naming the
// key at fault. With the mode off the DLedger keys are only checked one by one (their formats).
//
// DLEDGER_MODE_AVAILABLE: the node glue (src/dledger/) runs the Raft core, so a config that
// passes every rule is accepted (openNode then starts DLedger instead of classic HA). The switch
// stays so a build without the glue could refuse the mode again with DLEDGER_NOT_YET.
import { ConfigError } from '../errors.js';
import { DLEDGER_MEMBER_COUNTS, parseDLedgerPeers } from './dledger-peers.js';
import type { MessageStoreConfig } from './store-config.js';

/** True since the node glue landed (src/dledger/; open-node runs the Raft group). */
export const DLEDGER_MODE_AVAILABLE: boolean = true;
export const DLEDGER_NOT_YET =
  'false for now: DLedger mode is not yet available in mqstore (the Raft core and its simulator are in src/raft/ and test/sim/; the node glue that runs them is the next step)';

export function checkDLedger(config: MessageStoreConfig): void {
  if (!config.enableDLegerCommitLog) return;
  if (config.dLegerGroup === null) throw new ConfigError('dLegerGroup', null, 'the Raft group name (e.g. the brokerName); required when enableDLegerCommitLog is true');
  if (config.dLegerPeers === null) throw new ConfigError('dLegerPeers', null, 'the members, e.g. n0-host:40911;n1-host:40911;n2-host:40911; required when enableDLegerCommitLog is true');
  const peers = parseDLedgerPeers(config.dLegerPeers);
  if (typeof peers === 'string') throw new ConfigError('dLegerPeers', config.dLegerPeers, `id-host:port entries separated by ";": ${peers}`);
  if (!DLEDGER_MEMBER_COUNTS.includes(peers.length)) {
    throw new ConfigError('dLegerPeers', config.dLegerPeers, `3 or 5 members (static membership; ${peers.length} give no better fault tolerance than ${peers.length - 1} or cannot fail over)`);
  }
  const ids = peers.map((p) => p.id).join(', ');
  if (config.dLegerSelfId === null) throw new ConfigError('dLegerSelfId', null, `this node's member id, one of ${ids}; required when enableDLegerCommitLog is true`);
  const self = peers.find((p) => p.id === config.dLegerSelfId);
  if (!self) throw new ConfigError('dLegerSelfId', config.dLegerSelfId, `one of the dLegerPeers ids: ${ids}`);
  if (config.preferredLeaderId !== null && !peers.some((p) => p.id === config.preferredLeaderId)) {
    throw new ConfigError('preferredLeaderId', config.preferredLeaderId, `one of the dLegerPeers ids (${ids}), or unset`);
  }
  if (config.brokerRole === 'SLAVE') {
    throw new ConfigError('brokerRole', config.brokerRole, 'ASYNC_MASTER or SYNC_MASTER (the default) with enableDLegerCommitLog: the Raft group elects the leader, a member is never configured as SLAVE');
  }
  if (config.haMasterAddress !== null) {
    throw new ConfigError('haMasterAddress', config.haMasterAddress, 'unset with enableDLegerCommitLog: followers replicate from the elected leader over dLegerPeers, not from a configured master');
  }
  const ports: [string, number][] = [
    ['listenPort', config.listenPort],
    ['haListenPort', config.haListenPort],
    ['adminPort', config.adminPort],
  ];
  for (const [key, port] of ports) {
    if (port !== 0 && port === self.address.port) {
      throw new ConfigError('dLegerPeers', config.dLegerPeers, `a Raft port for ${self.id} (${self.addressText}) different from ${key} (${port})`);
    }
  }
  if (config.minVoteIntervalMs > config.maxVoteIntervalMs) {
    throw new ConfigError('maxVoteIntervalMs', config.maxVoteIntervalMs, `>= minVoteIntervalMs (${config.minVoteIntervalMs})`);
  }
  if (!DLEDGER_MODE_AVAILABLE) throw new ConfigError('enableDLegerCommitLog', true, DLEDGER_NOT_YET);
}
