// A thin layer over tinybench: each case runs `callsPerSample` calls per sample (so tiny
// calls are not swamped by timer cost), and results come back as per-call figures that
// suites print side by side as ratios to a baseline measured in the same run.
import { Bench } from 'tinybench';

export interface BenchCase {
  name: string;
  /** One sample: must make exactly `callsPerSample` calls of the thing measured. */
  sample: () => void;
  callsPerSample: number;
  /** Bytes processed per call, for MB/s (0 when not meaningful). */
  bytesPerCall?: number;
}

export interface BenchRow {
  name: string;
  nsPerCall: number;
  p50NsPerCall: number;
  p99NsPerCall: number;
  callsPerSec: number;
  mbPerSec: number | null;
  samples: number;
}

export interface BenchTiming {
  timeMs: number;
  warmupMs: number;
}

export const SMOKE_TIMING: BenchTiming = { timeMs: 20, warmupMs: 5 };
export const DEFAULT_TIMING: BenchTiming = { timeMs: 500, warmupMs: 100 };

export async function measure(cases: BenchCase[], timing: BenchTiming): Promise<BenchRow[]> {
  const bench = new Bench({ time: timing.timeMs, warmupTime: timing.warmupMs, iterations: 5 });
  for (const c of cases) bench.add(c.name, c.sample);
  await bench.run();
  return bench.tasks.map((task, i) => {
    const c = cases[i]!;
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`bench case '${c.name}' did not complete: ${r.state}`);
    const perCall = (ms: number): number => (ms * 1e6) / c.callsPerSample;
    const nsPerCall = perCall(r.latency.mean);
    return {
      name: c.name,
      nsPerCall,
      p50NsPerCall: perCall(r.latency.p50),
      p99NsPerCall: perCall(r.latency.p99),
      callsPerSec: 1e9 / nsPerCall,
      mbPerSec: c.bytesPerCall ? (c.bytesPerCall * 1e9) / nsPerCall / 1e6 : null,
      samples: r.latency.samplesCount,
    };
  });
}

/** A markdown table with each row's speed-up against `baseline` (higher = faster). */
export function formatTable(title: string, rows: BenchRow[], baseline: string): string {
  const base = rows.find((r) => r.name === baseline);
  const lines = [
    `### ${title}`,
    '',
    `| case | vs ${baseline} | ns/call (mean) | p50 ns | p99 ns | calls/s | MB/s |`,
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ratio = base ? `${(base.nsPerCall / r.nsPerCall).toFixed(2)}x` : 'n/a';
    lines.push(
      `| ${r.name} | ${ratio} | ${fmt(r.nsPerCall)} | ${fmt(r.p50NsPerCall)} | ${fmt(r.p99NsPerCall)} | ` +
        `${fmt(r.callsPerSec)} | ${r.mbPerSec === null ? '-' : fmt(r.mbPerSec)} |`,
    );
  }
  return lines.join('\n');
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(n >= 10 ? 1 : 2);
}
