// The leader's view of one follower (etcd's Progress, on byte offsets): where to send next, what the
// follower holds that matches the leader's log, and the appends in flight.
//
//   probe      the leader does not know where the follower's log agrees with its own: one append
//              at a time (possibly empty) at `next`; a refusal carries the follower's term history
//              and the leader moves `next` to where the two logs agree (term-history agreedEnd);
//   replicate  the follower matched at `next`: appends are pipelined, up to maxInflight of them,
//              as soon as the leader has written the bytes; an append unanswered for the append
//              timeout, or a refusal of a current append, falls back to probe at the match point.
// Invariants: match* grow within a term (they count bytes the follower holds in this term's log),
// except that a refusal brings them down to the agreement point (a follower that crashed lost
// unflushed bytes it had reported written); next >= matchWritten once replicating; inflight holds at most maxInflight ends, increasing.

export interface Inflight {
  readonly prev: number;
  readonly end: number;
  readonly sentAtMs: number;
}

export class PeerProgress {
  state: 'probe' | 'replicate' = 'probe';
  next: number;
  matchWritten = 0;
  matchFlushed = 0;
  readonly inflight: Inflight[] = [];
  /** probe: the outstanding probe's prevOffset and send time (null = none outstanding). */
  probePrev: number | null = null;
  probeSentAtMs = 0;

  constructor(
    readonly id: string,
    next: number,
  ) {
    this.next = next;
  }

  /** The follower's position that counts for the commit. */
  counted(ackPosition: 'flushed' | 'written'): number {
    return ackPosition === 'flushed' ? this.matchFlushed : this.matchWritten;
  }

  raiseMatch(written: number, flushed: number): void {
    this.matchWritten = Math.max(this.matchWritten, written);
    this.matchFlushed = Math.max(this.matchFlushed, Math.min(flushed, this.matchWritten));
  }

  /** An append [prev, end) succeeded. */
  acked(prev: number, end: number): void {
    if (this.state === 'probe') {
      if (this.probePrev !== prev) return; // an older probe's answer
      this.state = 'replicate';
      this.probePrev = null;
      this.next = Math.max(this.next, end);
      return;
    }
    while (this.inflight.length > 0 && this.inflight[0]!.end <= end) this.inflight.shift();
    if (this.next < end) this.next = end;
  }

  /** The follower refused an append at `prev`; `agreed` is where the logs agree. Returns whether
   * the leader should probe now (false for an answer to an append it no longer cares about). */
  refused(prev: number, agreed: number): boolean {
    if (this.state === 'probe' && this.probePrev !== prev) return false;
    if (this.state === 'replicate' && prev < this.matchWritten) return false; // stale
    // the follower's log may be shorter than it once reported (a crash lost unflushed bytes):
    // what it holds now is what counts, so its match positions come down to the agreement point
    this.matchWritten = Math.min(this.matchWritten, agreed);
    this.matchFlushed = Math.min(this.matchFlushed, agreed);
    this.toProbe(agreed);
    return true;
  }

  toProbe(next: number): void {
    this.state = 'probe';
    this.next = next;
    this.probePrev = null;
    this.inflight.length = 0;
  }

  /** The oldest unanswered send is older than the timeout. */
  stalled(nowMs: number, timeoutMs: number): boolean {
    if (this.state === 'probe') return this.probePrev !== null && nowMs - this.probeSentAtMs >= timeoutMs;
    return this.inflight.length > 0 && nowMs - this.inflight[0]!.sentAtMs >= timeoutMs;
  }

  /** A heartbeat sent after the oldest append in flight was answered with a log end short of
   * that append: the append was lost (or overtaken); send again from its start at once instead
   * of waiting for the append timeout. Returns whether it did. */
  heartbeatShowsLoss(echoedSentAtMs: number, followerLogEnd: number): boolean {
    const first = this.inflight[0];
    if (this.state !== 'replicate' || !first || echoedSentAtMs <= first.sentAtMs || followerLogEnd >= first.end) return false;
    this.toProbe(first.prev);
    return true;
  }

  canSend(maxInflight: number): boolean {
    return this.state === 'probe' ? this.probePrev === null : this.inflight.length < maxInflight;
  }

  sent(prev: number, end: number, nowMs: number): void {
    if (this.state === 'probe') {
      this.probePrev = prev;
      this.probeSentAtMs = nowMs;
    } else {
      this.inflight.push({ prev, end, sentAtMs: nowMs });
      this.next = end;
    }
  }
}
