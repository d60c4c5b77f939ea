// A DLedger group of real `mqstore node` processes for tests (on node-harness.ts; the
// in-process group is test/helpers/dledger-group.ts): 3 or 5
// members, each with its own store directory and .properties file (enableDLegerCommitLog,
// dLegerPeers on free loopback ports reserved up front, the other ports picked by the OS), all
// started with --enable-admin-put. A member can be started, killed (-9 or any signal, waiting
// for the exit), paused (SIGSTOP), resumed (SIGCONT) and restarted with its unchanged config.
// Conditions on the members' /status are waited for with pollUntil (a deadline, no sleeps).
// A bounded load loop puts one message at a time to whichever member leads (following the
// refusals), records every PUT_OK (body, queue offset, physical offset), and the acknowledged
// messages can be checked against a member's /admin/get.
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { NodeStatus } from '../../src/admin/node-status.js';
import type { AdminGetAnswer } from '../../src/admin/admin-get.js';
import type { SinglePutResult } from '../../src/admin/node-routes.js';
import { freePorts } from '../helpers/dledger-group.js';
import { getJson, http, pollUntil, smallNodeProps, startNode, writeProperties, type RunningNode } from './node-harness.js';

/** The part of /status `dledger` the harness reads. */
export interface DLedgerView {
  selfId: string;
  role: 'LEADER' | 'FOLLOWER' | 'CANDIDATE';
  term: number;
  leaderId: string | null;
  leaderAddr: string | null;
  confirmOffset: number;
  commitOffset?: number;
  logEnd?: number;
  acceptingPuts?: boolean;
  elections?: number;
  peers?: Array<{ id: string; addr: string; matchOffset: number; lagBytes: number }>;
}

export type MemberStatus = NodeStatus & { dledger: DLedgerView | null };

export interface GroupMember {
  readonly id: string;
  readonly raftAddr: string;
  readonly dir: string;
  readonly configFile: string;
  /** The running process, or null while stopped. */
  node: RunningNode | null;
  /** Paused with SIGSTOP and not resumed yet. */
  paused: boolean;
}

export interface AckedPut {
  body: string;
  queueId: number;
  queueOffset: number;
  physicalOffset: number;
  /** The member that answered PUT_OK. */
  by: string;
}

export const GROUP_TOPIC = 'GroupTopic';
const STATUS_TIMEOUT_MS = 2000;

export interface GroupOptions {
  size: 3 | 5;
  /** Extra properties for every member. */
  props?: Record<string, string | number | boolean>;
  /** The group's root directory (one sub-directory per member). */
  dir: string;
}

export class DLedgerGroup {
  private constructor(readonly members: readonly GroupMember[]) {}

  static async create(options: GroupOptions): Promise<DLedgerGroup> {
    const ports = await freePorts(options.size);
    const ids = ports.map((_, i) => `n${i}`);
    const peers = ids.map((id, i) => `${id}-127.0.0.1:${ports[i]}`).join(';');
    const members = ids.map((id, i): GroupMember => {
      const dir = join(options.dir, id);
      mkdirSync(dir, { recursive: true });
      const props = smallNodeProps(join(dir, 'store'), {
        brokerName: 'broker-dl',
        enableDLegerCommitLog: true,
        dLegerGroup: 'broker-dl',
        dLegerPeers: peers,
        dLegerSelfId: id,
        ...options.props,
      });
      return { id, raftAddr: `127.0.0.1:${ports[i]}`, dir, configFile: writeProperties(dir, `${id}.properties`, props), node: null, paused: false };
    });
    return new DLedgerGroup(members);
  }

  member(id: string): GroupMember {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no member '${id}' (members: ${this.members.map((x) => x.id).join(', ')})`);
    return m;
  }

  running(): GroupMember[] {
    return this.members.filter((m) => m.node !== null && !m.paused);
  }

  async start(id: string): Promise<RunningNode> {
    const m = this.member(id);
    if (m.node) throw new Error(`${id} is running already`);
    m.node = await startNode(m.configFile, ['--enable-admin-put'], 30_000);
    m.paused = false;
    return m.node;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.node === null).map((m) => this.start(m.id)));
  }

  /** Send `signal` (default SIGKILL) and wait for the exit; returns the exit code. */
  async kill(id: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const m = this.member(id);
    if (!m.node) throw new Error(`${id} is not running`);
    const node = m.node;
    if (m.paused && signal !== 'SIGKILL') node.child.kill('SIGCONT');
    const code = await node.stop(signal, 30_000);
    m.node = null;
    m.paused = false;
    return code;
  }

  pause(id: string): void {
    const m = this.member(id);
    if (!m.node || m.paused) throw new Error(`${id} is not running or already paused`);
    m.node.child.kill('SIGSTOP');
    m.paused = true;
  }

  resume(id: string): void {
    const m = this.member(id);
    if (!m.node || !m.paused) throw new Error(`${id} is not paused`);
    m.node.child.kill('SIGCONT');
    m.paused = false;
  }

  /** Stop every running member (SIGTERM, SIGKILL for a paused one); for afterAll. */
  async stopAll(): Promise<void> {
    await Promise.all(this.members.filter((m) => m.node !== null).map((m) => this.kill(m.id, m.paused ? 'SIGKILL' : 'SIGTERM').catch(() => null)));
  }

  adminAddr(id: string): string {
    const n = this.member(id).node;
    if (!n) throw new Error(`${id} is not running`);
    return n.adminAddr;
  }

  async status(id: string): Promise<MemberStatus> {
    return getJson<MemberStatus>(this.adminAddr(id), '/status', { timeoutMs: STATUS_TIMEOUT_MS });
  }

  /** /status of every running, unpaused member (a member that does not answer is left out). */
  async statuses(): Promise<Map<string, MemberStatus>> {
    const out = new Map<string, MemberStatus>();
    await Promise.all(
      this.running().map(async (m) => {
        const s = await this.status(m.id).catch(() => null);
        if (s) out.set(m.id, s);
      }),
    );
    return out;
  }

  /** Wait until `condition` holds over the statuses of the running members; returns them. */
  async waitFor(condition: (s: Map<string, MemberStatus>) => boolean, what: string, timeoutMs = 20_000): Promise<Map<string, MemberStatus>> {
    let last = new Map<string, MemberStatus>();
    await pollUntil(
      async () => {
        last = await this.statuses();
        return condition(last);
      },
      what,
      timeoutMs,
    ).catch((err: Error) => {
      const seen = [...last].map(([id, s]) => `${id}: ${JSON.stringify(s.dledger)}`).join('\n  ');
      throw new Error(`${err.message}\n  last statuses:\n  ${seen}`);
    });
    return last;
  }

  /** Wait until one member among the running ones (or `among`) leads, every other running member
   * knows it as leader in the same term, and it accepts puts; returns its id. */
  async waitLeader(options: { among?: readonly string[]; not?: string; timeoutMs?: number } = {}): Promise<string> {
    let leader = '';
    await this.waitFor(
      (s) => {
        const views = [...s.values()].map((x) => x.dledger).filter((d): d is DLedgerView => d !== null);
        const leaders = views.filter((d) => d.role === 'LEADER' && d.acceptingPuts !== false && (options.among?.includes(d.selfId) ?? true) && d.selfId !== options.not);
        if (leaders.length !== 1) return false;
        const l = leaders[0]!;
        const agree = views.every((d) => d.selfId === l.selfId || (d.leaderId === l.selfId && d.term === l.term && d.role === 'FOLLOWER'));
        if (agree) leader = l.selfId;
        return agree;
      },
      `one agreed leader${options.not ? ` other than ${options.not}` : ''}`,
      options.timeoutMs ?? 20_000,
    );
    return leader;
  }

  /** One put through `id`'s /admin/put; null when the member does not answer. */
  async put(id: string, body: string, queueId = 0, timeoutMs = 5000): Promise<SinglePutResult | null> {
    const r = await http(this.adminAddr(id), 'POST', '/admin/put', { topic: GROUP_TOPIC, queueId, count: 1, body }, { timeoutMs }).catch(() => null);
    if (!r || r.status !== 200) return null;
    return (JSON.parse(r.body) as { result: SinglePutResult }).result;
  }

  /** Every message of GROUP_TOPIC/queueId `id` serves through /admin/get, in queue order. */
  async readAll(id: string, queueId = 0, maxMessages = 100_000): Promise<AdminGetAnswer['messages']> {
    const out: AdminGetAnswer['messages'] = [];
    let offset = 0;
    for (let round = 0; round < maxMessages && out.length < maxMessages; round++) {
      const a = await getJson<AdminGetAnswer>(this.adminAddr(id), `/admin/get?topic=${GROUP_TOPIC}&queueId=${queueId}&offset=${offset}&max=1024`);
      if (a.messages.length === 0 && a.nextBeginOffset <= offset) break;
      out.push(...a.messages);
      offset = a.nextBeginOffset;
    }
    return out;
  }

  /** The member a refused put points to (its leaderAddr is a Raft address of dLegerPeers). */
  memberByRaftAddr(addr: string | undefined): GroupMember | null {
    return this.members.find((m) => m.raftAddr === addr) ?? null;
  }
}

export interface LoadOptions {
  /** At most this many puts (each answered or not). */
  maxPuts: number;
  /** And for at most this long. */
  maxMs: number;
  /** Body prefix, to tell loops apart. */
  prefix?: string;
  queueId?: number;
}

export interface LoadLoop {
  /** PUT_OK so far (read while running). */
  readonly acked: AckedPut[];
  /** Puts that got another status, or no answer. */
  readonly refused: number;
  /** Ask the loop to end after its current put; resolves when it has. */
  stop(): Promise<AckedPut[]>;
  /** Resolves when the loop ends by itself (maxPuts or maxMs) or is stopped. */
  readonly done: Promise<AckedPut[]>;
}

/** Puts one message at a time to the member believed to lead, moving to the member a refusal
 * names (else the next running one). Bounded by maxPuts and maxMs. */
export function startLoad(group: DLedgerGroup, options: LoadOptions): LoadLoop {
  const acked: AckedPut[] = [];
  const prefix = options.prefix ?? 'm';
  const queueId = options.queueId ?? 0;
  let refused = 0;
  let stopping = false;
  let target = 0;
  const until = performance.now() + options.maxMs;
  const run = async (): Promise<AckedPut[]> => {
    for (let i = 0; i < options.maxPuts && !stopping && performance.now() < until; i++) {
      const live = group.running();
      if (live.length === 0) break;
      const to = live[target % live.length]!;
      const body = `${prefix}-${i}`;
      const r = await group.put(to.id, body, queueId, 3000);
      if (r?.status === 'PUT_OK') {
        acked.push({ body, queueId, queueOffset: r.queueOffset!, physicalOffset: r.physicalOffset!, by: to.id });
        continue;
      }
      refused++;
      const named = group.memberByRaftAddr(r?.leaderAddr);
      const idx = named ? live.indexOf(named) : -1;
      target = idx >= 0 ? idx : target + 1;
      // a refusal that names no leader (an election in progress): yield before the next try
      if (idx < 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return acked;
  };
  const done = run();
  return {
    acked,
    get refused() {
      return refused;
    },
    stop: async () => {
      stopping = true;
      return done;
    },
    done,
  };
}

/** The acknowledged puts `id` does not serve at their queue offset with the same body and
 * physical offset (empty: every one is there). */
export async function missingAcked(group: DLedgerGroup, id: string, acked: readonly AckedPut[]): Promise<string[]> {
  const byQueue = new Map<number, AckedPut[]>();
  for (const a of acked) byQueue.set(a.queueId, [...(byQueue.get(a.queueId) ?? []), a]);
  const problems: string[] = [];
  for (const [queueId, puts] of byQueue) {
    const served = new Map((await group.readAll(id, queueId)).map((m) => [m.queueOffset, m]));
    for (const p of puts) {
      const m = served.get(p.queueOffset);
      if (!m) problems.push(`${p.body}: acked at queue ${queueId} offset ${p.queueOffset} by ${p.by}, not served by ${id}`);
      else if (m.body !== p.body || m.physicalOffset !== p.physicalOffset) {
        problems.push(`${p.body}: acked at queue offset ${p.queueOffset} physical ${p.physicalOffset} by ${p.by}; ${id} serves '${m.body}' at physical ${m.physicalOffset}`);
      }
    }
  }
  return problems;
}
