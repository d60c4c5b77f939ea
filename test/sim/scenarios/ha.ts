// The classic-HA scenario: the real MessageStore (on a SimDisk per host, small segments, in-thread
// persistence) and the real classic HA (startHa, openWithRejoin, promote) over the SimNetwork.
//
// Per seed: a master n0 and one or two slaves (n1, n2); SYNC_FLUSH or ASYNC_FLUSH; SYNC_MASTER or
// ASYNC_MASTER; whether the operator promotes. A producer puts random messages on the current
// master at seeded times and records every PUT_OK. The nemesis partitions, cuts one way, resets,
// delays, slows old connections, jumps wall clocks, and crashes any host (a power cut of its
// SimDisk: unsynced writes lost, the last surviving one torn), rebooting it later. The operator
// (a world task every 250 ms) does what a person running classic RocketMQ would:
//   - a slave whose HA stopped on a divergence is restarted (openWithRejoin truncates it); when
//     its status says a restart would refuse to drop the bytes (rejoin-guard.ts: acknowledged
//     bytes, a master not newer, too many bytes), the operator restarts it with
//     haRejoinAllowTruncate=true, as a person who read the refusal and chose the master would;
//   - when the master has been down for promoteAfterMs, the most advanced slave is promoted; the
//     other slave is restarted to follow it, and the old master, when it comes back, restarts as
//     SLAVE of the new master (this is where divergence and truncation happen).
// Every restart is a power cut of that host (a process kill would leave the page cache, but the
// store's in-process lock is keyed per boot of the disk).
//
// Checks (the lineage oracle is ha-lineage.ts):
//   lineage (after every step): every byte any node holds, by the epoch its own history puts it
//     in, is the byte the master of that epoch wrote there; only that master creates bytes of its
//     epoch, contiguously. So a slave's log is always a prefix of its master's lineage, byte for
//     byte, and a recovered log is a prefix of what the node had (a slave that stopped on a
//     divergence appends nothing, so it holds too). A log shrinks only by a crash or a rejoin.
//   sync-master-put-ok-on-slave (at each PUT_OK of a SYNC_MASTER): some slave was seen holding
//     the put's bytes, in the master's epoch, before the master answered. RocketMQ's classic
//     promise is exactly this: a slave acknowledges what is in its page cache (committed, not
//     flushed), so a SYNC_MASTER PUT_OK means "on the master and in a slave's memory". It does
//     not survive a power cut of that slave alone (unless it flushed): after such a cut the check
//     is that the slave recovers a prefix (lineage) and catches up from the master again
//     (converged); `acked bytes lost at slave cuts` in the stats counts how often that mattered.
//   sync-flush-put-ok-survives (at each recovery): every PUT_OK a SYNC_FLUSH node answered is in
//     its recovered log with the same bytes (record hash), unless a rejoin since dropped it.
//   rejoin-drops-only-diverged (at each truncating rejoin): truncateTo >= the lineage prefix the
//     node's recovered log shares with its master's log (it drops no byte the master has in the
//     same epoch), and the quarantine copy holds exactly the dropped bytes [truncateTo, end).
//   no-start-failure: no node fails to open or start while alive.
//   converged (final; after the faults stop, all healed and rebooted): every slave follows the
//     current master, has its end and byte-identical log, and the queue offsets agree.
// Found by the long run and fixed: seed 10440 failed `lineage` at a slave's recovery. The
// checkpoint's timestamp was the slave's own wall time (store-timers.ts sampleCheckpoint) while
// the abnormal recovery compares it with the records' storeTimestamps, which on a slave are the
// master's (older), so recovery started at an unflushed segment and kept an older segment's
// lost tail. The checkpoint now carries the flushed records' own storeTimestamp (RocketMQ's rule);
// ha-scenario.test.ts replays the seed.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { formatEpochs, type EpochEntry } from '../../../src/ha/epoch-history.js';
import type { RejoinOutcome } from '../../../src/ha/slave-rejoin.js';
import type { MessageStore } from '../../../src/store/message-store.js';
import { Nemesis } from '../nemesis.js';
import type { Rng } from '../rng.js';
import type { Scenario, ScenarioRun } from '../scenario.js';
import { SimDisk } from '../sim-disk.js';
import { SimNetwork } from '../sim-network.js';
import type { World } from '../world.js';
import { lineagePrefix, Oracle, type Writer } from './ha-lineage.js';
import { HaSimNode, STORE_ROOT, type MasterRole, type NodeSettings } from './ha-node.js';

const TOPIC = 'SimTopic';
const QUEUES = 4;
const FAULTS_END_MS = 30_000;
const OPERATOR_EVERY_MS = 250;
const MAX_IN_FLIGHT_PUTS = 8;

export interface HaScenarioOptions {
  /** Test-only: masters answer every gate wait 'ok' at once (see ha-node.ts). */
  bugGateOkEarly?: boolean;
  /** Test-only: slaves skip the rejoin and adopt their master's history unchecked (ha-node.ts). */
  bugRejoinLies?: boolean;
}

export function haScenario(name: string, options: HaScenarioOptions = {}): Scenario {
  return {
    name,
    summary: options.bugGateOkEarly
      ? 'ha with a master whose replication gate answers ok before any slave has the bytes (must be caught)'
      : options.bugRejoinLies
        ? 'ha with slaves that skip the rejoin and claim their master\'s epoch history (must be caught)'
        : 'real MessageStore + classic HA (master, 1-2 slaves, rejoin, promotion) on SimDisks over the SimNetwork; 30 s of faults',
    maxSteps: 2_000_000,
    maxSimMs: 60_000,
    setup: (world) => setupHa(world, options),
  };
}

interface PutRecord {
  offset: number;
  size: number;
  hash: string;
}

/** What the checks keep per host. */
interface HostState {
  node: HaSimNode;
  /** Bytes below this were checked against the oracle (current incarnation), under this history. */
  observed: number;
  checkedEpochs: readonly EpochEntry[] | null;
  /** Who last wrote this host's log (for bytes a crash kept but no step saw). */
  lastWriter: Writer;
  /** Per epoch entry ("epoch@start"), the highest end this host was seen holding as a slave in it. */
  cover: Map<string, number>;
  /** SYNC_FLUSH PUT_OKs this host answered as master, still expected in its log. */
  durable: PutRecord[];
  /** The log as recovered at the last open (for the rejoin check), then dropped. */
  recovered: { bytes: Buffer; end: number; epochs: ReturnType<HaSimNode['epochs']> } | null;
}

let runs = 0;

function setupHa(world: World, options: HaScenarioOptions): ScenarioRun {
  const runNumber = ++runs;
  const knobs = world.rng.fork('scenario');
  const slaveCount = knobs.int(1, 2);
  const settings: NodeSettings = {
    flushDiskType: knobs.pick(['SYNC_FLUSH', 'ASYNC_FLUSH'] as const),
    masterRole: knobs.pick(['SYNC_MASTER', 'ASYNC_MASTER'] as const),
    segmentBytes: 73_728,
    bugGateOkEarly: options.bugGateOkEarly,
    bugRejoinLies: options.bugRejoinLies,
  };
  const promotions = knobs.chance(0.6);
  const promoteAfterMs = knobs.int(1_000, 6_000);
  const meanGapMs = knobs.pick([700, 2_000, 5_000]);
  world.log('world', `ha: ${slaveCount} slave(s), ${settings.flushDiskType}, ${settings.masterRole}, promotion ${promotions ? `after ${promoteAfterMs} ms` : 'off'}, faults every ~${meanGapMs} ms`);

  const net = new SimNetwork(world, { stallResetMs: knobs.int(3_000, 12_000) });
  const oracle = new Oracle();
  /** Violations found inside hooks and continuations, reported by the check of that name. */
  const problems = new Map<string, string>();
  const fail = (check: string, message: string): void => {
    if (!problems.has(check)) problems.set(check, message);
  };
  const stats = { puts: 0, ok: 0, statuses: new Map<string, number>(), promotions: 0, truncations: 0, restarts: 0, allowedTruncations: 0, ackedLostAtCuts: 0 };
  let masterHost = 'n0';
  let masterDownSinceMs: number | null = null;

  const hosts: HostState[] = [];
  const byHost = new Map<string, HostState>();
  const crashRngs = new Map<string, Rng>();
  for (let i = 0; i <= slaveCount; i++) {
    const host = `n${i}`;
    // a name of its own per run: the store's in-process lock is keyed by it, and the stores of an
    // earlier run in this process (never closed: their hosts just stop) keep theirs
    const disk = new SimDisk({ name: `run${runNumber}-${host}`, clock: world.clock });
    crashRngs.set(host, world.rng.fork(`crash:${host}`));
    const node = new HaSimNode(host, i, disk, world, net, settings, {
      recovered: (n, store) => onRecovered(byHost.get(n.host)!, store),
      rejoined: (n, store, outcome) => onRejoined(byHost.get(n.host)!, store, outcome),
      failed: (n, err) => fail('no-start-failure', `${n.label} failed to start: ${err.stack ?? err.message}`),
      epochsOf: (h) => byHost.get(h)!.node.epochs(),
    });
    const state: HostState = { node, observed: 0, checkedEpochs: null, lastWriter: { brokerId: -1, isMaster: false, label: host }, cover: new Map(), durable: [], recovered: null };
    hosts.push(state);
    byHost.set(host, state);
  }

  world.onCrash((host) => {
    const s = byHost.get(host);
    if (!s) return;
    const rng = crashRngs.get(host)!;
    const info = s.node.store?.runtimeInfo();
    if (info) world.log('disk', `${host} at the cut: wrote ${info.wroteOffset}, committed ${info.committedOffset}, flushed ${info.flushedOffset}; unsynced writes ${s.node.disk.readdir(`${STORE_ROOT}/commitlog`).map((f) => `${f}: ${s.node.disk.unsyncedWriteCount(`${STORE_ROOT}/commitlog/${f}`)}`).join(', ')}`);
    const report = s.node.disk.crash(() => rng.float());
    world.log('disk', `${host} power cut: ${report.writesLost} unsynced write(s) lost, ${report.writesTorn} torn, in ${report.filesWithUnsyncedWrites} file(s)`);
    s.node.store = null;
    s.node.ha = null;
  });

  const boot = (host: string, allowTruncate = false): void => {
    const s = byHost.get(host)!;
    s.observed = 0;
    s.checkedEpochs = null;
    s.recovered = null;
    if (host === masterHost) s.node.boot(settings.masterRole, null);
    else s.node.boot('SLAVE', masterHost, allowTruncate);
  };
  const restart = (s: HostState, why: string, allowTruncate = false): void => {
    stats.restarts++;
    if (allowTruncate) stats.allowedTruncations++;
    world.crashHost(s.node.host, `operator: ${why}${allowTruncate ? ' (with haRejoinAllowTruncate=true)' : ''}`);
    boot(s.node.host, allowTruncate);
  };

  // ---- the recovery-time checks

  function onRecovered(s: HostState, store: MessageStore): void {
    const end = store.getMaxPhyOffset();
    const bytes = readLog(store, store.getMinPhyOffset(), end);
    const epochs = s.node.epochs();
    world.log('check', `${s.node.label} recovered [${store.getMinPhyOffset()}, ${end})`);
    const ackedBefore = Math.max(0, ...s.cover.values());
    if (ackedBefore > end) stats.ackedLostAtCuts++;
    const problem = oracle.observe({ ...s.lastWriter, label: `${s.node.label} (recovered)` }, epochs, store.getMinPhyOffset(), bytes);
    if (problem) fail('lineage', problem);
    s.observed = end;
    s.checkedEpochs = epochs;
    for (const put of s.durable) {
      if (put.offset + put.size > end) {
        fail('sync-flush-put-ok-survives', `${s.node.label}: the SYNC_FLUSH PUT_OK at [${put.offset}, ${put.offset + put.size}) is beyond the recovered end ${end}`);
        return;
      }
      if (hashOf(bytes.subarray(put.offset - store.getMinPhyOffset(), put.offset - store.getMinPhyOffset() + put.size)) !== put.hash) {
        fail('sync-flush-put-ok-survives', `${s.node.label}: the SYNC_FLUSH PUT_OK at [${put.offset}, ${put.offset + put.size}) has other bytes after the power cut`);
        return;
      }
    }
    s.recovered = { bytes, end, epochs };
  }

  function onRejoined(s: HostState, store: MessageStore, outcome: RejoinOutcome): void {
    const recovered = s.recovered;
    s.recovered = null;
    world.log('check', `${s.node.label} rejoin: ${JSON.stringify(outcome)}`);
    if (outcome.kind !== 'truncated' || recovered === null) return;
    stats.truncations++;
    const { truncateTo } = outcome;
    const master = byHost.get(s.node.masterHost ?? '');
    if (master?.node.alive && master.node.store) {
      const prefix = lineagePrefix(recovered.epochs, recovered.end, master.node.epochs(), master.node.store.getMaxPhyOffset());
      if (truncateTo < prefix) {
        fail('rejoin-drops-only-diverged', `${s.node.label} truncated to ${truncateTo} but shares [0, ${prefix}) with master ${master.node.label} by lineage`);
        return;
      }
    }
    const dir = outcome.quarantineDir;
    if (dir === null) return fail('rejoin-drops-only-diverged', `${s.node.label} dropped [${truncateTo}, ${recovered.end}) without a quarantine copy`);
    const disk = s.node.disk;
    const copy = Buffer.concat(disk.readdir(dir).sort().map((f) => disk.readFile(join(dir, f))));
    const dropped = recovered.bytes.subarray(truncateTo - (recovered.end - recovered.bytes.length));
    if (!copy.equals(dropped)) {
      fail('rejoin-drops-only-diverged', `${s.node.label}: the quarantine copy ${dir} (${copy.length} B) is not the dropped bytes [${truncateTo}, ${recovered.end}) (${dropped.length} B)`);
      return;
    }
    s.durable = s.durable.filter((p) => p.offset + p.size <= truncateTo);
    s.observed = Math.min(s.observed, store.getMaxPhyOffset());
  }

  // ---- the after-every-step checks

  for (const check of ['sync-master-put-ok-on-slave', 'sync-flush-put-ok-survives', 'rejoin-drops-only-diverged', 'no-start-failure']) {
    world.invariants.register(check, () => problems.get(check));
  }
  world.invariants.register('lineage', () => {
    if (problems.has('lineage')) return problems.get('lineage');
    for (const s of hosts) {
      const store = s.node.store;
      if (!s.node.alive || store === null) continue;
      const end = store.getMaxPhyOffset();
      if (end < s.observed) return `${s.node.label}: its log went back from ${s.observed} to ${end} without a crash or a rejoin`;
      const role = store.brokerRole;
      s.lastWriter = { brokerId: store.config.brokerId, isMaster: role !== 'SLAVE', label: s.node.label };
      const epochs = s.node.epochs();
      if (s.checkedEpochs !== null && epochs !== s.checkedEpochs) {
        // a new history (adopted from a master, or a new epoch): bytes it attributes to other
        // epochs than before are checked again under it
        const from = lineagePrefix(s.checkedEpochs, s.observed, epochs, s.observed);
        if (from < s.observed) {
          const again = oracle.observe({ ...s.lastWriter, isMaster: false }, epochs, from, readLog(store, from, s.observed));
          if (again) return `under its new history ${formatEpochs(epochs)}: ${again}`;
        }
      }
      s.checkedEpochs = epochs;
      if (end === s.observed) continue;
      const problem = oracle.observe(s.lastWriter, epochs, s.observed, readLog(store, s.observed, end));
      if (problem) return problem;
      s.observed = end;
      if (role === 'SLAVE') {
        const last = epochs[epochs.length - 1]!;
        const epoch = `${last.epoch}@${last.startOffset}`;
        s.cover.set(epoch, Math.max(s.cover.get(epoch) ?? 0, end));
      }
    }
    return null;
  });

  // ---- the producer

  const producer = world.rng.fork('producer');
  const inFlight = new Map<string, number>();
  const produce = (): void => {
    const m = byHost.get(masterHost)!;
    const store = m.node.store;
    const label = m.node.label;
    if (world.simMs < FAULTS_END_MS && m.node.up && store && store.brokerRole !== 'SLAVE' && (inFlight.get(label) ?? 0) < MAX_IN_FLIGHT_PUTS) {
      inFlight.set(label, (inFlight.get(label) ?? 0) + 1);
      stats.puts++;
      const syncMaster = store.brokerRole === 'SYNC_MASTER';
      const epochs = m.node.epochs();
      const last = epochs[epochs.length - 1]!;
      const epoch = `${last.epoch}@${last.startOffset}`;
      store
        .putMessage({ topic: TOPIC, queueId: producer.int(0, QUEUES - 1), body: producer.bytes(producer.int(20, 1_500)) })
        .then((r) => {
          inFlight.set(label, (inFlight.get(label) ?? 1) - 1);
          stats.statuses.set(r.status, (stats.statuses.get(r.status) ?? 0) + 1);
          if (r.status !== 'PUT_OK' || !m.node.alive || m.node.store !== store) return;
          stats.ok++;
          const end = r.physicalOffset + r.wroteBytes;
          if (syncMaster && !hosts.some((h) => h !== m && (h.cover.get(epoch) ?? 0) >= end)) {
            fail('sync-master-put-ok-on-slave', `${label} answered PUT_OK for [${r.physicalOffset}, ${end}) (epoch ${epoch}) but no slave was seen holding it (slaves hold ${hosts.filter((h) => h !== m).map((h) => `${h.node.label}: ${h.cover.get(epoch) ?? 0}`).join(', ')})`);
          }
          if (settings.flushDiskType === 'SYNC_FLUSH') m.durable.push({ offset: r.physicalOffset, size: r.wroteBytes, hash: hashOf(readLog(store, r.physicalOffset, end)) });
        })
        .catch((err: Error) => fail('no-start-failure', `${label}: putMessage threw ${err.message}`));
    }
    if (world.simMs < FAULTS_END_MS) world.after(producer.int(2, 40), '', produce);
  };
  world.after(200, '', produce);

  // ---- the operator

  const operate = (): void => {
    const m = byHost.get(masterHost)!;
    masterDownSinceMs = m.node.alive ? null : (masterDownSinceMs ?? world.simMs);
    for (const s of hosts) {
      if (s === m || !s.node.up) continue;
      const status = s.node.ha!.status();
      if ('diverged' in status && status.diverged !== null) restart(s, `slave stopped on a divergence ${JSON.stringify(status.diverged)}`, status.diverged.refusal !== null);
      else if (s.node.masterHost !== masterHost) restart(s, `follow the new master ${masterHost}`);
    }
    if (promotions && masterDownSinceMs !== null && world.simMs - masterDownSinceMs >= promoteAfterMs) promote();
    if (world.simMs > FAULTS_END_MS && converged() === null) world.stop('every slave caught up');
    world.after(OPERATOR_EVERY_MS, '', operate);
  };
  const promote = (): void => {
    const candidates = hosts.filter((s) => s.node.up && s.node.store!.brokerRole === 'SLAVE' && s.node.masterHost === masterHost && !diverged(s));
    if (candidates.length === 0) return;
    const best = candidates.reduce((a, b) => (b.node.store!.getMaxPhyOffset() > a.node.store!.getMaxPhyOffset() ? b : a));
    world.log('operator', `master ${masterHost} down for ${world.simMs - masterDownSinceMs!} ms: promote ${best.node.label} (log end ${best.node.store!.getMaxPhyOffset()})`);
    masterHost = best.node.host;
    masterDownSinceMs = null;
    stats.promotions++;
    best.node.ha!.promote(settings.masterRole as MasterRole).catch((err: Error) => {
      if (best.node.alive) fail('no-start-failure', `promote ${best.node.label} failed: ${err.message}`);
    });
  };
  world.after(OPERATOR_EVERY_MS, '', operate);

  const converged = (): string | null => {
    const m = byHost.get(masterHost)!;
    const ms = m.node.store;
    if (!m.node.up || !ms || ms.brokerRole === 'SLAVE') return `master ${masterHost} is not up`;
    const end = ms.getMaxPhyOffset();
    for (const s of hosts) {
      if (s === m) continue;
      const store = s.node.store;
      if (!s.node.up || !store) return `${s.node.host} is not up`;
      if (store.brokerRole !== 'SLAVE' || s.node.masterHost !== masterHost) return `${s.node.label} does not follow ${masterHost}`;
      if (store.getMaxPhyOffset() !== end) return `${s.node.label} ends at ${store.getMaxPhyOffset()}, master ${m.node.label} at ${end}`;
      for (let q = 0; q < QUEUES; q++) {
        if (store.getMaxOffsetInQueue(TOPIC, q) !== ms.getMaxOffsetInQueue(TOPIC, q)) return `${s.node.label} queue ${q} max offset ${store.getMaxOffsetInQueue(TOPIC, q)}, master ${ms.getMaxOffsetInQueue(TOPIC, q)}`;
      }
    }
    return null;
  };
  world.invariants.registerFinal('converged', () => {
    const why = converged();
    if (why !== null) return why;
    const ms = byHost.get(masterHost)!.node.store!;
    const bytes = readLog(ms, 0, ms.getMaxPhyOffset());
    for (const s of hosts) {
      const store = s.node.store!;
      if (store !== ms && !readLog(store, 0, store.getMaxPhyOffset()).equals(bytes)) return `${s.node.label}'s log is not byte-identical to the master's`;
    }
    return null;
  });

  for (const s of hosts) boot(s.node.host);
  const nemesis = new Nemesis(world, net, {
    hosts: hosts.map((s) => s.node.host),
    startMs: 500,
    endMs: FAULTS_END_MS,
    meanGapMs,
    weights: { partition: 3, 'one-way-cut': 2, reset: 3, spike: 2, slow: 2, crash: 3, 'clock-jump': 1 },
    cutMs: [100, 12_000],
    downMs: [200, 8_000],
    crash: { hosts: hosts.map((s) => s.node.host), reboot: boot },
  });
  nemesis.start();

  return {
    stats: () =>
      `${slaveCount} slave(s) ${settings.flushDiskType} ${settings.masterRole}; puts ${stats.puts} (${[...stats.statuses].map(([k, v]) => `${k} ${v}`).join(', ')}); ` +
      `promotions ${stats.promotions}, truncations ${stats.truncations}, operator restarts ${stats.restarts} (${stats.allowedTruncations} allowing a refused truncation), acked bytes lost at slave cuts ${stats.ackedLostAtCuts}, faults ${nemesis.faults}, epoch numbers reused ${oracle.reusedEpochNumbers}; ` +
      `master ${masterHost} end ${byHost.get(masterHost)!.node.store?.getMaxPhyOffset() ?? '-'}`,
  };
}

function diverged(s: HostState): boolean {
  const status = s.node.ha?.status();
  return status !== undefined && 'diverged' in status && status.diverged !== null;
}

/** Committed bytes [from, to) of a store's CommitLog. */
export function readLog(store: MessageStore, from: number, to: number): Buffer {
  const source = store.replicationSource();
  const parts: Uint8Array[] = [];
  for (let at = from; at < to; ) {
    const chunk = source.read(at, to - at);
    if (chunk.length === 0) throw new Error(`readLog: nothing readable at ${at} of [${from}, ${to})`);
    parts.push(chunk);
    at += chunk.length;
  }
  return Buffer.concat(parts);
}

function hashOf(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

export { STORE_ROOT };
