// The byte oracle of the ha scenario: what the master of each epoch wrote, byte for byte, and the
// lineage rule every node's log is checked against.
//
// Every byte at offset o of any node's CommitLog belongs to the epoch entry that covers o in that
// node's own epoch history (epoch-history.ts). An entry is named by its epoch number AND its start
// offset, as the divergence rule names it ("the last epoch both lists hold with the same start"):
// the number alone is not unique, because every master is brokerId 0, so two hosts that each
// start as master in the same term without hearing of each other pick the same number (counted
// in `reusedEpochNumbers`; harmless while the starts differ, which is what the rule relies on).
// In a correct classic-HA cluster, only the master of an epoch creates bytes in it (a node whose role is not SLAVE, whose brokerId the epoch
// number is tagged with, writing after the epoch's start); everyone else copies them. So the
// pair (epoch, offset) names one byte across the whole cluster, and the oracle records it the
// first time the master of that epoch is seen holding it. The checks:
//   - a byte of epoch E that the oracle already holds must be equal to it (a slave copies, a
//     recovered log is a prefix of what it had, a promoted node keeps what it replicated);
//   - a byte of epoch E the oracle does not hold yet may only be created by the master of E,
//     right after the bytes of E the oracle holds (a master's log grows contiguously);
//   - anything else is a violation (a slave appended bytes no master of that epoch wrote).
// Memory is bounded by the bytes the masters wrote in one seed (a few MiB).
import type { EpochEntry } from '../../../src/ha/epoch-history.js';
import { EPOCH_NODE_SLOTS } from '../../../src/ha/epoch-history.js';

/** A growable byte buffer starting at a log offset. */
export class ByteRun {
  private buf = Buffer.alloc(1 << 14);
  length = 0;

  constructor(readonly start: number) {}

  get end(): number {
    return this.start + this.length;
  }

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) {
      let size = this.buf.length;
      while (this.length + bytes.length > size) size *= 2;
      const bigger = Buffer.alloc(size);
      this.buf.copy(bigger, 0, 0, this.length);
      this.buf = bigger;
    }
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Bytes [from, to) by log offset (must lie inside). */
  slice(from: number, to: number): Buffer {
    return this.buf.subarray(from - this.start, to - this.start);
  }
}

/** The epoch covering `offset` in `epochs` (origin first, starts non-decreasing). */
export function epochAt(epochs: readonly EpochEntry[], offset: number): EpochEntry {
  let found = epochs[0]!;
  for (const e of epochs) {
    if (e.startOffset <= offset) found = e;
    else break;
  }
  return found;
}

/** Where the epoch covering `offset` ends in `epochs` (the next start, or Infinity). */
function epochEndAfter(epochs: readonly EpochEntry[], offset: number): number {
  for (const e of epochs) if (e.startOffset > offset) return e.startOffset;
  return Infinity;
}

/** The longest prefix two logs share by lineage: every offset below it is in the same epoch in
 * both histories and below both ends. */
export function lineagePrefix(a: readonly EpochEntry[], aEnd: number, b: readonly EpochEntry[], bEnd: number): number {
  const end = Math.min(aEnd, bEnd);
  let at = 0;
  while (at < end) {
    if (epochAt(a, at).epoch !== epochAt(b, at).epoch) return at;
    at = Math.min(epochEndAfter(a, at), epochEndAfter(b, at));
  }
  return end;
}

export interface Writer {
  /** The node's brokerId and whether it currently writes as master. */
  brokerId: number;
  isMaster: boolean;
  label: string;
}

const keyOf = (e: EpochEntry): string => `${e.epoch}@${e.startOffset}`;

export class Oracle {
  private readonly runs = new Map<string, ByteRun>();
  private readonly startsByEpoch = new Map<number, Set<number>>();
  /** Epoch numbers begun at two different offsets (by different masters). */
  reusedEpochNumbers = 0;

  /** Bytes the oracle holds, all epochs. */
  get bytes(): number {
    let n = 0;
    for (const r of this.runs.values()) n += r.length;
    return n;
  }

  /** The bytes of `epoch` at [from, to), or null where the oracle does not hold them all. */
  read(epoch: EpochEntry, from: number, to: number): Buffer | null {
    const run = this.runs.get(keyOf(epoch));
    if (!run || from < run.start || to > run.end) return null;
    return run.slice(from, to);
  }

  /**
   * Check (and, for the master of an epoch, record) `bytes` found at `offset` of a node's log
   * whose history is `epochs`. Returns a violation message or null.
   */
  observe(writer: Writer, epochs: readonly EpochEntry[], offset: number, bytes: Uint8Array): string | null {
    let at = offset;
    const end = offset + bytes.length;
    while (at < end) {
      const epoch = epochAt(epochs, at);
      const pieceEnd = Math.min(end, epochEndAfter(epochs, at));
      const piece = bytes.subarray(at - offset, pieceEnd - offset);
      const problem = this.observePiece(writer, epoch, at, piece);
      if (problem) return problem;
      at = pieceEnd;
    }
    return null;
  }

  private observePiece(writer: Writer, epoch: EpochEntry, at: number, piece: Uint8Array): string | null {
    let run = this.runs.get(keyOf(epoch));
    const end = at + piece.length;
    let known = 0; // bytes of the piece the oracle already holds
    if (run && at >= run.start && at < run.end) {
      known = Math.min(end, run.end) - at;
      const theirs = run.slice(at, at + known);
      const ours = Buffer.from(piece.buffer, piece.byteOffset, known);
      if (!theirs.equals(ours)) {
        return `${writer.label} holds bytes at [${at}, ${at + known}) of epoch ${keyOf(epoch)} that differ from what its master wrote there (first difference at ${at + firstDifference(theirs, ours)})`;
      }
    }
    if (known === piece.length) return null;
    const from = at + known;
    const ownsEpoch = writer.isMaster && epoch.epoch % EPOCH_NODE_SLOTS === writer.brokerId % EPOCH_NODE_SLOTS;
    if (epoch.epoch === 0 && writer.isMaster && writer.brokerId === 0) {
      // the origin epoch: the first master (brokerId 0, empty history) writes it
    } else if (!ownsEpoch) {
      return `${writer.label} holds bytes at [${from}, ${end}) of epoch ${keyOf(epoch)} that no master of that epoch wrote (the oracle has ${run ? `[${run.start}, ${run.end})` : 'nothing'} of it)`;
    }
    if (!run) {
      if (from !== epoch.startOffset) return `${writer.label}: the first bytes of its epoch ${keyOf(epoch)} are at ${from}, not at the epoch's start ${epoch.startOffset}`;
      run = new ByteRun(from);
      this.runs.set(keyOf(epoch), run);
      const starts = this.startsByEpoch.get(epoch.epoch) ?? new Set<number>();
      starts.add(epoch.startOffset);
      this.startsByEpoch.set(epoch.epoch, starts);
      if (starts.size > 1) this.reusedEpochNumbers++;
    }
    if (from !== run.end) return `${writer.label} wrote epoch ${keyOf(epoch)} bytes at ${from} but the epoch's bytes end at ${run.end} (a gap or a rewrite)`;
    run.append(piece.subarray(known));
    return null;
  }
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}
