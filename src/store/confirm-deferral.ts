// DLedger mode: records that recovery (or a ConsumeQueue rebuild) finds past the queues' durable
// offset may be an uncommitted tail (the group may cut it), so instead of being indexed they wait
// in the dispatch queue for the Raft confirm offset (store-dispatch.ts). A record queued twice is
// harmless: a ConsumeQueue skips an entry it already holds. Null outside DLedger mode.
import type { ConsumeQueue } from '../consumequeue/consume-queue.js';
import type { StoreCore } from './store-core.js';

export interface ConfirmDeferral {
  readonly from: number;
  push(q: ConsumeQueue, queueOffset: number, at: number, size: number, tagsCode: number): boolean;
}

export function confirmDeferral(core: StoreCore, from: number): ConfirmDeferral | null {
  if (!core.config.enableDLegerCommitLog) return null;
  return {
    from,
    push: (q, queueOffset, at, size, tagsCode) => {
      if (!core.dispatch.hasRoomFor(1)) return false;
      core.dispatch.push(q, queueOffset, at, size, tagsCode);
      return true;
    },
  };
}
