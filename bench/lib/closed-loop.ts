// A closed-loop load: `lanes` async workers, each starting its next operation when the previous
// one answered, for `timeMs`; the rate and latency percentiles of what completed. Latency
// samples are capped (MAX_LATENCY_SAMPLES) so a long run cannot grow memory without bound.
export interface Rate {
  count: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

const MAX_LATENCY_SAMPLES = 1_000_000;

export function rateOf(latencies: number[], count: number, elapsedSec: number): Rate {
  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { count, perSec: count / elapsedSec, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Rounds of one measurement taken apart in time, as one Rate (all counts over all time,
 * percentiles over every latency). */
export function mergeRates(parts: ReadonlyArray<Rate & { elapsedSec: number; latencies: number[] }>): Rate {
  const latencies = parts.flatMap((p) => p.latencies).slice(0, MAX_LATENCY_SAMPLES);
  const count = parts.reduce((n, p) => n + p.count, 0);
  return rateOf(latencies, count, parts.reduce((t, p) => t + p.elapsedSec, 0));
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** `op(lane)` in a loop on every lane until `timeMs` passed; op returns how many items it did.
 * The result also carries its elapsed seconds and latency samples (for mergeRates). */
export async function closedLoop(timeMs: number, lanes: number, op: (lane: number) => Promise<number | void>): Promise<Rate & { elapsedSec: number; latencies: number[] }> {
  const latencies: number[] = [];
  let count = 0;
  const start = performance.now();
  const end = start + timeMs;
  const worker = async (lane: number): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      const n = await op(lane);
      count += typeof n === 'number' ? n : 1;
      if (latencies.length < MAX_LATENCY_SAMPLES) latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, i) => worker(i)));
  const elapsedSec = (performance.now() - start) / 1000;
  return { ...rateOf(latencies, count, elapsedSec), elapsedSec, latencies };
}
