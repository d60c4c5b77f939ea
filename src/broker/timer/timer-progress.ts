// The delay timer's progress record, appended to rmq_sys_timer_progress (JSON body, one queue):
//   deliveredUpToMs  every timer entry below scannedOffset with a due time <= this is delivered
//   lowWaterOffset   every timer entry below it is delivered (the rebuild scan starts here)
//   scannedOffset    entries at or past it had not been indexed: after a restart they are all
//                    pending, whatever their due time
// Because the record is appended after the deliveries it covers, any prefix of the log (what a
// crash or a slave keeps) that holds the record also holds those deliveries.
export interface TimerProgress {
  readonly deliveredUpToMs: number;
  readonly lowWaterOffset: number;
  readonly scannedOffset: number;
}

export const NO_PROGRESS: TimerProgress = Object.freeze({ deliveredUpToMs: -1, lowWaterOffset: 0, scannedOffset: 0 });

export function encodeProgress(p: TimerProgress): string {
  return JSON.stringify({ v: 1, deliveredUpToMs: p.deliveredUpToMs, lowWaterOffset: p.lowWaterOffset, scannedOffset: p.scannedOffset });
}

/** The record's progress, or why it is not one. */
export function decodeProgress(body: Uint8Array | null): TimerProgress | { reason: string } {
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(body ?? new Uint8Array(0)).toString('utf8'));
  } catch (err) {
    return { reason: `not JSON: ${(err as Error).message}` };
  }
  const r = o as Partial<TimerProgress> & { v?: unknown };
  if (r === null || typeof r !== 'object' || r.v !== 1) return { reason: 'not a version 1 progress record' };
  for (const k of ['deliveredUpToMs', 'lowWaterOffset', 'scannedOffset'] as const) {
    if (!Number.isSafeInteger(r[k])) return { reason: `${k} is not an integer` };
  }
  if (r.lowWaterOffset! < 0 || r.scannedOffset! < r.lowWaterOffset!) return { reason: `offsets out of order (lowWater ${r.lowWaterOffset}, scanned ${r.scannedOffset})` };
  return { deliveredUpToMs: r.deliveredUpToMs!, lowWaterOffset: r.lowWaterOffset!, scannedOffset: r.scannedOffset! };
}
