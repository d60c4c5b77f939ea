// What a simulator scenario is: a named way to populate a World (hosts, their programs, the
// network, faults) and the checks that must hold. Scenarios live in test/sim/scenarios/ and are
// listed in scenarios/index.ts; main.ts and the tests run them one seed at a time.
import type { World } from './world.js';

export interface ScenarioRun {
  /** One short line of scenario figures for --verbose (messages echoed, faults injected, ...). */
  stats(): string;
}

export interface Scenario {
  readonly name: string;
  readonly summary: string;
  /** Default limits of one seed's run. */
  readonly maxSteps: number;
  readonly maxSimMs: number;
  /** Populate the world: boot hosts, start their code, arm faults, register checks. */
  setup(world: World): ScenarioRun;
}
