// The leader's commit rule: the commit point is the largest offset a quorum holds (the leader's own
// position counts), and it may move only when that offset lies in the leader's own term, past the
// end of its term-start marker (Raft §5.4.2: entries of earlier terms are committed only through
// an entry of the current term; Raft figure 8 shows what goes wrong otherwise). Which position of
// a member counts is a setting: fsynced bytes (SYNC_FLUSH) or written bytes (ASYNC_FLUSH).
//
// Invariant: the returned commit point never goes backwards (the caller keeps the old one).

/** The largest offset held by at least `quorum` of `positions`. */
export function quorumOffset(positions: readonly number[], quorum: number): number {
  if (positions.length < quorum) return 0;
  const sorted = [...positions].sort((a, b) => b - a);
  return sorted[quorum - 1]!;
}

export interface CommitInput {
  /** Each member's counted position (self included). */
  readonly positions: readonly number[];
  readonly quorum: number;
  readonly currentCommit: number;
  /** Where the leader's term-start marker ends; null while it is not written. */
  readonly markerEnd: number | null;
  readonly currentTermRule: boolean;
}

/** The new commit point (>= currentCommit). */
export function nextCommit(input: CommitInput): number {
  const q = quorumOffset(input.positions, input.quorum);
  if (q <= input.currentCommit) return input.currentCommit;
  if (input.currentTermRule && (input.markerEnd === null || q < input.markerEnd)) return input.currentCommit;
  return q;
}
