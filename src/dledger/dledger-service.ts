// startDLedger: run this store as a member of a DLedger (Raft) group. In order:
//   1. the recovered log's term history (term-file.ts: the dledgerTerms file, checked against the
//      term markers of the last segment) and the hard state (hard-state-file.ts); a log whose last
//      term is above currTerm starts at that term with no vote;
//   2. the Raft core over the log (dledger-member.ts), installed as the store's replication policy
//      (dledger-replication.ts): from here client puts are refused unless this member leads;
//   3. the Raft port (raft-port.ts) on this member's dLegerPeers address, through the node's
//      Transport (peer-authenticated / TLS when configured; replicationSecurity with the
//      'dledger' identity unless a transport is given).
// Everything that touches time, the network or randomness is injected (DLedgerOptions), so the
// simulator runs this same code on simulated time and links. close(): the member stops (pending
// puts fail), the store keeps a policy that refuses puts (a stopped member must not take any),
// the port closes. The store itself is closed by its owner after this.
import type { MessageStoreConfig } from '../config/store-config.js';
import { parseDLedgerPeers, type DLedgerPeer } from '../config/dledger-peers.js';
import { ConfigError } from '../errors.js';
import { replicationSecurity } from '../net/replication-security.js';
import type { Transport } from '../net/transport.js';
import { RaftCode } from '../raft/raft-protocol.js';
import { raftSettingsFromConfig } from '../raft/raft-settings.js';
import { formatTerms, TermHistory } from '../raft/term-history.js';
import type { ReplicationPolicy } from '../replication/replication-policy.js';
import type { MessageStore } from '../store/message-store.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { realScheduler, type Scheduler } from '../util/scheduler.js';
import { DLedgerMember } from './dledger-member.js';
import { DLedgerReplication } from './dledger-replication.js';
import { dledgerStatus, type DLedgerStatus } from './dledger-status.js';
import { HardStateFile } from './hard-state-file.js';
import { RaftPort } from './raft-port.js';
import { recoverTerms, TermFile } from './term-file.js';

export type { DLedgerStatus } from './dledger-status.js';

export interface DLedgerOptions {
  /** The transport of the Raft port, already secured as the node wants (default: TCP through
   * replicationSecurity with the 'dledger' identity). */
  transport?: Transport;
  clock?: Clock;
  scheduler?: Scheduler;
  /** Election jitter and reconnect back-off (default Math.random). */
  random?: () => number;
  /** The host the Raft port binds (default: the host of this member's dLegerPeers address). */
  listenHost?: string;
}

export interface DLedgerService {
  status(): DLedgerStatus;
  /** Make `to` the leader (this member must lead). code 200 once `to` leads; else a RaftCode
   * (404 NOT_LEADER, 417 FALL_BEHIND_TOO_MUCH, 418 TAKE_LEADERSHIP_FAILED, 520 UNKNOWN_MEMBER, ...). */
  transferLeadership(to: string): Promise<{ code: number; reason: string }>;
  /** The bound Raft port. */
  readonly port: number;
  close(): Promise<void>;
}

export async function startDLedger(store: MessageStore, config: MessageStoreConfig, logger: Logger, options: DLedgerOptions = {}): Promise<DLedgerService> {
  const clock = options.clock ?? systemClock;
  const scheduler = options.scheduler ?? realScheduler;
  const random = options.random ?? Math.random;
  const members = parseDLedgerPeers(config.dLegerPeers ?? '');
  if (typeof members === 'string') throw new ConfigError('dLegerPeers', config.dLegerPeers, members);
  const self = members.find((m) => m.id === config.dLegerSelfId);
  if (!self) throw new ConfigError('dLegerSelfId', config.dLegerSelfId, `one of the dLegerPeers ids: ${members.map((m) => m.id).join(', ')}`);
  const group = config.dLegerGroup ?? config.brokerName;
  const settings = raftSettingsFromConfig(config);

  const log = store.raftLog();
  const termFile = new TermFile(store.fileIO, config.storePathRootDir);
  const terms = new TermHistory(recoverTerms(termFile, log, logger));
  const hardState = new HardStateFile(store.fileIO, config.storePathRootDir);
  const saved = hardState.load();
  const end = log.writtenEnd();
  const lastTerm = terms.lastTerm(end);
  const hard = lastTerm > saved.term ? { term: lastTerm, votedFor: null } : saved;
  if (lastTerm > saved.term) logger.warn(`the log's last term ${lastTerm} is above currTerm ${saved.term} in ${hardState.path}: starting at term ${lastTerm} with no vote`);
  logger.info(`DLedger ${group}/${self.id}: term ${hard.term}, vote ${hard.votedFor ?? '-'}, log [${log.minOffset()}, ${end}) flushed ${log.flushedEnd()}, terms ${formatTerms(terms.entries)}`);

  const transport =
    options.transport ??
    replicationSecurity(config, {
      listenHost: options.listenHost ?? self.address.host,
      identity: { service: 'dledger', group, selfId: self.id },
      clock,
      scheduler,
      logger: logger.child('net'),
    }).transport;

  let port: RaftPort | null = null;
  let stoppedPolicy: ReplicationPolicy | null = null;
  const describe = (id: string): string => {
    const m = members.find((x) => x.id === id);
    return m ? `${id} (${m.addressText})` : id;
  };
  const member = new DLedgerMember({
    store,
    log,
    settings,
    initial: { term: hard.term, votedFor: hard.votedFor, terms: terms.entries, writtenEnd: end, flushedEnd: log.flushedEnd(), commitOffset: 0 },
    terms,
    hardState,
    termFile,
    clock,
    scheduler,
    random,
    logger: logger.child('raft'),
    maxWaitAckTimeMs: config.maxWaitAckTimeMs,
    maxPendingPuts: config.maxPendingRequestsNum,
    send: (to, message) => void port?.send(to, message),
    onFailure: (reason) => {
      store.setReplicationPolicy((stoppedPolicy = refusingPolicy(`the DLedger member stopped: ${reason}`, member.confirmed)));
      void port?.close();
    },
  });
  const policy = new DLedgerReplication(member, describe, config.maxWaitAckTimeMs);
  store.setReplicationPolicy(policy);
  try {
    port = await RaftPort.open({
      group,
      selfId: self.id,
      peers: members,
      transport,
      listenHost: options.listenHost ?? self.address.host,
      listenPort: self.address.port,
      clock,
      scheduler,
      random,
      logger: logger.child('raft-port'),
      reconnectMinMs: Math.max(10, Math.floor(settings.heartbeatIntervalMs / 2)),
      reconnectMaxMs: Math.max(20, settings.electionTimeoutMs),
      onMessage: (from, message) => member.receive(from, message),
    });
  } catch (err) {
    member.stop();
    store.setReplicationPolicy(refusingPolicy('the DLedger port could not be opened', member.confirmed));
    throw err;
  }
  member.start();
  const openPort = port;
  let closing: Promise<void> | null = null;
  return {
    port: openPort.port,
    status: () =>
      dledgerStatus(member.status(), settings, group, members, {
        acceptingPuts: member.acceptingPuts(),
        failure: member.failure,
        connected: (id) => openPort.connected(id),
      }),
    transferLeadership: async (to) => transfer(member, members, settings.transferTimeoutMs, scheduler, describe, to),
    close: () =>
      (closing ??= (async () => {
        member.stop();
        store.setReplicationPolicy(stoppedPolicy ?? refusingPolicy('the DLedger member is closed', member.confirmed));
        await openPort.close();
      })()),
  };
}

async function transfer(
  member: DLedgerMember,
  members: readonly DLedgerPeer[],
  timeoutMs: number,
  scheduler: Scheduler,
  describe: (id: string) => string,
  to: string,
): Promise<{ code: number; reason: string }> {
  if (!members.some((m) => m.id === to)) return { code: RaftCode.UNKNOWN_MEMBER, reason: `${JSON.stringify(to)} is not a member (${members.map((m) => m.id).join(', ')})` };
  if (member.failure !== null) return { code: RaftCode.NOT_LEADER, reason: `the DLedger member stopped: ${member.failure}` };
  if (member.role !== 'LEADER') {
    const leader = member.leaderId;
    return { code: RaftCode.NOT_LEADER, reason: `not the DLedger leader; ${leader === null ? 'no leader is known' : `leader is ${describe(leader)}`}` };
  }
  let timer: { cancel(): void } | null = null;
  const timedOut = new Promise<{ code: number; reason: string }>((resolve) => {
    timer = scheduler.after(timeoutMs + 1000, () => resolve({ code: RaftCode.TAKE_LEADERSHIP_FAILED, reason: `no answer within ${timeoutMs + 1000} ms` }));
  });
  const outcome = await Promise.race([member.transfer(to), timedOut]);
  (timer as { cancel(): void } | null)?.cancel();
  return outcome;
}

/** What a stopped member's store keeps: no puts, no replicated appends, reads up to the last confirm. */
function refusingPolicy(reason: string, confirm: number): ReplicationPolicy {
  return Object.freeze({
    role: 'FOLLOWER',
    follows: false,
    wantsPromptCommit: false,
    putRefusal: () => reason,
    afterAppend: () => null,
    confirmOffset: () => confirm,
  });
}
