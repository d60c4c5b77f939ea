// The whole pipeline on the echo scenario: determinism, faults actually injected, the checks
// biting on a deliberately broken server, and the replay command reproducing the failure.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { formatFailure, runSeed, runSeeds } from './runner.js';
import { findScenario } from './scenarios/index.js';

const echo = findScenario('echo')!;
const broken = findScenario('echo-bug-drop-byte')!;

async function fullTrace(seed: number): Promise<{ lines: string[]; hash: string; steps: number }> {
  const lines: string[] = [];
  const o = await runSeed(echo, seed, { traceSink: (l) => lines.push(l), traceLimit: 0 });
  return { lines, hash: o.result.traceHash, steps: o.result.steps };
}

describe('simulator: echo scenario', () => {
  it('is deterministic: the same seed gives the identical trace, another seed a different one', async () => {
    const a = await fullTrace(42);
    const b = await fullTrace(42);
    expect(a.lines.length).toBeGreaterThan(1_000);
    expect(b.lines).toEqual(a.lines);
    expect(b.hash).toBe(a.hash);
    const c = await fullTrace(43);
    expect(c.hash).not.toBe(a.hash);
    expect(c.lines).not.toEqual(a.lines);
  });

  it('passes its checks over a range of seeds while every kind of fault is injected', async () => {
    const seen = new Set<string>();
    const kinds: [string, RegExp][] = [
      ['partition', /fault +partition/],
      ['one-way cut', /fault +cut .* \(one way\)/],
      ['reset', /fault +reset c\d+/],
      ['delay spike', /fault +delay spike/],
      ['slow connection', /fault +slow c\d+/],
      ['host crash', /host +n\d#\d crashes/],
      ['clock jump', /fault +wall clock of n\d#\d jumps/],
      ['reconnect', /app +n[12]#\d connected \([1-9]\d* frames to \(re\)send\)/],
      ['refused connect', /refused \(no listener\)/],
      ['stall reset', /gives up: \d+B unacked/],
    ];
    const summary = await runSeeds(echo, Array.from({ length: 12 }, (_, i) => i + 1), {
      traceLimit: 0,
      traceSink: (line) => {
        for (const [name, re] of kinds) if (!seen.has(name) && re.test(line)) seen.add(name);
      },
    });
    expect(summary.failures.map((f) => formatFailure(echo, f))).toEqual([]);
    expect([...seen].sort()).toEqual(kinds.map(([n]) => n).sort());
    expect(summary.steps).toBeGreaterThan(12 * 2_000);
  });

  it('bites: a server that drops one byte after a reconnect is caught, with a replay command that reproduces it', async () => {
    const summary = await runSeeds(broken, Array.from({ length: 10 }, (_, i) => i + 1));
    expect(summary.failures.length).toBeGreaterThan(0);
    const first = summary.failures[0]!;
    expect(first.result.violation?.check).toMatch(/echo-streams-intact|clients-caught-up/);
    const report = formatFailure(broken, first);
    expect(report).toContain(`replay: npm run sim -- --scenario echo-bug-drop-byte --seed ${first.result.seed}`);
    expect(report).toMatch(/\[ *\d+\.\d{3}ms\] /); // the trace, with simulated time stamps
    // The replay finds the same violation at the same step.
    const again = await runSeed(broken, first.result.seed);
    expect(again.result.violation).toEqual(first.result.violation);
    expect(again.result.traceHash).toBe(first.result.traceHash);
    // The same seeds pass with the correct server.
    const fixed = await runSeed(echo, first.result.seed);
    expect(fixed.result.violation).toBeNull();
  });

  it('the CLI exits 1 on a violation, prints the summary and the replay command; a replay in a new process has the same trace', async () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--scenario', 'echo-bug-drop-byte', '--seeds', '3'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/sim echo-bug-drop-byte: 3 seeds \(1\.\.3\), [\d,]+ steps, [\d.]+ s simulated, [\d.]+ s wall, [1-3] violations?/);
    expect(run.stdout).toMatch(/replay: npm run sim -- --scenario echo-bug-drop-byte --seed \d/);
    const ok = spawnSync(process.execPath, ['--import', 'tsx', 'test/sim/main.ts', '--scenario', 'echo', '--seed', '5'], { encoding: 'utf8', timeout: 60_000 });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('scenario echo, seed 5'); // the full trace, from its first line
    expect(ok.stdout).toMatch(/sim echo: 1 seeds \(5\), .* 0 violations/);
    const here = await runSeed(echo, 5);
    expect(ok.stdout).toContain(`trace ${here.result.traceLines} lines #${here.result.traceHash}`);
  }, 120_000); // two child processes; slow on a loaded machine
});
