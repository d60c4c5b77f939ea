// Failover suite (`npm run bench -- --suite failover [--rounds N]`): a 3-member DLedger group of
// `mqstore node` processes on loopback with the config's default Raft timing, under a bounded
// load of single puts through /admin/put (a few in flight, each following the leader). Each round
// kills the leader with SIGKILL and measures the time from the kill to the first PUT_OK answered
// by another member (the new leader), then restarts the killed member and waits until it follows
// the new leader and holds its confirmed log. At the end every acknowledged message is looked up
// on the leader through /admin/get (queue, queue offset, body): the count of lost ones must be 0.
// Bounded: at most MAX_ROUNDS rounds, each within ROUND_TIMEOUT_MS, the whole run within RUN_TIMEOUT_MS.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, postJson, spawnNodeProcess, writeProperties, type NodeProcess } from './lib/node-process.js';
import { freeLoopbackPorts } from './lib/free-ports.js';

const MAX_ROUNDS = 50;
const ROUND_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 15 * 60_000;
const WORKERS = 4;
const QUEUES = 4;
const TOPIC = 'FailoverTopic';
const POLL_MS = 5;

export interface FailoverOptions {
  dir: string;
  rounds: number;
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  onProgress?: (line: string) => void;
}

interface DLedgerView {
  selfId: string;
  role: string;
  term: number;
  leaderId: string | null;
  confirmOffset: number;
  logEnd: number;
  acceptingPuts: boolean;
}

interface Member {
  id: string;
  configFile: string;
  node: NodeProcess | null;
}

interface Acked {
  queueId: number;
  queueOffset: number;
  body: string;
}

interface RoundResult {
  round: number;
  killed: string;
  newLeader: string;
  failoverMs: number;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class FailoverGroup {
  leader: string | null = null;

  constructor(readonly members: Member[]) {}

  member(id: string): Member {
    return this.members.find((m) => m.id === id)!;
  }

  async status(m: Member): Promise<DLedgerView | null> {
    if (!m.node) return null;
    try {
      return (await getJson<{ dledger: DLedgerView | null }>(m.node.adminPort, '/status')).dledger;
    } catch {
      return null;
    }
  }

  /** Wait until one running member leads and accepts puts, and the others follow it (same term). */
  async waitLeader(deadlineMs: number): Promise<string> {
    while (performance.now() < deadlineMs) {
      const views = (await Promise.all(this.members.map((m) => this.status(m)))).filter((v): v is DLedgerView => v !== null);
      const leaders = views.filter((v) => v.role === 'LEADER' && v.acceptingPuts);
      if (leaders.length === 1 && views.every((v) => v === leaders[0] || (v.leaderId === leaders[0]!.selfId && v.term === leaders[0]!.term))) {
        this.leader = leaders[0]!.selfId;
        return this.leader;
      }
      await pause(POLL_MS);
    }
    throw new Error('no agreed leader before the deadline');
  }
}

export async function failoverSuite(o: FailoverOptions): Promise<string> {
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1 && o.rounds <= MAX_ROUNDS)) throw new Error(`--rounds must be an integer in 1..${MAX_ROUNDS}, got ${o.rounds}`);
  const progress = o.onProgress ?? (() => {});
  const ports = await freeLoopbackPorts(3);
  const ids = ports.map((_, i) => `n${i}`);
  const peers = ids.map((id, i) => `${id}-127.0.0.1:${ports[i]}`).join(';');
  const members: Member[] = ids.map((id) => {
    const dir = join(o.dir, `failover-${id}`);
    mkdirSync(dir, { recursive: true });
    const configFile = writeProperties(join(dir, `${id}.properties`), {
      storePathRootDir: join(dir, 'store'),
      flushDiskType: o.flushDiskType,
      mappedFileSizeCommitLog: 64 << 20,
      enableDLegerCommitLog: true,
      dLegerGroup: 'failover',
      dLegerPeers: peers,
      dLegerSelfId: id,
      brokerIP1: '127.0.0.1',
      listenPort: 0,
      adminPort: 0,
      grpcServerPort: 0,
      logLevel: 'error',
    });
    return { id, configFile, node: null };
  });
  const group = new FailoverGroup(members);
  const start = async (m: Member): Promise<void> => {
    m.node = await spawnNodeProcess(m.configFile, ['--enable-admin-put']);
  };
  const runDeadline = performance.now() + RUN_TIMEOUT_MS;
  const acked: Acked[] = [];
  const refusals = new Map<string, number>();
  let stopped = false;
  let killedAt = -1;
  let killedId = '';
  let firstOk: { at: number; by: string } | null = null;
  const results: RoundResult[] = [];
  try {
    await Promise.all(members.map(start));
    await group.waitLeader(performance.now() + ROUND_TIMEOUT_MS);
    let seq = 0;
    const worker = async (w: number): Promise<void> => {
      while (!stopped && performance.now() < runDeadline) {
        const target = group.leader ? group.member(group.leader) : null;
        if (!target?.node) {
          if (target) group.leader = null; // killed: find the new one
          await pause(POLL_MS);
          continue;
        }
        const body = `w${w}-${seq++}`;
        const queueId = w % QUEUES;
        try {
          const r = await postJson<{ result?: { status: string; queueOffset?: number } }>(target.node.adminPort, '/admin/put', { topic: TOPIC, queueId, count: 1, body });
          const status = r.json.result?.status ?? `HTTP ${r.status}`;
          if (status === 'PUT_OK') {
            acked.push({ queueId, queueOffset: r.json.result!.queueOffset!, body });
            if (killedAt >= 0 && firstOk === null && target.id !== killedId) firstOk = { at: performance.now(), by: target.id };
            continue;
          }
          refusals.set(status, (refusals.get(status) ?? 0) + 1);
        } catch {
          refusals.set('connection error', (refusals.get('connection error') ?? 0) + 1);
        }
        // refused or unreachable: find the leader again (one worker at a time is enough)
        if (group.leader === target.id) group.leader = null;
        await pause(POLL_MS);
      }
    };
    const finder = (async () => {
      while (!stopped && performance.now() < runDeadline) {
        if (group.leader === null) await group.waitLeader(Math.min(runDeadline, performance.now() + ROUND_TIMEOUT_MS)).catch(() => {});
        await pause(POLL_MS);
      }
    })();
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
    for (let round = 1; round <= o.rounds; round++) {
      const leader = await group.waitLeader(performance.now() + ROUND_TIMEOUT_MS);
      const before = acked.length;
      while (acked.length < before + 50 && performance.now() < runDeadline) await pause(POLL_MS); // load flows before the kill
      firstOk = null;
      killedId = leader;
      killedAt = performance.now();
      await group.member(leader).node!.kill('SIGKILL');
      group.member(leader).node = null;
      const roundDeadline = performance.now() + ROUND_TIMEOUT_MS;
      while (firstOk === null && performance.now() < roundDeadline) await pause(1);
      if (firstOk === null) throw new Error(`round ${round}: no PUT_OK on another member within ${ROUND_TIMEOUT_MS} ms of killing ${leader}`);
      const ok: { at: number; by: string } = firstOk;
      const killedAtRound = killedAt;
      results.push({ round, killed: leader, newLeader: ok.by, failoverMs: ok.at - killedAtRound });
      killedAt = -1;
      progress(`failover round ${round}: killed ${leader}, first PUT_OK on ${ok.by} after ${(ok.at - killedAtRound).toFixed(0)} ms`);
      await start(group.member(leader));
      // the restarted member follows and holds the confirmed log before the next kill
      const newLeader = await group.waitLeader(roundDeadline);
      const leaderView = await group.status(group.member(newLeader));
      while (performance.now() < roundDeadline) {
        const v = await group.status(group.member(leader));
        if (v && leaderView && v.role === 'FOLLOWER' && v.logEnd >= leaderView.confirmOffset) break;
        await pause(POLL_MS);
      }
    }
    stopped = true;
    await Promise.all(workers);
    await finder;
    const finalLeader = await group.waitLeader(performance.now() + ROUND_TIMEOUT_MS);
    const lost = await countLost(group.member(finalLeader).node!, acked);
    return report(o, results, acked.length, lost, refusals);
  } finally {
    stopped = true;
    await Promise.all(members.map((m) => m.node?.stop()));
  }
}

/** Acknowledged messages that the leader does not serve at their queue offset with their body. */
async function countLost(leader: NodeProcess, acked: readonly Acked[]): Promise<number> {
  let lost = 0;
  for (let q = 0; q < QUEUES; q++) {
    const want = acked.filter((a) => a.queueId === q).sort((a, b) => a.queueOffset - b.queueOffset);
    if (want.length === 0) continue;
    const have = new Map<number, string>();
    let offset = want[0]!.queueOffset;
    const last = want[want.length - 1]!.queueOffset;
    for (let guard = 0; offset <= last && guard < 100_000; guard++) {
      const page = await getJson<{ nextBeginOffset: number; messages: Array<{ queueOffset: number; body: string }> }>(leader.adminPort, `/admin/get?topic=${TOPIC}&queueId=${q}&offset=${offset}&max=1024`);
      for (const m of page.messages) have.set(m.queueOffset, m.body);
      if (page.messages.length === 0 || page.nextBeginOffset <= offset) break;
      offset = page.nextBeginOffset;
    }
    for (const a of want) if (have.get(a.queueOffset) !== a.body) lost++;
  }
  return lost;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function report(o: FailoverOptions, results: readonly RoundResult[], ackedCount: number, lost: number, refusals: ReadonlyMap<string, number>): string {
  const ms = results.map((r) => r.failoverMs).sort((a, b) => a - b);
  const lines = [
    `### DLedger failover: kill -9 of the leader, ${results.length} rounds (3 members, ${o.flushDiskType}, default Raft timing, loopback)`,
    '',
    '| kill → first PUT_OK on the new leader | p50 ms | p99 ms | max ms | acknowledged puts | lost | refused / errors |',
    '|---|---:|---:|---:|---:|---:|---|',
    `| ${results.length} rounds | ${percentile(ms, 50).toFixed(0)} | ${percentile(ms, 99).toFixed(0)} | ${ms[ms.length - 1]!.toFixed(0)} | ${ackedCount.toLocaleString('en-US')} | ${lost} | ${[...refusals].map(([k, v]) => `${k} ${v}`).join(', ') || '-'} |`,
    '',
    '| round | killed | new leader | ms |',
    '|---:|---|---|---:|',
    ...results.map((r) => `| ${r.round} | ${r.killed} | ${r.newLeader} | ${r.failoverMs.toFixed(0)} |`),
  ];
  return lines.join('\n');
}
