// What the HA code takes from the world: the network, the clock, the timers and a random source
// (reconnect jitter: Math.random in production, a seeded one in tests and the simulator). Every HA class
// receives one HaRuntime and touches nothing else (no node:net, Date.now, performance.now or raw
// timers in src/ha). Production passes tcpTransport, systemClock and realScheduler — chosen in
// one place, startHa / openWithRejoin; the simulator passes its seeded fakes.
import { tcpTransport } from '../net/tcp-transport.js';
import type { Transport } from '../net/transport.js';
import { systemClock, type Clock } from '../util/clock.js';
import { realScheduler, type Scheduler } from '../util/scheduler.js';

export interface HaRuntime {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  /** Uniform in [0, 1): the jitter of reconnect delays (reconnect-backoff.ts). */
  readonly random: () => number;
}

/** The production runtime, with whatever the caller injected in its place (startHa and
 * openWithRejoin only: everything below them takes a complete HaRuntime). */
export function haRuntime(injected: Partial<HaRuntime> = {}): HaRuntime {
  return {
    transport: injected.transport ?? tcpTransport,
    clock: injected.clock ?? systemClock,
    scheduler: injected.scheduler ?? realScheduler,
    random: injected.random ?? Math.random,
  };
}
