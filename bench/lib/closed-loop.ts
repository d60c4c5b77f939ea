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

/** `op(lane)` in a loop on every lane until `timeMs` passed; op returns how many items it did. */
export async function closedLoop(timeMs: number, lanes: number, op: (lane: number) => Promise<number | void>): Promise<Rate> {
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
  return rateOf(latencies, count, (performance.now() - start) / 1000);
}
