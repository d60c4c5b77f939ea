// The raft scenarios: groups of 3 or 5 real RaftCores (raft-node.ts glue, raft-log.ts logs) over
// the datagram network (raft-net.ts), checked by raft-oracle.ts.
//
// `raft` (chaos), per seed: 3 or 5 members; SYNC_FLUSH (commit counts fsynced bytes; crashes are
// power cuts or kills) or ASYNC_FLUSH (commit counts written bytes; crashes are process kills: the
// page cache survives, as DLedger's promise assumes — a power cut of a majority within the flush
// interval loses ASYNC PUT_OKs by design); latency, loss and duplication rates; the append size
// and pipeline window; sometimes a preferredLeaderId. A client puts on whichever member accepts
// puts. For FAULTS_END_MS the nemesis partitions (any split, or one host off), cuts one way,
// crashes (at most a minority down), pauses a process (SIGSTOP), adds latency spikes and loss
// bursts, jumps a wall clock (the core only reads monotonic time: this must change nothing) and
// asks for leadership transfers; then everything heals and reboots, puts stop a little later,
// and the run ends once every member holds the leader's log and confirmed all of it.
//
// `raft-rejoin`: no faults but one: once a leader is elected, one follower is cut off for 2-6 s
// and healed. Check `no-disruption`: the leader of that moment still leads the same term until
// the end. With pre-vote (and sticky leaders) it always does; `raft-bug-no-prevote` turns pre-vote
// off and the rejoining member's inflated term deposes the leader.
//
// `raft-bug-any-term-commit`: `raft` with the current-term commit rule off (DLedger 0.3.1.2's
// behaviour): the checker finds a committed byte that a later leader does not hold (figure 8).
import { DEFAULT_STORE_CONFIG } from '../../../src/config/store-config.js';
import { raftTiming } from '../../../src/raft/raft-settings.js';
import type { RaftSettings } from '../../../src/raft/raft-types.js';
import type { Rng } from '../rng.js';
import type { Scenario, ScenarioRun } from '../scenario.js';
import type { World } from '../world.js';
import { RaftNet } from './raft-net.js';
import { RaftSimNode, type NodeTiming } from './raft-node.js';
import { RAFT_CHECKS, RaftOracle } from './raft-oracle.js';

const FAULTS_START_MS = 1_000;
const FAULTS_END_MS = 12_000;
const PUTS_END_MS = FAULTS_END_MS + 2_000;
/** After the faults stop, a leader every member follows must be in place within this. */
export const ELECTION_BOUND_MS = 5_000;
const RUN_END_MS = FAULTS_END_MS + 12_000;

export interface RaftScenarioOptions {
  mode: 'chaos' | 'rejoin';
  preVote?: boolean;
  currentTermCommitRule?: boolean;
  /** Force the member count (else seeded: 3 or 5). */
  members?: 3 | 5;
}

export function raftScenario(name: string, options: RaftScenarioOptions): Scenario {
  return {
    name,
    summary:
      options.mode === 'rejoin'
        ? `a follower cut off and healed must not depose the leader${options.preVote === false ? ' (pre-vote off: it does)' : ''}`
        : `Raft groups of 3/5 real cores under partitions, crashes, pauses, loss${options.currentTermCommitRule === false ? ' (current-term commit rule off)' : ''}`,
    maxSteps: 600_000, // a seed needs 10-60k; a message storm (a probe loop) shows up as the step limit
    maxSimMs: options.mode === 'rejoin' ? 20_000 : RUN_END_MS,
    setup: (world) => setup(world, options),
  };
}

function settingsFor(rng: Rng, hosts: readonly string[], self: string, options: RaftScenarioOptions, flushMode: NodeTiming['flushMode'], knobs: Knobs): RaftSettings {
  return {
    ...raftTiming(DEFAULT_TIMING_CONFIG),
    selfId: self,
    peers: hosts,
    ackPosition: flushMode === 'SYNC_FLUSH' ? 'flushed' : 'written',
    maxAppendBytes: knobs.maxAppendBytes,
    maxInflightAppends: knobs.maxInflight,
    preferredLeaderId: knobs.preferred,
    preVote: options.preVote ?? true,
    currentTermCommitRule: options.currentTermCommitRule ?? true,
  };
}

/** The DLedger timing keys at their defaults (the sim runs the production timing). */
const DEFAULT_TIMING_CONFIG = Object.fromEntries(
  (['heartBeatTimeIntervalMs', 'maxHeartBeatLeak', 'minVoteIntervalMs', 'maxVoteIntervalMs', 'maxPushTimeOutMs', 'enableBatchPush', 'maxBatchPushSize', 'haTransferBatchSize', 'leadershipTransferWaitTimeout', 'leadershipTransferMaxLagBytes'] as const).map((k) => [k, DEFAULT_STORE_CONFIG[k].default]),
) as unknown as Parameters<typeof raftTiming>[0];

/** The production timing (the DLedger keys' defaults). */
export function defaultRaftTiming(): ReturnType<typeof raftTiming> {
  return raftTiming(DEFAULT_TIMING_CONFIG);
}

interface Knobs {
  maxAppendBytes: number;
  maxInflight: number;
  preferred: string | null;
}

function setup(world: World, options: RaftScenarioOptions): ScenarioRun {
  const rng = world.rng.fork('raft-scenario');
  const members = options.members ?? rng.pick([3, 5] as const);
  const hosts = Array.from({ length: members }, (_, i) => `n${i}`);
  const flushMode = options.mode === 'rejoin' ? 'SYNC_FLUSH' : rng.pick(['SYNC_FLUSH', 'ASYNC_FLUSH'] as const);
  const knobs: Knobs = {
    maxAppendBytes: rng.pick([512, 4096, 32_768]),
    maxInflight: rng.pick([2, 4, 16]),
    preferred: options.mode === 'chaos' && rng.chance(0.3) ? rng.pick(hosts) : null,
  };
  // a slow fsync on some seeds leaves more unflushed bytes for a power cut to lose or tear
  const timing: NodeTiming = { flushMode, fsyncMs: [0.2, rng.pick([2, 10, 40])], asyncFlushIntervalMs: rng.int(5, 200) };
  const chaos = options.mode === 'chaos';
  const net = new RaftNet(world, {
    latencyMs: [0.05, chaos ? rng.between(0.5, 15) : 1],
    lossRate: chaos ? rng.pick([0, 0.01, 0.05]) : 0,
    dupRate: chaos ? rng.pick([0, 0.01, 0.05]) : 0,
  });
  const baseLoss = net.lossRate;
  const oracle = new RaftOracle();
  const nodes = hosts.map((h, i) => new RaftSimNode(h, i, world, net, oracle, settingsFor(rng, hosts, h, options, flushMode, knobs), timing));
  const boot = (node: RaftSimNode) => node.boot(world.boot(node.host));
  world.log('world', `raft: ${members} members, ${flushMode}, append ${knobs.maxAppendBytes} B x ${knobs.maxInflight} in flight, preferred ${knobs.preferred ?? '-'}, loss ${net.lossRate}`);
  for (const n of nodes) boot(n);

  for (const check of RAFT_CHECKS) world.invariants.register(check, () => oracle.violation(check));
  const matchEveryMs = 250;
  const matchTimer = () => {
    oracle.checkLogMatching(nodes);
    world.after(matchEveryMs, '', matchTimer);
  };
  world.after(matchEveryMs, '', matchTimer);

  const stats = { puts: 0, faults: 0, maxTerm: 0, stableAtMs: null as number | null };
  const leaderNow = (): RaftSimNode | null => {
    const leaders = nodes.filter((n) => n.alive && n.core?.status().role === 'LEADER');
    return leaders.length === 1 ? leaders[0]! : null;
  };
  const stableLeader = (): RaftSimNode | null => {
    const l = leaderNow();
    if (!l) return null;
    const term = l.core!.status().term;
    for (const n of nodes) {
      if (n === l) continue;
      const s = n.core?.status();
      if (!s || s.role !== 'FOLLOWER' || s.leaderId !== l.host || s.term !== term) return null;
    }
    return l;
  };

  if (chaos) {
    // the client
    let putId = 0;
    const putLoop = () => {
      if (world.simMs >= PUTS_END_MS) return;
      for (const n of nodes) {
        if (n.put(putId + 1, rng.int(4, 300))) {
          putId++;
          stats.puts++;
          break;
        }
      }
      world.after(rng.between(2, 25), '', putLoop);
    };
    world.after(rng.between(0, 50), '', putLoop);
    armNemesis(world, rng.fork('nemesis'), net, nodes, boot, baseLoss, stats);
    // liveness after the faults
    const watch = () => {
      if (stats.stableAtMs === null && stableLeader()) stats.stableAtMs = world.simMs;
      if (world.simMs >= PUTS_END_MS + 1_000 && converged(nodes, stableLeader()) === null) world.stop('every member holds the leader\'s log, all confirmed');
      world.after(20, '', watch);
    };
    world.at(FAULTS_END_MS, '', watch);
    world.invariants.registerFinal('elected-in-time', () => {
      if (stats.stableAtMs === null) return `no leader that every member follows by ${world.simMs.toFixed(0)} ms (faults ended at ${FAULTS_END_MS})`;
      const took = stats.stableAtMs - FAULTS_END_MS;
      return took > ELECTION_BOUND_MS ? `a leader every member follows took ${took.toFixed(0)} ms after the faults stopped (bound ${ELECTION_BOUND_MS})` : null;
    });
    world.invariants.registerFinal('converged', () => converged(nodes, stableLeader()));
  } else {
    armRejoin(world, rng.fork('rejoin'), net, nodes, leaderNow, options);
  }

  return {
    stats: () => {
      for (const n of nodes) stats.maxTerm = Math.max(stats.maxTerm, n.core?.status().term ?? 0);
      const oks = nodes.reduce((a, n) => a + n.putOks, 0);
      return `${members} members ${flushMode}, ${stats.puts} puts (${oks} PUT_OK, ${oracle.committedLen} bytes committed), ${stats.faults} faults, max term ${stats.maxTerm}, net ${net.sent} sent ${net.dropped} dropped ${net.duplicated} duplicated`;
    },
  };
}

function converged(nodes: readonly RaftSimNode[], leader: RaftSimNode | null): string | null {
  if (!leader) return 'no leader that every member follows';
  const want = leader.log.bytes;
  for (const n of nodes) {
    const s = n.core?.status();
    if (!s) return `${n.host} is down`;
    if (n.log.end !== want.length || Buffer.compare(Buffer.from(n.log.bytes), Buffer.from(want)) !== 0) return `${n.host} log (${n.log.end} bytes) differs from leader ${leader.host}'s (${want.length})`;
    if (s.confirmOffset !== want.length) return `${n.host} confirmed ${s.confirmOffset} of ${want.length}`;
  }
  return null;
}

function armNemesis(world: World, rng: Rng, net: RaftNet, nodes: readonly RaftSimNode[], boot: (n: RaftSimNode) => void, baseLoss: number, stats: { faults: number }): void {
  const hosts = nodes.map((n) => n.host);
  const maxDown = Math.floor((nodes.length - 1) / 2);
  const down = new Set<RaftSimNode>();
  let cutActive = false;
  const reboot = (n: RaftSimNode) => {
    if (!down.delete(n)) return;
    boot(n);
  };
  const next = () => {
    if (world.simMs >= FAULTS_END_MS) return;
    stats.faults++;
    const kind = rng.weighted<string>([
      [3, 'partition'],
      [2, 'isolate'],
      [2, 'one-way'],
      [3, 'crash'],
      [2, 'pause'],
      [2, 'spike'],
      [1, 'loss-burst'],
      [1, 'clock-jump'],
      [1, 'transfer'],
    ]);
    const live = nodes.filter((n) => n.alive);
    switch (kind) {
      case 'partition':
      case 'isolate':
      case 'one-way': {
        if (cutActive) break;
        cutActive = true;
        const shuffled = rng.shuffle(hosts);
        if (kind === 'partition') {
          const cut = rng.int(1, shuffled.length - 1);
          net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
        } else if (kind === 'isolate') net.isolate(shuffled[0]!, hosts);
        else net.cutOneWay(shuffled[0]!, shuffled[1]!);
        world.after(rng.int(200, 4_000), '', () => {
          if (!cutActive) return;
          cutActive = false;
          net.healAll();
        });
        break;
      }
      case 'crash': {
        if (down.size >= maxDown || live.length === 0) break;
        const n = rng.pick(live);
        const mode = n.flushMode === 'SYNC_FLUSH' && rng.chance(0.5) ? 'power-cut' : 'kill';
        n.crash(mode);
        down.add(n);
        world.after(rng.int(100, 5_000), '', () => reboot(n));
        break;
      }
      case 'pause':
        if (live.length > 0) rng.pick(live).pause(rng.between(100, 2_000));
        break;
      case 'spike': {
        const [a, b] = rng.shuffle(hosts);
        net.spike(a!, b!, rng.between(5, 400), rng.between(100, 3_000));
        break;
      }
      case 'loss-burst':
        net.lossRate = 0.3;
        world.log('fault', 'loss 30% for a while');
        world.after(rng.int(200, 3_000), '', () => (net.lossRate = baseLoss));
        break;
      case 'clock-jump': {
        const n = live.length > 0 ? rng.pick(live) : null;
        const p = n ? world.process(n.host) : undefined;
        if (p) {
          p.wallSkewMs += rng.pick([-1, 1]) * rng.int(1, 60_000);
          world.log('fault', `wall clock of ${p.label} skewed to ${p.wallSkewMs} ms`);
        }
        break;
      }
      case 'transfer': {
        const to = rng.pick(hosts);
        world.log('fault', `admin: transfer leadership to ${to}`);
        for (const n of live) n.transfer(to);
        break;
      }
    }
    world.after(-Math.log(1 - rng.float()) * 700, '', next);
  };
  world.at(FAULTS_START_MS, '', next);
  world.at(FAULTS_END_MS, 'nemesis stops: heal all, reboot the crashed', () => {
    cutActive = false;
    net.healAll();
    net.lossRate = baseLoss;
    for (const n of [...down]) reboot(n);
  });
}

function armRejoin(world: World, rng: Rng, net: RaftNet, nodes: readonly RaftSimNode[], leaderNow: () => RaftSimNode | null, options: RaftScenarioOptions): void {
  const hosts = nodes.map((n) => n.host);
  let watched: { host: string; term: number } | null = null;
  let isolated: RaftSimNode | null = null;
  const start = () => {
    const leader = leaderNow();
    if (!leader) return void world.after(100, '', start);
    const term = leader.core!.status().term;
    watched = { host: leader.host, term };
    isolated = rng.pick(nodes.filter((n) => n !== leader));
    net.isolate(isolated.host, hosts);
    const cutMs = rng.int(2_000, 6_000);
    world.after(cutMs, '', () => {
      world.log('world', `heal: ${isolated!.host} rejoins at term ${isolated!.core?.status().term}`);
      net.healAll();
      world.after(4_000, '', () => world.stop('the rejoin is over'));
    });
  };
  world.at(2_000, '', start);
  world.invariants.register('no-disruption', () => {
    if (!watched) return null;
    const leader = nodes.find((n) => n.host === watched!.host)!;
    const s = leader.core?.status();
    if (s && s.role === 'LEADER' && s.term === watched.term) return null;
    return `leader ${watched.host} of term ${watched.term} was deposed (now ${s?.role} of term ${s?.term}) while only ${isolated?.host} was cut off and rejoined (its term ${isolated?.core?.status().term}; pre-vote ${options.preVote === false ? 'off' : 'on'})`;
  });
}
