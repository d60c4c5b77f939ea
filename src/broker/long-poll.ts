// Long polling: ReceiveMessage calls that found nothing wait here for a message to arrive in
// their topic (MessageStore.onMessageArrived, the engine's public arrival notification), for
// their own deadline (an invisibility expiry or the end of the poll), or for the call to be
// cancelled / the broker to close, whichever comes first. Bounded: beyond MAX_WAITERS a poll is
// answered at once (the client polls again).
import type { MessageStore } from '../store/message-store.js';
import type { Scheduler } from '../util/scheduler.js';

export const MAX_WAITERS = 10_000;

export type WakeReason = 'arrived' | 'timeout' | 'cancelled' | 'closed' | 'full';

export class ArrivalWaiters {
  private readonly byTopic = new Map<string, Set<(r: WakeReason) => void>>();
  private count = 0;
  private closed = false;
  private readonly unlisten: () => void;

  constructor(
    store: MessageStore,
    private readonly scheduler: Scheduler,
  ) {
    this.unlisten = store.onMessageArrived((topic) => this.wakeTopic(topic, 'arrived'));
  }

  get waiting(): number {
    return this.count;
  }

  /** Wait up to `timeoutMs` for an arrival in `topic`; `cancel` registers the caller's abort. */
  wait(topic: string, timeoutMs: number, onCancel: (cancel: () => void) => void): Promise<WakeReason> {
    if (this.closed) return Promise.resolve('closed');
    if (this.count >= MAX_WAITERS) return Promise.resolve('full');
    return new Promise<WakeReason>((resolve) => {
      let set = this.byTopic.get(topic);
      if (!set) this.byTopic.set(topic, (set = new Set()));
      const waiters = set;
      let timer: { cancel(): void } | null = null;
      const finish = (reason: WakeReason): void => {
        if (!waiters.delete(finish)) return;
        this.count--;
        if (waiters.size === 0 && this.byTopic.get(topic) === waiters) this.byTopic.delete(topic);
        timer?.cancel();
        resolve(reason);
      };
      waiters.add(finish);
      this.count++;
      timer = this.scheduler.after(Math.max(0, timeoutMs), () => finish('timeout'));
      onCancel(() => finish('cancelled'));
    });
  }

  /** Wake the polls of `topic` to look again (an invisibility was shortened). */
  nudge(topic: string): void {
    this.wakeTopic(topic, 'arrived');
  }

  /** Wake every waiter and stop listening (the broker is closing). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unlisten();
    for (const topic of [...this.byTopic.keys()]) this.wakeTopic(topic, 'closed');
  }

  private wakeTopic(topic: string, reason: WakeReason): void {
    const set = this.byTopic.get(topic);
    if (!set) return;
    for (const finish of [...set]) finish(reason);
  }
}
