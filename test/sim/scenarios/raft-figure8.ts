// Raft's figure 8, scripted on the raft scenario's pieces (five real RaftCores, raft-node.ts glue,
// the oracle): the partitions follow what the cores do, so the seed only changes timings and
// which members play which part.
//   1. leader L1 (term t) and one follower A are cut off from B, C, D; L1 keeps taking puts until
//      its lease runs out: term-t bytes on L1 and A only;
//   2. B, C, D elect L2 (term t+1); the moment it leads, L2 is cut off from everyone: its marker
//      (term t+1) stays on L2 alone; no side has a majority now;
//   3. L1 and A rejoin the two others: L1 (the longest log of term t) is elected in a later term and
//      catches them up, slowly (256-byte appends, one in flight);
//   4. the moment L1's commit point passes the committed end of step 1, L1 and A are cut off and
//      L2 rejoins the two others: L2's last term t+1 beats their t, so it is elected.
// With the current-term commit rule, L1 could not commit the term-t bytes before its own marker
// was on a majority, and then L2 cannot win: nothing committed is lost. Without it (DLedger
// 0.3.1.2), L1 commits term-t bytes held by L1, A and one more; L2 is elected without them:
// `leader-holds-committed` fires (and `committed-prefix` once L2's log is confirmed).
import type { Scenario, ScenarioRun } from '../scenario.js';
import type { World } from '../world.js';
import { RaftNet } from './raft-net.js';
import { RaftSimNode, type NodeTiming } from './raft-node.js';
import { RAFT_CHECKS, RaftOracle } from './raft-oracle.js';
import { defaultRaftTiming } from './raft.js';

export function raftFigure8Scenario(name: string, currentTermCommitRule: boolean): Scenario {
  return {
    name,
    summary: `Raft figure 8 scripted on 5 real cores (current-term commit rule ${currentTermCommitRule ? 'on' : 'off'})`,
    maxSteps: 1_000_000,
    maxSimMs: 30_000,
    setup: (world) => setup(world, currentTermCommitRule),
  };
}

function setup(world: World, currentTermCommitRule: boolean): ScenarioRun {
  const rng = world.rng.fork('figure8');
  const hosts = ['n0', 'n1', 'n2', 'n3', 'n4'];
  const timing: NodeTiming = { flushMode: 'ASYNC_FLUSH', fsyncMs: [0.2, 1], asyncFlushIntervalMs: 10 };
  const net = new RaftNet(world, { latencyMs: [0.5, 1.5], lossRate: 0, dupRate: 0 });
  const oracle = new RaftOracle();
  const nodes = hosts.map(
    (h, i) =>
      new RaftSimNode(h, i, world, net, oracle, {
        ...defaultRaftTiming(),
        selfId: h,
        peers: hosts,
        ackPosition: 'written',
        maxAppendBytes: 256,
        maxInflightAppends: 1,
        preferredLeaderId: null,
        preVote: true,
        currentTermCommitRule,
      }, timing),
  );
  for (const n of nodes) n.boot(world.boot(n.host));
  for (const check of RAFT_CHECKS) world.invariants.register(check, () => oracle.violation(check));

  let putId = 0;
  const putLoop = () => {
    for (const n of nodes) if (n.put(++putId, rng.int(50, 200))) break;
    world.after(rng.between(2, 6), '', putLoop);
  };
  world.after(1, '', putLoop);

  const status = (n: RaftSimNode) => n.core!.status();
  const leader = () => nodes.find((n) => status(n).role === 'LEADER') ?? null;
  const byHost = (hs: readonly string[]) => hs.join(',');
  let phase = 'wait-leader';
  let l1: RaftSimNode | null = null;
  let a: RaftSimNode | null = null;
  let l2: RaftSimNode | null = null;
  let t = 0;
  let committedAtCut = 0;
  const poll = () => {
    switch (phase) {
      case 'wait-leader': {
        const l = leader();
        if (l && world.simMs > 1_500) {
          l1 = l;
          t = status(l).term;
          a = rng.pick(nodes.filter((n) => n !== l));
          net.partition([l.host, a.host], hosts.filter((h) => h !== l.host && h !== a!.host));
          phase = 'wait-l2';
        }
        break;
      }
      case 'wait-l2': {
        const l = nodes.find((n) => n !== l1 && n !== a && status(n).role === 'LEADER' && status(n).term > t);
        if (l) {
          l2 = l;
          committedAtCut = oracle.committedLen;
          net.healAll();
          net.partition([l.host], hosts.filter((h) => h !== l.host));
          net.partition([l1!.host, a!.host], hosts.filter((h) => h !== l1!.host && h !== a!.host));
          world.log('world', `figure 8: L1 ${l1!.host} (term ${t}) + ${a!.host} cut off, L2 ${l.host} leads term ${status(l).term} and is cut off too`);
          world.after(400, '', () => {
            net.healAll();
            net.isolate(l2!.host, hosts); // L1 and A rejoin the two others
            phase = 'wait-l1-commit';
          });
          phase = 'cut';
        }
        break;
      }
      case 'wait-l1-commit': {
        // L1 or A (both hold the term-t bytes) leads now
        if (status(a!).role === 'LEADER' && status(a!).term > t) [l1, a] = [a, l1];
        const s = status(l1!);
        if (s.role === 'LEADER' && s.term > t && s.commitOffset > committedAtCut) {
          world.log('world', `figure 8: ${l1!.host} leads term ${s.term} and committed ${s.commitOffset} > ${committedAtCut}: cut it and ${a!.host} off, ${l2!.host} rejoins`);
          net.healAll();
          net.partition([l1!.host, a!.host], hosts.filter((h) => h !== l1!.host && h !== a!.host));
          phase = 'done';
          world.after(3_000, '', () => world.stop('figure 8 played out'));
        }
        break;
      }
    }
    if (phase !== 'done') world.after(0.25, '', poll);
  };
  world.after(0.25, '', poll);
  return { stats: () => `phase ${phase}, L1 ${l1 ? (l1 as RaftSimNode).host : '-'} L2 ${l2 ? (l2 as RaftSimNode).host : '-'}, committed ${oracle.committedLen}, groups ${byHost(hosts)}` };
}
