// Whether a slave may drop the bytes where its log diverged from its master's (the divergence
// itself is found by epoch-history.ts checkDivergence). Dropping is a guess that the master's log
// is the right one; it is refused, and the reason given, when the guess could lose acknowledged
// messages:
//   master-not-newer  the master's newest epoch is not above this node's newest one. A master
//                     that restarted after losing bytes, or a slave promoted over this node,
//                     begins a newer epoch; a master in the same (or an older) epoch with a
//                     shorter log is a new or wiped master, a restored backup, or a stale node,
//                     and this node may hold the only copy;
//   acknowledged      the bytes to drop include bytes this node received as a slave (in an epoch
//                     another store began: it acknowledged them, so a SYNC_MASTER may have
//                     answered PUT_OK for them on the strength of this copy). An old master's own
//                     unreplicated tail is not in this class;
//   too-many-bytes    more than haRejoinTruncateMaxBytes would go.
// haRejoinAllowTruncate lets the operator drop them anyway (they are copied to quarantine/ first,
// log-truncation.ts). Whose epoch is whose: an entry with this store's id is this node's own; an
// entry without an id (saved before ids existed) is this node's own when its number carries this
// node's brokerId slot (epoch-history.ts beginEpoch), else another store's.
import { EPOCH_NODE_SLOTS, formatEpochs, normalizeEpochs, type EpochEntry } from './epoch-history.js';

export interface RejoinRules {
  /** This store's id (store-identity.ts). */
  readonly storeId: string;
  readonly brokerId: number;
  /** haRejoinTruncateMaxBytes */
  readonly truncateMaxBytes: number;
  /** haRejoinAllowTruncate */
  readonly allowTruncate: boolean;
}

export type RefusalKind = 'master-not-newer' | 'acknowledged' | 'too-many-bytes';

export interface TruncationCase {
  readonly local: readonly EpochEntry[];
  readonly localEnd: number;
  readonly master: readonly EpochEntry[];
  readonly masterEnd: number;
  readonly truncateTo: number;
}

export type TruncationVerdict =
  | { readonly allowed: true; readonly overridden: RefusalKind[] }
  | { readonly allowed: false; readonly kinds: RefusalKind[]; readonly reason: string };

export function judgeTruncation(c: TruncationCase, rules: RejoinRules): TruncationVerdict {
  const local = normalizeEpochs(c.local, 'local epochs');
  const master = normalizeEpochs(c.master, "master's epochs");
  const reasons: Array<[RefusalKind, string]> = [];
  const mine = local[local.length - 1]!;
  const theirs = master[master.length - 1]!;
  if (theirs.epoch <= mine.epoch) {
    reasons.push([
      'master-not-newer',
      `the master's newest epoch ${formatEpochs([theirs])} is not newer than this node's ${formatEpochs([mine])} and its log ends at ${c.masterEnd}, before this one's ${c.localEnd}: a new or wiped master (or a stale one); this node may hold the only copy`,
    ]);
  }
  const acked = acknowledgedEnd(local, c.localEnd, rules);
  if (c.truncateTo < acked) {
    reasons.push(['acknowledged', `[${c.truncateTo}, ${acked}) was received and acknowledged by this node as a slave: a master may have confirmed those messages to producers on the strength of this copy`]);
  }
  const dropped = c.localEnd - c.truncateTo;
  if (dropped > rules.truncateMaxBytes) reasons.push(['too-many-bytes', `${dropped} bytes would be dropped, more than haRejoinTruncateMaxBytes=${rules.truncateMaxBytes}`]);
  const kinds = reasons.map(([k]) => k);
  if (reasons.length === 0 || rules.allowTruncate) return { allowed: true, overridden: kinds };
  return { allowed: false, kinds, reason: reasons.map(([, r]) => r).join('; ') };
}

/** The end of the bytes this node holds from epochs another store began (0 when none). */
export function acknowledgedEnd(local: readonly EpochEntry[], localEnd: number, rules: Pick<RejoinRules, 'storeId' | 'brokerId'>): number {
  let end = 0;
  for (let k = 0; k < local.length; k++) {
    const e = local[k]!;
    const until = Math.min(local[k + 1]?.startOffset ?? localEnd, localEnd);
    if (until > e.startOffset && !isOwnEpoch(e, rules)) end = Math.max(end, until);
  }
  return end;
}

function isOwnEpoch(e: EpochEntry, rules: Pick<RejoinRules, 'storeId' | 'brokerId'>): boolean {
  if (e.storeId !== undefined) return e.storeId === rules.storeId;
  return e.epoch !== 0 && e.epoch % EPOCH_NODE_SLOTS === Math.abs(Math.trunc(rules.brokerId)) % EPOCH_NODE_SLOTS;
}

/** What to tell the operator about a refusal. */
export function refusalAdvice(): string {
  return 'nothing was dropped; if the master really is the one to follow, restart this node with haRejoinAllowTruncate=true (mqstore node --set haRejoinAllowTruncate=true): the dropped bytes are copied to quarantine/ and kept until removed; or promote this node instead';
}
