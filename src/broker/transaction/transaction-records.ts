// The transaction records' formats:
//   transaction id  "<half queue offset hex>-<CommitLog offset hex>" of the half message in
//                   RMQ_SYS_TRANS_HALF_TOPIC (the broker finds the half by it, also after a
//                   restart; EndTransaction also checks the half's message id)
//   op record       JSON body in RMQ_SYS_TRANS_OP_HALF_TOPIC (tag "d", RocketMQ's remove tag):
//                   the half it ends, how (COMMIT, ROLLBACK, DISCARD after transactionCheckMax),
//                   and the rebuild checkpoint at the time it was written: every half below
//                   halfFrom is ended, and every op record of a half at or above halfFrom is at
//                   or above opFrom in the op queue.
export const OP_TAG = 'd';
export const RESOLUTIONS = ['COMMIT', 'ROLLBACK', 'DISCARD'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export interface HalfRef {
  readonly halfOffset: number;
  readonly physicalOffset: number;
}

export function transactionIdOf(ref: HalfRef): string {
  return `${ref.halfOffset.toString(16).toUpperCase()}-${ref.physicalOffset.toString(16).toUpperCase()}`;
}

/** The half a transaction id names, or null when it is not one of this broker's ids. */
export function parseTransactionId(id: string): HalfRef | null {
  const m = /^([0-9A-F]{1,13})-([0-9A-F]{1,13})$/.exec(id);
  if (!m) return null;
  const halfOffset = parseInt(m[1]!, 16);
  const physicalOffset = parseInt(m[2]!, 16);
  return Number.isSafeInteger(halfOffset) && Number.isSafeInteger(physicalOffset) ? { halfOffset, physicalOffset } : null;
}

export interface OpRecord {
  readonly halfOffset: number;
  readonly resolution: Resolution;
  /** SOURCE_CLIENT, SOURCE_SERVER_CHECK, or BROKER (a discard). */
  readonly source: string;
  readonly halfFrom: number;
  readonly opFrom: number;
}

export function encodeOp(op: OpRecord): string {
  return JSON.stringify({ v: 1, ...op });
}

export function decodeOp(body: Uint8Array | null): OpRecord | { reason: string } {
  let o: unknown;
  try {
    o = JSON.parse(Buffer.from(body ?? new Uint8Array(0)).toString('utf8'));
  } catch (err) {
    return { reason: `not JSON: ${(err as Error).message}` };
  }
  const r = o as Partial<OpRecord> & { v?: unknown };
  if (r === null || typeof r !== 'object' || r.v !== 1) return { reason: 'not a version 1 op record' };
  for (const k of ['halfOffset', 'halfFrom', 'opFrom'] as const) if (!Number.isSafeInteger(r[k]) || r[k]! < 0) return { reason: `${k} is not a non-negative integer` };
  if (!(RESOLUTIONS as readonly string[]).includes(r.resolution ?? '')) return { reason: `resolution ${JSON.stringify(r.resolution)} is not one of ${RESOLUTIONS.join(', ')}` };
  return { halfOffset: r.halfOffset!, resolution: r.resolution!, source: String(r.source ?? ''), halfFrom: r.halfFrom!, opFrom: r.opFrom! };
}
