// How CommitLogs relate, byte for byte: the core of `mqstore verify`, written over a group of
// logs (logs[0] is the reference: the master, or later a DLedger leader; every other member is
// related to it) so comparing N replicas is the same call as comparing two.
//
// A member relates to the reference as
//   identical   same bytes over the common range and the same end;
//   prefix      the member's log is a strict prefix of the reference's (it is behind);
//   ahead       the reference's log is a strict prefix of the member's;
//   different   a byte differs (or a segment file is missing) inside the range both hold: the
//               first such offset is reported.
// The ends come from commit-log-dir.ts (the record scan; empty preallocated segments and the zero
// tail are not log). One more case is a prefix, not a difference: the first difference is a 0x00
// on one side and that side holds nothing but zeros from there through its scanned end and
// TAIL_PROBE_BYTES beyond (a record cut short by a crash whose header was already written, or a
// partly written header): that side's log ends at the difference. A non-zero byte that differs
// is always a difference. The files are only read.
import { closeSync, openSync, readSync } from 'node:fs';
import { segmentAt, type LogExtent } from './commit-log-dir.js';
import { compareLogs, type CompareOptions, type Difference } from './compare-logs.js';

/** How far past a side's scanned end its bytes must be zero for a 0x00 difference to be its end. */
export const TAIL_PROBE_BYTES = 64 << 10;
const ZERO_READ_BYTES = 1 << 20;

export type Relation = 'identical' | 'prefix' | 'ahead' | 'different';

export interface PairVerdict {
  relation: Relation;
  /** Compared from here (the later of both starts). */
  from: number;
  /** Every byte of [from, identicalUpTo) is the same in both logs. */
  identicalUpTo: number;
  /** The logs' ends as verify takes them (a zero-tailed cut record trimmed: see `trimmed`). */
  referenceEnd: number;
  memberEnd: number;
  /** For prefix / ahead: how far the longer log goes past the shorter one. */
  aheadBytes: number;
  difference: Difference | null;
  /** A side whose zero-filled tail after `at` was taken as the end of its log. */
  trimmed: { side: 'reference' | 'member'; at: number } | null;
  comparedBytes: number;
  chunks: number;
}

/** Relate every member (logs[1..]) to the reference logs[0], one pair at a time. */
export async function relateLogs(logs: readonly LogExtent[], options: CompareOptions): Promise<PairVerdict[]> {
  if (logs.length < 2) throw new RangeError(`relateLogs needs a reference and at least one member, got ${logs.length} log(s)`);
  const verdicts: PairVerdict[] = [];
  for (const member of logs.slice(1)) verdicts.push(await relatePair(logs[0]!, member, options));
  return verdicts;
}

export async function relatePair(reference: LogExtent, member: LogExtent, options: CompareOptions): Promise<PairVerdict> {
  const from = Math.max(reference.minOffset, member.minOffset);
  const commonEnd = Math.max(from, Math.min(reference.endOffset, member.endOffset));
  const shorter = reference.endOffset < member.endOffset ? reference : member.endOffset < reference.endOffset ? member : null;
  // a shorter log that ends in non-zero bytes that are not a record: compare on past its end, so
  // corrupt bytes are the difference (and a cut-short tail is recognised as one)
  const to = shorter?.endKind === 'corrupt' ? Math.max(reference.endOffset, member.endOffset) : commonEnd;
  const outcome = await compareLogs(reference, member, from, to, options);
  let referenceEnd = reference.endOffset;
  let memberEnd = member.endOffset;
  let difference = outcome.difference;
  let trimmed: PairVerdict['trimmed'] = null;
  const zeroSide = difference === null || difference.kind !== 'bytes' ? null : difference.slave?.byte === 0 ? 'member' : difference.master?.byte === 0 ? 'reference' : null;
  if (difference && zeroSide && endsInZerosAt(zeroSide === 'member' ? member : reference, difference.offset)) {
    trimmed = { side: zeroSide, at: difference.offset };
    if (zeroSide === 'member') memberEnd = difference.offset;
    else referenceEnd = difference.offset;
    difference = null;
  }
  const identicalUpTo = difference ? difference.offset : Math.max(from, Math.min(referenceEnd, memberEnd));
  const relation: Relation = difference ? 'different' : referenceEnd === memberEnd ? 'identical' : referenceEnd > memberEnd ? 'prefix' : 'ahead';
  return {
    relation,
    from,
    identicalUpTo,
    referenceEnd,
    memberEnd,
    aheadBytes: relation === 'prefix' || relation === 'ahead' ? Math.abs(referenceEnd - memberEnd) : 0,
    difference,
    trimmed,
    comparedBytes: identicalUpTo - from,
    chunks: outcome.chunks,
  };
}

/** Whether `log` holds only zeros from `offset` through its scanned end and TAIL_PROBE_BYTES
 * further (within the segment holding `offset`, which must be its newest segment with a record). */
function endsInZerosAt(log: LogExtent, offset: number): boolean {
  if (log.endKind === 'given' || log.endKind === 'empty') return false;
  const segment = segmentAt(log.segments, offset);
  if (!segment || segment !== log.segments[log.segments.length - 1 - log.emptyTailSegments]) return false;
  const until = Math.min(segment.fromOffset + segment.sizeBytes, Math.max(offset, log.endOffset) + TAIL_PROBE_BYTES);
  return allZero(segment.path, offset - segment.fromOffset, until - segment.fromOffset);
}

function allZero(path: string, fromPosition: number, toPosition: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(Math.min(ZERO_READ_BYTES, Math.max(1, toPosition - fromPosition)));
    const maxReads = Math.ceil((toPosition - fromPosition) / buf.length) + 1;
    let position = fromPosition;
    for (let n = 0; n < maxReads && position < toPosition; n++) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, toPosition - position), position);
      if (got === 0) return true; // the file ends: nothing more is there
      for (let i = 0; i < got; i++) if (buf[i] !== 0) return false;
      position += got;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}
