// Runs a scenario for one seed or a range of seeds and formats what a person needs: one summary
// line, and for a failing seed the violation, the exact replay command and the trace.
// Used by main.ts (the CLI behind `npm run sim`) and by the simulator's tests.
import type { Scenario } from './scenario.js';
import { World, type RunResult } from './world.js';

export interface SeedOptions {
  /** Override the scenario's step limit. */
  maxSteps?: number;
  /** Override the scenario's simulated-time limit, ms. */
  maxSimMs?: number;
  /** Trace lines kept for the failure report. */
  traceLimit?: number;
  /** Receives every trace line as it is written (--seed replays). */
  traceSink?: (line: string) => void;
}

export interface SeedOutcome {
  result: RunResult;
  wallMs: number;
  /** The scenario's figures (ScenarioRun.stats). */
  stats: string;
  /** The kept trace lines, formatted (see Trace.format). */
  trace: string;
}

export interface Summary {
  scenario: string;
  seeds: number;
  firstSeed: number;
  lastSeed: number;
  steps: number;
  simMs: number;
  wallMs: number;
  failures: SeedOutcome[];
}

export async function runSeed(scenario: Scenario, seed: number, options: SeedOptions = {}): Promise<SeedOutcome> {
  const started = performance.now();
  const world = new World({ seed, traceLimit: options.traceLimit ?? 400, traceSink: options.traceSink });
  world.log('world', `scenario ${scenario.name}, seed ${seed}`);
  const run = scenario.setup(world);
  const result = await world.run({ maxSteps: options.maxSteps ?? scenario.maxSteps, maxSimMs: options.maxSimMs ?? scenario.maxSimMs });
  return { result, wallMs: performance.now() - started, stats: run.stats(), trace: world.trace.format() };
}

/** Run `seeds` in order; `onSeed` sees each outcome as it completes. */
export async function runSeeds(
  scenario: Scenario,
  seeds: readonly number[],
  options: SeedOptions = {},
  onSeed?: (outcome: SeedOutcome) => void,
): Promise<Summary> {
  const started = performance.now();
  const summary: Summary = {
    scenario: scenario.name,
    seeds: 0,
    firstSeed: seeds[0] ?? 0,
    lastSeed: seeds[seeds.length - 1] ?? 0,
    steps: 0,
    simMs: 0,
    wallMs: 0,
    failures: [],
  };
  for (const seed of seeds) {
    const outcome = await runSeed(scenario, seed, options);
    summary.seeds++;
    summary.steps += outcome.result.steps;
    summary.simMs += outcome.result.simMs;
    if (outcome.result.violation) summary.failures.push(outcome);
    onSeed?.(outcome);
  }
  summary.wallMs = performance.now() - started;
  return summary;
}

/** The command that replays one seed exactly (limits included when they differ from the defaults). */
export function replayCommand(scenario: Scenario, seed: number, options: SeedOptions = {}): string {
  const parts = ['npm run sim --', `--scenario ${scenario.name}`, `--seed ${seed}`];
  if (options.maxSteps !== undefined && options.maxSteps !== scenario.maxSteps) parts.push(`--steps ${options.maxSteps}`);
  if (options.maxSimMs !== undefined && options.maxSimMs !== scenario.maxSimMs) parts.push(`--sim-ms ${options.maxSimMs}`);
  return parts.join(' ');
}

export function formatSummary(s: Summary): string {
  const range = s.seeds === 0 ? 'none' : s.firstSeed === s.lastSeed ? `${s.firstSeed}` : `${s.firstSeed}..${s.lastSeed}`;
  return (
    `sim ${s.scenario}: ${s.seeds} seeds (${range}), ${s.steps.toLocaleString('en-US')} steps, ` +
    `${(s.simMs / 1000).toFixed(1)} s simulated, ${(s.wallMs / 1000).toFixed(2)} s wall, ` +
    `${s.failures.length} ${s.failures.length === 1 ? 'violation' : 'violations'}` +
    (s.failures.length > 0 ? ` (seeds ${s.failures.map((f) => f.result.seed).join(', ')})` : '')
  );
}

/** One line per seed for --verbose. */
export function formatSeedLine(o: SeedOutcome): string {
  const r = o.result;
  const verdict = r.violation ? `VIOLATION ${r.violation.check}` : 'ok';
  return (
    `seed ${r.seed}: ${verdict}, ${r.steps} steps, ${(r.simMs / 1000).toFixed(1)} s simulated, ` +
    `${o.wallMs.toFixed(0)} ms wall, ended by ${r.stopReason}, trace ${r.traceLines} lines #${r.traceHash}; ${o.stats}`
  );
}

/** The report of a failing seed: what broke, where, how to replay it, and the trace. */
export function formatFailure(scenario: Scenario, o: SeedOutcome, options: SeedOptions = {}, withTrace = true): string {
  const v = o.result.violation;
  if (!v) return `seed ${o.result.seed}: no violation`;
  const lines = [
    `seed ${o.result.seed} VIOLATED ${v.check} (${v.kind}) after step ${v.step} at ${(v.simMs / 1000).toFixed(3)} s simulated:`,
    `  ${v.message}`,
    `  replay: ${replayCommand(scenario, o.result.seed, options)}`,
  ];
  if (withTrace) lines.push(`  trace (last lines; the replay prints all of them):`, o.trace);
  return lines.join('\n');
}
