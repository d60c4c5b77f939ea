// The echo scenario: exercises the whole simulator pipeline (seeds, network, nemesis, checks,
// trace, replay) before the real HA code runs on it. One server host (n0) echoes numbered frames
// for two client hosts (n1, n2); the nemesis partitions, cuts one way, resets, slows, delays and
// crashes hosts (the server too) for the first 40 s; then 20 s of calm.
//
// Checks: safety, after every step: no program saw a broken stream (a corrupt, lost or reordered
// byte on a live connection; a seq going backwards on one connection). Final: every client
// reconnected and got every frame it sent echoed (nothing stuck after the faults stopped).
import { Nemesis } from '../nemesis.js';
import type { Scenario, ScenarioRun } from '../scenario.js';
import { SimNetwork } from '../sim-network.js';
import type { World } from '../world.js';
import { EchoClient, type EchoClientOptions } from './echo-client.js';
import { EchoReport } from './echo-report.js';
import { EchoServer, type EchoServerBug } from './echo-server.js';

const SERVER = 'n0';
const CLIENTS = ['n1', 'n2'] as const;
const PORT = 7000;
const FAULTS_END_MS = 40_000;
const SEND_UNTIL_MS = 45_000;
const RUN_MS = 60_000;

export function echoScenario(name: string, bug: EchoServerBug): Scenario {
  return {
    name,
    summary:
      bug === 'none'
        ? 'echo server n0, clients n1 n2, 40 s of faults then 20 s of calm; streams intact, clients catch up'
        : `the echo scenario with a deliberately broken server (${bug}): the checks must find it`,
    maxSteps: 400_000,
    maxSimMs: RUN_MS,
    setup: (world) => setupEcho(world, bug),
  };
}

function setupEcho(world: World, bug: EchoServerBug): ScenarioRun {
  const knobs = world.rng.fork('scenario');
  const net = new SimNetwork(world, { stallResetMs: knobs.int(3_000, 15_000), latencyMs: [0.05, knobs.pick([0.5, 2, 20])] });
  const report = new EchoReport((what, text) => world.log(what, text));
  const servers: EchoServer[] = [];
  const clients = new Map<string, EchoClient>();

  const bootServer = (): void => {
    const p = world.boot(SERVER);
    const server = new EchoServer(p, net.transport(p), { port: PORT, maxConnections: 8, bug }, report);
    servers.push(server);
    server.start().catch((err: Error) => report.fail(`server ${p.label} could not listen: ${err.message}`));
  };
  const clientOptions: EchoClientOptions = {
    host: SERVER,
    port: PORT,
    sendIntervalMs: [30, 300],
    sendUntilMs: SEND_UNTIL_MS,
    maxOutstanding: 32,
    echoTimeoutMs: knobs.pick([2_000, 5_000, 30_000]), // the longest leaves dead links to TCP's stall reset
    connectTimeoutMs: 2_000,
    backoffMs: [50, 1_000],
  };
  const bootClient = (host: string): void => {
    const p = world.boot(host);
    const client = new EchoClient(p, net.transport(p), world.rng.fork(`client:${p.label}`), clientOptions, report, () => world.simMs);
    clients.set(host, client);
    client.start();
  };

  bootServer();
  for (const h of CLIENTS) bootClient(h);
  const nemesis = new Nemesis(world, net, {
    hosts: [SERVER, ...CLIENTS],
    startMs: 500,
    endMs: FAULTS_END_MS,
    meanGapMs: knobs.pick([500, 1_500, 4_000]),
    weights: { partition: 3, 'one-way-cut': 2, reset: 3, spike: 2, slow: 2, crash: 2, 'clock-jump': 1 },
    cutMs: [100, 20_000],
    downMs: [50, 5_000],
    crash: { hosts: [SERVER, ...CLIENTS], reboot: (host) => (host === SERVER ? bootServer() : bootClient(host)) },
  });
  nemesis.start();

  world.invariants.register('echo-streams-intact', () => report.failure);
  world.invariants.registerFinal('clients-caught-up', () => {
    const stuck = [...clients.values()].filter((c) => c.outstanding > 0 || !c.connected);
    if (stuck.length === 0) return null;
    return stuck.map((c) => `${c.name}: ${c.outstanding} frames never echoed, ${c.connected ? 'connected' : 'not connected'}`).join('; ');
  });

  return {
    stats: () => {
      const echoed = [...clients.values()].reduce((n, c) => n + c.echoed, 0);
      const connects = [...clients.values()].reduce((n, c) => n + c.connects, 0);
      return `faults ${nemesis.faults}, client connects ${connects}, frames echoed ${echoed} (current incarnations), server incarnations ${servers.length}`;
    },
  };
}
