// The CLI behind `npm run sim`: run a scenario over a range of seeds, or replay one seed with its
// full trace. Exit code 1 on any violation (and 2 on bad arguments).
//
//   npm run sim -- --seeds 300              seeds 1..300 of the default scenario (ha)
//   npm run sim -- --seeds 1000 --from 5000 seeds 5000..5999
//   npm run sim -- --seed 17                replay seed 17, printing every trace line
//   options: --scenario NAME, --steps N, --sim-ms N, --trace N (lines kept for a failure report),
//            --verbose (one line per seed), --list
import { parseArgs } from 'node:util';
import { formatFailure, formatSeedLine, formatSummary, runSeed, runSeeds, type SeedOptions } from './runner.js';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from './scenarios/index.js';

/** Failures whose trace is printed in a multi-seed run (the others get their replay command). */
const TRACES_PRINTED = 1;

function usage(message?: string): never {
  if (message) console.error(`sim: ${message}`);
  console.error('usage: npm run sim -- [--scenario NAME] (--seeds N [--from S] | --seed S) [--steps N] [--sim-ms N] [--trace N] [--verbose] [--list]');
  process.exit(2);
}

function positiveInt(name: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) usage(`--${name} wants a non-negative integer, got ${JSON.stringify(value)}`);
  return n;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        scenario: { type: 'string' },
        seeds: { type: 'string' },
        from: { type: 'string' },
        seed: { type: 'string' },
        steps: { type: 'string' },
        'sim-ms': { type: 'string' },
        trace: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) usage();
  if (v.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(22)} ${s.summary}`);
    return 0;
  }
  const scenario = findScenario(v.scenario ?? DEFAULT_SCENARIO);
  if (!scenario) usage(`no scenario ${JSON.stringify(v.scenario)} (try --list)`);
  const options: SeedOptions = {
    maxSteps: positiveInt('steps', v.steps),
    maxSimMs: positiveInt('sim-ms', v['sim-ms']),
    traceLimit: positiveInt('trace', v.trace, 400),
  };
  if (v.seed !== undefined && v.seeds !== undefined) usage('--seed and --seeds exclude each other');

  if (v.seed !== undefined) {
    const seed = positiveInt('seed', v.seed) as number;
    const outcome = await runSeed(scenario, seed, { ...options, traceSink: (line) => console.log(line) });
    console.log(formatSeedLine(outcome));
    if (outcome.result.violation) console.log(formatFailure(scenario, outcome, options, false));
    console.log(formatSummary({ scenario: scenario.name, seeds: 1, firstSeed: seed, lastSeed: seed, steps: outcome.result.steps, simMs: outcome.result.simMs, wallMs: outcome.wallMs, failures: outcome.result.violation ? [outcome] : [] }));
    return outcome.result.violation ? 1 : 0;
  }

  const count = positiveInt('seeds', v.seeds, 100) as number;
  const from = positiveInt('from', v.from, 1) as number;
  const seeds = Array.from({ length: count }, (_, i) => from + i);
  let printed = 0;
  const summary = await runSeeds(scenario, seeds, options, (outcome) => {
    if (v.verbose) console.log(formatSeedLine(outcome));
    if (outcome.result.violation) console.log(formatFailure(scenario, outcome, options, printed++ < TRACES_PRINTED));
  });
  console.log(formatSummary(summary));
  return summary.failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
