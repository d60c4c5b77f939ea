// When the leader last heard from a quorum, and its lease (check-quorum and the leader lease,
// Ongaro's thesis §6.2): per follower the monotonic time of the newest answer, and the newest
// request send time that follower echoed back (a follower that answered a request sent at s heard
// from the leader after s, so it refuses votes until at least s + electionTimeout).
//   - step down: no answer from a quorum (self counts, always fresh) within electionTimeoutMs;
//   - lease: valid while now < (the quorum's oldest echoed send time) + electionTimeoutMs - margin:
//     no other leader can have been elected before then, so until then the leader may acknowledge;
//     past it, it acknowledges nothing until a quorum answers again.

export class QuorumContact {
  private readonly heardMs = new Map<string, number>();
  private readonly echoedSentMs = new Map<string, number>();

  constructor(
    private readonly followers: readonly string[],
    private readonly quorum: number,
    startMs: number,
  ) {
    // a new leader gives each follower one election timeout to answer
    for (const f of followers) this.heardMs.set(f, startMs);
  }

  heard(from: string, nowMs: number, echoedSentAtMs: number): void {
    if (!this.heardMs.has(from)) return;
    this.heardMs.set(from, Math.max(this.heardMs.get(from)!, nowMs));
    if (echoedSentAtMs >= 0) this.echoedSentMs.set(from, Math.max(this.echoedSentMs.get(from) ?? -Infinity, echoedSentAtMs));
  }

  lastHeardMs(from: string): number {
    return this.heardMs.get(from) ?? -Infinity;
  }

  /** The time by which a quorum (self included) had last answered. */
  quorumHeardMs(nowMs: number): number {
    return this.kth([nowMs, ...this.followers.map((f) => this.heardMs.get(f)!)]);
  }

  /** The lease base: the quorum's oldest echoed send time (self: now). -Infinity if none. */
  leaseBaseMs(nowMs: number): number {
    return this.kth([nowMs, ...this.followers.map((f) => this.echoedSentMs.get(f) ?? -Infinity)]);
  }

  private kth(times: number[]): number {
    times.sort((a, b) => b - a);
    return times[this.quorum - 1] ?? -Infinity;
  }
}
