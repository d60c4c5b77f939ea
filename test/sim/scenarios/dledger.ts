// The dledger scenario: groups of 3 or 5 members, each the REAL MessageStore on its own SimDisk
// (small segments, in-thread persistence) with the REAL DLedger glue (startDLedger: Raft core,
// Raft port, replication policy) over the SimNetwork, on simulated clocks.
//
// Per seed: 3 or 5 members; SYNC_FLUSH (a crash is a power cut: unsynced writes lost, the last
// one possibly torn) or ASYNC_FLUSH (a crash is a process kill: the page cache survives, which is
// all DLedger's ASYNC promise covers); sometimes a preferredLeaderId; the fault rate. A producer
// puts random messages on whichever member accepts puts (at most MAX_IN_FLIGHT_PUTS at once) and
// records every PUT_OK with the hash of its bytes. For FAULTS_END_MS the nemesis partitions (any
// split: a leader cut off from the majority, a minority, ...), cuts one way (asymmetric
// partitions), resets connections, adds latency spikes (TCP's form of message loss), slows old
// connections (their bytes arrive after newer ones': reordering and duplication across
// reconnects), jumps wall clocks and crashes members (at most a minority down at once); then
// everything heals and reboots, puts stop a little later, and the run ends once the group
// converged.
//
// Checks: those of dledger-oracle.ts after every step (one-leader-per-term, committed-prefix,
// no-truncate-committed, leader-holds-committed, put-ok-kept, no-start-failure), and finally
//   elected-in-time  after the faults stop, one leader that every member follows is in place
//                    within ELECTION_BOUND_MS;
//   converged        every member holds the leader's log byte for byte and confirmed all of it,
//                    and every PUT_OK'd record is in the committed bytes at its offset.
import type { DLedgerStatus } from '../../../src/dledger/dledger-service.js';
import { Nemesis } from '../nemesis.js';
import type { Rng } from '../rng.js';
import type { Scenario, ScenarioRun } from '../scenario.js';
import { SimDisk } from '../sim-disk.js';
import { SimNetwork } from '../sim-network.js';
import type { World } from '../world.js';
import { DLedgerSimNode, DLEDGER_STORE_ROOT, RAFT_PORT, type DLedgerNodeSettings } from './dledger-node.js';
import { DLEDGER_CHECKS, DLedgerOracle, hashOf, readWritten } from './dledger-oracle.js';

const TOPIC = 'SimTopic';
const QUEUES = 4;
const FAULTS_START_MS = 1_000;
const FAULTS_END_MS = 15_000;
const PUTS_END_MS = FAULTS_END_MS + 2_000;
/** After the faults stop (everything healed and rebooted), a leader every member follows must be
 * in place within this (store recovery and DLedger's election timing on simulated time). */
export const DLEDGER_ELECTION_BOUND_MS = 5_000;
const RUN_END_MS = FAULTS_END_MS + 20_000;
const MAX_IN_FLIGHT_PUTS = 8;

export interface DLedgerScenarioOptions {
  /** Force the member count (else seeded: 3 or 5). */
  members?: 3 | 5;
  /** The checker's bite: ASYNC_FLUSH on every seed with crashes as power cuts. DLedger's ASYNC
   * PUT_OK means "written on a majority" (page cache), so a power cut loses acknowledged puts
   * now and then, and the checks must say so. */
  asyncPowerCuts?: boolean;
}

export function dledgerScenario(name: string, options: DLedgerScenarioOptions = {}): Scenario {
  return {
    name,
    summary: options.asyncPowerCuts
      ? 'dledger with ASYNC_FLUSH and power cuts: PUT_OKs only in page caches get lost (must be caught)'
      : 'real MessageStore + DLedger glue (startDLedger) in groups of 3/5 on SimDisks over the SimNetwork; power cuts, kills, partitions, clock jumps',
    maxSteps: 3_000_000,
    maxSimMs: RUN_END_MS,
    setup: (world) => setup(world, options),
  };
}

let runs = 0;

function setup(world: World, options: DLedgerScenarioOptions): ScenarioRun {
  const runNumber = ++runs;
  const knobs = world.rng.fork('dledger-scenario');
  const members = options.members ?? knobs.pick([3, 5] as const);
  const hosts = Array.from({ length: members }, (_, i) => `n${i}`);
  const picked = knobs.pick(['SYNC_FLUSH', 'ASYNC_FLUSH'] as const);
  const flushDiskType = options.asyncPowerCuts ? 'ASYNC_FLUSH' : picked;
  const powerCuts = flushDiskType === 'SYNC_FLUSH' || options.asyncPowerCuts === true;
  const settings: DLedgerNodeSettings = {
    flushDiskType,
    segmentBytes: 73_728,
    peers: hosts.map((h) => `${h}-${h}:${RAFT_PORT}`).join(';'),
    preferredLeaderId: knobs.chance(0.3) ? knobs.pick(hosts) : null,
  };
  const meanGapMs = knobs.pick([500, 1_500, 4_000]);
  world.log('world', `dledger: ${members} members, ${flushDiskType} (crash = ${powerCuts ? 'power cut' : 'process kill'}), preferred ${settings.preferredLeaderId ?? '-'}, faults every ~${meanGapMs} ms`);

  const net = new SimNetwork(world, { stallResetMs: knobs.int(2_000, 8_000) });
  const oracle = new DLedgerOracle();
  const stats = { puts: 0, ok: 0, statuses: new Map<string, number>(), reasons: new Map<string, string>(), crashes: 0, leaders: new Set<string>() };
  const nodes: DLedgerSimNode[] = [];
  const crashRngs = new Map<string, Rng>();
  for (const host of hosts) {
    // a name of its own per run: the store's in-process lock is keyed by it
    const disk = new SimDisk({ name: `dl${runNumber}-${host}`, clock: world.clock });
    crashRngs.set(host, world.rng.fork(`crash:${host}`));
    nodes.push(
      new DLedgerSimNode(host, disk, world, net, settings, {
        recovered: (n, store) => world.log('check', `${n.label} recovered [${store.getMinPhyOffset()}, ${store.getMaxPhyOffset()})`),
        failed: (n, err) => oracle.flag('no-start-failure', `${n.label} failed to start: ${err.stack ?? err.message}`),
      }),
    );
  }
  const byHost = new Map(nodes.map((n) => [n.host, n]));

  world.onCrash((host) => {
    const n = byHost.get(host);
    if (!n) return;
    stats.crashes++;
    const rng = crashRngs.get(host)!;
    // a process kill keeps every write (the page cache outlives the process)
    const report = n.disk.crash(powerCuts ? () => rng.float() : () => 0.999_999);
    world.log('disk', `${host} ${powerCuts ? 'power cut' : 'killed'}: ${report.writesLost} unsynced write(s) lost, ${report.writesTorn} torn, in ${report.filesWithUnsyncedWrites} file(s)`);
    n.died();
  });
  const boot = (host: string): void => {
    oracle.onBoot(host);
    byHost.get(host)!.boot();
  };

  // ---- the after-every-step checks

  const statuses = (): Map<string, DLedgerStatus> => {
    const out = new Map<string, DLedgerStatus>();
    for (const n of nodes) {
      const s = n.status();
      if (s) out.set(n.host, s);
    }
    return out;
  };
  let observedStep = -1;
  const observe = (): void => {
    if (observedStep === world.steps) return;
    observedStep = world.steps;
    for (const n of nodes) {
      const s = n.status();
      if (s === null || n.store === null) continue;
      if (s.role === 'LEADER') stats.leaders.add(`${s.term}:${n.host}`);
      oracle.observe(n.host, n.label, s, n.store);
    }
  };
  for (const check of DLEDGER_CHECKS) {
    world.invariants.register(check, () => {
      observe();
      return oracle.violation(check);
    });
  }

  const readsTimer = (): void => {
    for (const n of nodes) {
      const st = n.status();
      if (st !== null && n.store !== null) oracle.checkReads(n.label, n.store, st.confirmOffset, TOPIC, QUEUES);
    }
    world.after(250, '', readsTimer);
  };
  world.after(250, '', readsTimer);

  // ---- the producer

  const producer = world.rng.fork('producer');
  let putId = 0;
  let inFlight = 0;
  const produce = (): void => {
    if (world.simMs >= PUTS_END_MS) return;
    const leader = nodes.find((n) => n.status()?.acceptingPuts === true);
    if (leader && leader.store && inFlight < MAX_IN_FLIGHT_PUTS) {
      const store = leader.store;
      const term = leader.status()!.term;
      const id = ++putId;
      inFlight++;
      stats.puts++;
      store
        .putMessage({ topic: TOPIC, queueId: producer.int(0, QUEUES - 1), body: producer.bytes(producer.int(20, 1_500)) })
        .then((r) => {
          inFlight--;
          stats.statuses.set(r.status, (stats.statuses.get(r.status) ?? 0) + 1);
          if (r.status !== 'PUT_OK') {
            if (!stats.reasons.has(r.status)) stats.reasons.set(r.status, r.reason ?? '');
            world.log('put', `put ${id} on ${leader.label}: ${r.status} (${r.reason ?? ''})`);
            return;
          }
          stats.ok++;
          const end = r.physicalOffset + r.wroteBytes;
          const bytes = readWritten(store, r.physicalOffset, end);
          if (bytes.length !== r.wroteBytes) {
            oracle.flag('put-ok-kept', `put ${id}: PUT_OK from ${leader.label} for [${r.physicalOffset}, ${end}) but its log holds only ${bytes.length} of those bytes`);
            return;
          }
          oracle.onPutOk({ putId: id, start: r.physicalOffset, end, hash: hashOf(bytes), host: leader.label, term });
        })
        .catch((err: Error) => {
          inFlight--;
          oracle.flag('no-start-failure', `${leader.label}: putMessage threw ${err.stack ?? err.message}`);
        });
    }
    world.after(producer.int(2, 40), '', produce);
  };
  world.after(200, '', produce);

  // ---- liveness: a leader after the faults stop, then convergence

  let electedAtMs: number | null = null;
  const agreedLeader = (): { host: string; status: DLedgerStatus } | null => {
    const s = statuses();
    if (s.size !== nodes.length) return null;
    const leaders = [...s].filter(([, x]) => x.role === 'LEADER' && x.acceptingPuts);
    if (leaders.length !== 1) return null;
    const [host, l] = leaders[0]!;
    for (const [h, x] of s) if (h !== host && (x.role !== 'FOLLOWER' || x.leaderId !== host || x.term !== l.term)) return null;
    return { host, status: l };
  };
  const converged = (): string | null => {
    const a = agreedLeader();
    if (a === null) return `no leader every member follows (${[...statuses()].map(([h, x]) => `${h} ${x.role} t${x.term}`).join(', ') || 'nobody up'})`;
    const leaderStore = byHost.get(a.host)!.store!;
    const end = leaderStore.raftLog().writtenEnd();
    for (const n of nodes) {
      const st = n.status()!;
      const e = n.store!.raftLog().writtenEnd();
      if (e !== end || st.confirmOffset !== end) return `${n.label} ends at ${e}, confirmed ${st.confirmOffset}; leader ${a.host} ends at ${end}`;
    }
    if (oracle.unverifiedPuts.length > 0) return `${oracle.unverifiedPuts.length} PUT_OK(s) beyond the committed end ${oracle.committedLen}, the first [${oracle.unverifiedPuts[0]!.start}, ${oracle.unverifiedPuts[0]!.end})`;
    return null;
  };
  const watch = (): void => {
    if (electedAtMs === null && agreedLeader() !== null) {
      electedAtMs = world.simMs;
      world.log('check', `a leader every member follows, ${electedAtMs - FAULTS_END_MS} ms after the faults stopped`);
    }
    if (world.simMs >= PUTS_END_MS + 500 && inFlight === 0 && converged() === null) {
      world.stop('the group converged');
      return;
    }
    world.after(50, '', watch);
  };
  world.at(FAULTS_END_MS, '', watch);
  world.invariants.registerFinal('elected-in-time', () => {
    if (electedAtMs === null) return `no leader every member follows by ${world.simMs} ms (faults stopped at ${FAULTS_END_MS} ms): ${converged()}`;
    const took = electedAtMs - FAULTS_END_MS;
    return took > DLEDGER_ELECTION_BOUND_MS ? `a leader every member follows only ${took} ms after the faults stopped (bound ${DLEDGER_ELECTION_BOUND_MS} ms)` : null;
  });
  world.invariants.registerFinal('converged', () => {
    const why = converged();
    if (why !== null) return why;
    const a = agreedLeader()!;
    const end = byHost.get(a.host)!.store!.raftLog().writtenEnd();
    const bytes = readWritten(byHost.get(a.host)!.store!, 0, end);
    for (const n of nodes) if (!readWritten(n.store!, 0, end).equals(bytes)) return `${n.label}'s log is not byte-identical to the leader's`;
    if (!bytes.subarray(0, oracle.committedLen).equals(oracle.committedBytes)) return `the leader's log is not the committed bytes`;
    return null;
  });

  for (const h of hosts) boot(h);
  const nemesis = new Nemesis(world, net, {
    hosts,
    startMs: FAULTS_START_MS,
    endMs: FAULTS_END_MS,
    meanGapMs,
    weights: { partition: 3, 'one-way-cut': 2, reset: 2, spike: 2, slow: 2, crash: 3, 'clock-jump': 1 },
    cutMs: [100, 6_000],
    downMs: [200, 5_000],
    crash: { hosts, reboot: boot, maxDownHosts: Math.floor((members - 1) / 2) },
  });
  nemesis.start();

  return {
    stats: () =>
      `${members} members ${flushDiskType}; puts ${stats.puts} (${[...stats.statuses].map(([k, v]) => `${k} ${v}`).join(', ')}); verified ${oracle.verifiedPuts}; ` +
      `committed ${oracle.committedLen} B; leaderships ${stats.leaders.size}; crashes ${stats.crashes}; faults ${nemesis.faults}; ` +
      `leader after faults ${electedAtMs === null ? '-' : `${electedAtMs - FAULTS_END_MS} ms`}` +
      (stats.reasons.size > 0 ? `; first reasons: ${[...stats.reasons].map(([k, v]) => `${k}: ${v}`).join('; ')}` : ''),
  };
}

export { DLEDGER_STORE_ROOT };
