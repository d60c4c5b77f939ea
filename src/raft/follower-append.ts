// What a follower does with an APPEND_REQUEST that comes from its leader in its term, as a pure
// plan over its log (term history + end): refuse it, or cut the diverged suffix and write the
// part of the data it does not hold yet.
//
// Raft §5.3 on bytes: the request fits when the follower's log reaches prevOffset and its byte at
// prevOffset - 1 has term prevTerm. Bytes it already holds with the data's term are the leader's
// bytes (Log Matching) and are kept; the first held byte of another term inside the data's range
// is a conflict: the log is cut there (never below the commit point: that is refused, it would
// drop a committed byte) and the rest of the data is written. A request that only repeats what
// the log holds changes nothing, and bytes past its end are kept (it may be an old, reordered
// request: Raft cuts only on a conflict).
import type { TermHistory } from './term-history.js';

export type AppendPlan =
  | { readonly kind: 'refuse-gap' }
  | { readonly kind: 'refuse-term' }
  | { readonly kind: 'refuse-below-commit'; readonly conflictAt: number }
  /** truncateTo: cut the log there first (null = no cut); then write data[writeFrom - prevOffset ..] at writeFrom (if writeFrom < end). */
  | { readonly kind: 'accept'; readonly truncateTo: number | null; readonly writeFrom: number; readonly end: number };

export function planAppend(
  terms: TermHistory,
  logEnd: number,
  commitOffset: number,
  request: { readonly prevOffset: number; readonly prevTerm: number; readonly dataTerm: number; readonly length: number },
): AppendPlan {
  const p = request.prevOffset;
  const end = p + request.length;
  if (p > logEnd) return { kind: 'refuse-gap' };
  if (p > 0 && terms.termAt(p - 1) !== request.prevTerm) return { kind: 'refuse-term' };
  let conflict: number;
  if (p >= logEnd || terms.termAt(p) !== request.dataTerm) conflict = p;
  else conflict = Math.min(terms.runEnd(p, logEnd), end);
  if (conflict < logEnd && conflict < end) {
    if (conflict < commitOffset) return { kind: 'refuse-below-commit', conflictAt: conflict };
    return { kind: 'accept', truncateTo: conflict, writeFrom: conflict, end };
  }
  return { kind: 'accept', truncateTo: null, writeFrom: Math.max(conflict, Math.min(logEnd, end)), end };
}
