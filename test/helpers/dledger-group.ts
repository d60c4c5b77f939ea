// An in-process DLedger group for tests: real MessageStores in temp dirs, each with its Raft
// port on a free loopback port (startDLedger over TCP), short timing keys. Members can be
// stopped (service then store closed, like a crash without the unflushed-tail loss) and started
// again on the same directory. Waits are on status with a deadline, never sleeps.
import { startDLedger, type DLedgerService } from '../../src/dledger/dledger-service.js';
import type { MessageStore } from '../../src/store/message-store.js';
import { memoryLogger } from '../../src/util/logger.js';
import { freeLoopbackPorts } from '../../bench/lib/free-ports.js';
import { openStore, smallConfig, waitUntil } from './store-harness.js';

/** Short but tolerant timing (election timeout 400 ms): the test machine's CPUs are shared, and
 * a stall past the timeout is a real (legal) leader change the tests would have to ride out. */
export const FAST_RAFT_TIMING = {
  heartBeatTimeIntervalMs: 50,
  maxHeartBeatLeak: 8,
  minVoteIntervalMs: 10,
  maxVoteIntervalMs: 150,
  maxPushTimeOutMs: 200,
  maxWaitAckTimeMs: 3000,
  leadershipTransferWaitTimeout: 2000,
};

/** `n` loopback ports free right now (listened on, then closed). */
/** Free loopback ports for a group's Raft ports (bench/lib/free-ports.ts). */
export const freePorts = freeLoopbackPorts;

export interface GroupMember {
  readonly id: string;
  readonly dir: string;
  store: MessageStore | null;
  service: DLedgerService | null;
  readonly logger: ReturnType<typeof memoryLogger>;
}

export class DLedgerTestGroup {
  readonly members: GroupMember[];
  readonly peers: string;

  constructor(
    dirs: string[],
    ports: number[],
    private readonly overrides: Record<string, unknown> = {},
  ) {
    this.peers = ports.map((p, i) => `n${i}-127.0.0.1:${p}`).join(';');
    this.members = dirs.map((dir, i) => ({ id: `n${i}`, dir, store: null, service: null, logger: memoryLogger(20_000) }));
  }

  static async create(dirs: () => string, size: number, overrides: Record<string, unknown> = {}): Promise<DLedgerTestGroup> {
    const ports = await freePorts(size);
    return new DLedgerTestGroup(
      ports.map(() => dirs()),
      ports,
      overrides,
    );
  }

  config(m: GroupMember): Record<string, unknown> {
    return smallConfig(m.dir, 'node', {
      enableDLegerCommitLog: true,
      dLegerGroup: 'g1',
      dLegerPeers: this.peers,
      dLegerSelfId: m.id,
      brokerIP1: '127.0.0.1',
      listenPort: 0,
      haListenPort: 0,
      ...FAST_RAFT_TIMING,
      ...this.overrides,
    });
  }

  async start(i: number): Promise<GroupMember> {
    const m = this.members[i]!;
    const store = await openStore(this.config(m), { logger: m.logger.child(`store-${m.id}`) });
    m.store = store;
    m.service = await startDLedger(store, store.config, m.logger.child(`dledger-${m.id}`));
    return m;
  }

  async startAll(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.start(i);
  }

  async stop(i: number): Promise<void> {
    const m = this.members[i]!;
    await m.service?.close();
    await m.store?.close();
    m.service = null;
    m.store = null;
  }

  async stopAll(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) await this.stop(i).catch(() => {});
  }

  running(): GroupMember[] {
    return this.members.filter((m) => m.service !== null);
  }

  leaders(): GroupMember[] {
    return this.running().filter((m) => m.service!.status().role === 'LEADER');
  }

  /** Every running member's status and last log lines (for a failure message). */
  describe(lines = Number(process.env.DLEDGER_TEST_LOG_LINES ?? 15)): string {
    return this.members
      .map((m) => `${m.id}: ${m.service ? JSON.stringify(m.service.status()) : 'stopped'}\n  ${m.logger.lines.slice(-lines).join('\n  ')}`)
      .join('\n');
  }

  /** The one member that leads and takes puts, once the running members agree on it. */
  async waitLeader(timeoutMs = 10_000, except?: string): Promise<GroupMember> {
    let found: GroupMember | null = null;
    await this.explained(() => waitUntil(
      () => {
        const l = this.leaders().filter((m) => m.service!.status().acceptingPuts && m.id !== except);
        if (l.length !== 1) return false;
        const term = l[0]!.service!.status().term;
        const agree = this.running().every((m) => m === l[0] || (m.service!.status().leaderId === l[0]!.id && m.service!.status().term === term));
        if (agree) found = l[0]!;
        return agree;
      },
      'one leader that takes puts, known to every running member',
      timeoutMs,
    ));
    return found!;
  }

  /** Run a wait; on failure add the group's state to the error. */
  async explained(wait: () => Promise<void>): Promise<void> {
    try {
      await wait();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${this.describe()}`);
    }
  }

  /** Every running member's confirm offset reaches `offset`. */
  async waitConfirmed(offset: number, timeoutMs = 10_000): Promise<void> {
    await this.explained(() => waitUntil(() => this.running().every((m) => m.service!.status().confirmOffset >= offset), `every running member confirms ${offset}`, timeoutMs));
  }
}
