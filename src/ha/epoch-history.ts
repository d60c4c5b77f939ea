// Leadership terms ("epochs") of a replicated CommitLog, and the rule that finds where two logs
// diverge (the idea of RocketMQ 5's epoch file / Raft's term check; our own format and code).
//
// An entry {epoch, startOffset} says: from startOffset on, the log was written by the master of
// `epoch`. A node starting as master (from config or by promotion) begins a new epoch at its
// log end; a slave adopts its master's list on every connect. Every list begins with the
// implicit entry {0, 0} (a store from before epochs, or a first master, wrote epoch 0).
//
// Identity: an entry also names the store that began it (store-identity.ts), when known (entries
// saved before store ids existed, and the origin, have none). Two entries are the same epoch when
// number and start are equal and their ids do not differ (an unknown id matches any): a master
// that lost its directory begins "epoch 1024 at 0" again, but under a new id.
//
// Divergence: take the last epoch E both lists hold with the same start. Both logs agree up to
// T = min(where E ends locally, where E ends on the master) — an epoch ends where the next one
// starts, the last one at the log end. A slave whose log goes past T holds bytes the master
// never had there (an old master that wrote after its slave was promoted, or a master that lost
// unflushed bytes in a crash): those bytes [T, localEnd) must be dropped before it can follow.
import { ErrorCode, StoreError } from '../errors.js';
import { isStoreId } from './store-identity.js';

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
  /** The store (store-identity.ts) whose master began this epoch; absent when unknown. */
  readonly storeId?: string;
}

export const ORIGIN_EPOCH: EpochEntry = { epoch: 0, startOffset: 0 };
/** Bound on the list (a new epoch per master start; old ones are never needed again once a
 * node has lived through this many). */
export const MAX_EPOCH_ENTRIES = 1024;

export type DivergenceCheck =
  | { kind: 'consistent'; commonEpoch: number }
  | { kind: 'diverged'; commonEpoch: number; truncateTo: number; droppedBytes: number };

/** Check a list: epochs strictly increasing, starts non-decreasing, all safe integers >= 0.
 * Returns the list with the implicit origin in front; throws ERR_STORE_CORRUPT otherwise. */
export function normalizeEpochs(entries: readonly EpochEntry[], what: string): EpochEntry[] {
  const out: EpochEntry[] = [ORIGIN_EPOCH];
  for (const e of entries) {
    if (!Number.isSafeInteger(e.epoch) || !Number.isSafeInteger(e.startOffset) || e.epoch < 0 || e.startOffset < 0) {
      throw new StoreError(ErrorCode.CORRUPT, `${what}: epoch entry ${JSON.stringify(e)} is not two non-negative integers`);
    }
    if (e.storeId !== undefined && !isStoreId(e.storeId)) throw new StoreError(ErrorCode.CORRUPT, `${what}: epoch entry ${JSON.stringify(e)} has a store id that is not 16 hex digits`);
    if (e.epoch === 0 && e.startOffset === 0) continue;
    const last = out[out.length - 1]!;
    if (e.epoch <= last.epoch || e.startOffset < last.startOffset) {
      throw new StoreError(ErrorCode.CORRUPT, `${what}: epoch ${e.epoch}@${e.startOffset} does not follow ${last.epoch}@${last.startOffset} (epochs must grow, starts must not go back)`);
    }
    out.push(e.storeId === undefined ? { epoch: e.epoch, startOffset: e.startOffset } : { epoch: e.epoch, startOffset: e.startOffset, storeId: e.storeId });
  }
  if (out.length > MAX_EPOCH_ENTRIES) throw new StoreError(ErrorCode.CORRUPT, `${what}: ${out.length} epoch entries, at most ${MAX_EPOCH_ENTRIES}`);
  return out;
}

/** An epoch number is term * EPOCH_NODE_SLOTS + (brokerId mod EPOCH_NODE_SLOTS): two nodes that
 * become master from the same history (an old master restarting while its slave, which has not
 * heard of that restart, is promoted) pick different epochs, so their logs never pass for one. */
export const EPOCH_NODE_SLOTS = 1024;

/** A node becomes master with its log ending at `logEnd`: a new epoch in the next term above
 * every epoch it knows, tagged with its brokerId, starting there. Entries starting beyond its
 * end (adopted from a master whose bytes it never received) are dropped; the oldest entries go
 * when the list is full. */
export function beginEpoch(entries: readonly EpochEntry[], logEnd: number, brokerId: number, storeId?: string): EpochEntry[] {
  const list = normalizeEpochs(entries, 'beginEpoch');
  const term = Math.floor(list[list.length - 1]!.epoch / EPOCH_NODE_SLOTS) + 1;
  const next = term * EPOCH_NODE_SLOTS + (Math.abs(Math.trunc(brokerId)) % EPOCH_NODE_SLOTS);
  const kept = list.filter((e) => e.startOffset <= logEnd);
  kept.push(storeId === undefined ? { epoch: next, startOffset: logEnd } : { epoch: next, startOffset: logEnd, storeId });
  return kept.length > MAX_EPOCH_ENTRIES ? [ORIGIN_EPOCH, ...kept.slice(kept.length - MAX_EPOCH_ENTRIES + 1)] : kept;
}

/** Where the local log (its epochs, its end) stops agreeing with the master's. */
export function checkDivergence(local: readonly EpochEntry[], localEnd: number, master: readonly EpochEntry[], masterEnd: number): DivergenceCheck {
  const mine = normalizeEpochs(local, 'local epochs');
  const theirs = normalizeEpochs(master, "master's epochs");
  // the origin is in both lists, so the search always finds a common epoch
  let i = mine.length - 1;
  let j = -1;
  for (; i >= 0; i--) {
    const e = mine[i]!;
    j = theirs.findIndex((t) => sameEpoch(t, e));
    if (j >= 0) break;
  }
  const endLocal = Math.min(mine[i + 1]?.startOffset ?? localEnd, localEnd);
  const endMaster = theirs[j + 1]?.startOffset ?? masterEnd;
  const agreedUpTo = Math.min(endLocal, endMaster);
  const commonEpoch = mine[i]!.epoch;
  if (localEnd <= agreedUpTo) return { kind: 'consistent', commonEpoch };
  return { kind: 'diverged', commonEpoch, truncateTo: agreedUpTo, droppedBytes: localEnd - agreedUpTo };
}

/** The same epoch: number and start equal, ids not different (unknown matches any). */
export function sameEpoch(a: EpochEntry, b: EpochEntry): boolean {
  return a.epoch === b.epoch && a.startOffset === b.startOffset && (a.storeId === undefined || b.storeId === undefined || a.storeId === b.storeId);
}

/** Identical lists (ids included: adopting a list that only adds ids is a change to save). */
export function sameEpochs(a: readonly EpochEntry[], b: readonly EpochEntry[]): boolean {
  return a.length === b.length && a.every((e, k) => e.epoch === b[k]!.epoch && e.startOffset === b[k]!.startOffset && e.storeId === b[k]!.storeId);
}

/** "epoch@start" per entry, with "/<first 8 hex digits of the store id>" when known. */
export function formatEpochs(entries: readonly EpochEntry[]): string {
  return entries.map((e) => `${e.epoch}@${e.startOffset}${e.storeId === undefined ? '' : `/${e.storeId.slice(0, 8)}`}`).join(', ');
}
