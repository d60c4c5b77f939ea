// CommitLog recovery (RocketMQ §3.5/3.6): find the end of the valid records and cut the log there.
// Normal (clean shutdown): scan from the third-from-last segment. Abnormal (the abort file was
// left): scan from the segment before the oldest one whose first record was stored after the
// checkpoint's minTimestamp (RocketMQ's newest-at-or-before rule when timestamps only grow; safe
// when a wall-clock step made them go back: see abnormalStart). Records are verified with their body CRC
// (checkCRCOnRecover).
//
// A bad record after a clean shutdown is damage, not a torn write: when valid records follow it
// (record-resync.ts finds where), the bad bytes are FENCED as a hole: reported (file, position,
// offset, size, reason), copied to quarantine/, left in place, and the scan goes on after them;
// nothing after a hole is cut. Only when no valid record follows does the log end there. After an
// unclean exit the first bad record ends the log (a torn tail), as in RocketMQ.
// Past the end, later segments are deleted and the rest of the last one is zeroed (our deviation
// from RocketMQ, which leaves stale bytes); the non-zero bytes that go are first copied to
// quarantine/ (a copy that fails refuses the open: nothing is cut without a copy). Every file
// operation goes through the FileIO (deleted segments have their directory fsynced).
import { readRecord } from '../codec/read-record.js';
import type { FileIO } from '../io/file-io.js';
import type { SegmentFile } from '../segment/segment-file.js';
import type { SegmentList } from '../segment/segment-list.js';
import { systemClock, type Clock } from '../util/clock.js';
import { ErrorCode, StoreError } from '../errors.js';
import type { Logger } from '../util/logger.js';
import { copyToQuarantine, dataExtentEnd, findQuarantineCopy, type ByteRange } from './quarantine-copy.js';
import { findNextRecord, type ResyncPoint } from './record-resync.js';
import { scanSegment, type ScanOptions, type ScanStop } from './segment-scanner.js';

export interface RecoveryInput {
  io: FileIO;
  segments: SegmentList;
  abnormal: boolean;
  checkpointMinTimestamp: number;
  scan: ScanOptions;
  logger: Logger;
  /** The store directory: copies of fenced and cut bytes go to <storeRoot>/quarantine/. */
  storeRoot: string;
  /** For the progress rate in the log and the quarantine names (default: the system clock). */
  clock?: Clock;
}

/** Damaged bytes between valid records, fenced by recovery (left in place, never read as records). */
export interface RecoveryHole {
  /** The segment file where the hole starts, and the position in it. */
  file: string;
  position: number;
  /** Physical offset of the hole's first byte, and its length (it may reach into later segments). */
  offset: number;
  size: number;
  reason: string;
  /** Where a copy of the bytes is (null when the copy failed; the bytes are still in place). */
  quarantineDir: string | null;
}

export interface RecoveryResult {
  /** Offset just after the last valid record: the new end of the log. */
  endOffset: number;
  /** Offset where the scan began. */
  scannedFrom: number;
  scannedBytes: number;
  /** Segments deleted because they start at or after the end. */
  droppedSegments: number;
  /** Whether the bytes after the end (in its segment) were zeroed. */
  zeroedTail: boolean;
  /** Set when a non-zero invalid record ended the log. */
  corruption: { file: string; position: number; reason: string } | null;
  /** Damaged records with valid records after them (normal recovery): fenced, not cut. */
  holes: RecoveryHole[];
  /** Where the non-zero bytes past the end were copied before the cut (null: nothing to copy). */
  quarantineDir: string | null;
}

const PROGRESS_EVERY_BYTES = 256 << 20;
/** More damaged places than this is not a flipped byte but a destroyed log: refuse to open. */
const MAX_HOLES = 1000;

export function recoverCommitLog(input: RecoveryInput): RecoveryResult {
  const { segments, logger } = input;
  const files = segments.all();
  const empty: RecoveryResult = {
    endOffset: 0,
    scannedFrom: 0,
    scannedBytes: 0,
    droppedSegments: 0,
    zeroedTail: false,
    corruption: null,
    holes: [],
    quarantineDir: null,
  };
  if (files.length === 0) return empty;
  const startIndex = input.abnormal ? abnormalStart(input, files) : Math.max(0, files.length - 3);
  const scannedFrom = files[startIndex]!.fromOffset;
  const clock = input.clock ?? systemClock;
  const started = clock.monotonicMs();
  let lastReport = scannedFrom;
  let endOffset = scannedFrom;
  let corruption: RecoveryResult['corruption'] = null;
  const holes: RecoveryHole[] = [];
  let i = startIndex;
  let position = 0;
  while (i < files.length) {
    const file = files[i]!;
    const stop = scanSegment(input.io, file, position, input.scan); // checks only: the ConsumeQueues are rebuilt later by re-dispatch
    endOffset = file.fromOffset + stop.position;
    if (endOffset - lastReport >= PROGRESS_EVERY_BYTES) {
      lastReport = endOffset;
      logger.info(`recovery: ${mb(endOffset - scannedFrom)} MB scanned, ${rate(endOffset - scannedFrom, started, clock)} MB/s`);
    }
    if (stop.kind === 'blank' || stop.kind === 'end') {
      endOffset = file.endOffset;
      i++;
      position = 0;
      continue;
    }
    const resume = input.abnormal ? null : resumePoint(input, files, i, stop);
    if (resume !== null) {
      if (holes.length >= MAX_HOLES) {
        throw new StoreError(ErrorCode.CORRUPT, `recovery: more than ${MAX_HOLES} damaged places in the CommitLog (the latest in ${file.path} at position ${stop.position}); refusing to open`);
      }
      holes.push(fence(input, files, i, stop, resume, clock));
      i = resume.index;
      position = resume.position;
      continue;
    }
    if (!stop.zeros) {
      corruption = { file: file.path, position: stop.position, reason: stop.reason };
      logger.error(`recovery: invalid record in ${file.path} at position ${stop.position} (offset ${endOffset}): ${stop.reason}; no valid record follows, the log ends there`);
    }
    break;
  }
  const zeroedTail = corruption !== null || input.abnormal;
  const quarantineDir = zeroedTail ? quarantineCut(input, endOffset, clock) : null;
  const droppedSegments = truncateTail(input, endOffset, zeroedTail);
  logger.info(
    `recovery (${input.abnormal ? 'abnormal' : 'normal'}): log ends at ${endOffset}, scanned ${mb(endOffset - scannedFrom)} MB ` +
      `from ${scannedFrom} at ${rate(endOffset - scannedFrom, started, clock)} MB/s` +
      (holes.length > 0 ? `, ${holes.length} damaged place(s) fenced` : '') +
      (droppedSegments > 0 ? `, deleted ${droppedSegments} segment(s) past the end` : '') +
      (zeroedTail ? ', zeroed the rest of the last segment' : '') +
      (quarantineDir !== null ? ` (the cut bytes are copied in ${quarantineDir})` : ''),
  );
  return { endOffset, scannedFrom, scannedBytes: endOffset - scannedFrom, droppedSegments, zeroedTail, corruption, holes, quarantineDir };
}

/** Where valid records resume after the bad one `stop` in files[index] (normal recovery), or
 * null when the log ends there. A zero-filled stop in the last segment holding data is the
 * ordinary end of the log: no search then (it would read the rest of the active segment). */
function resumePoint(input: RecoveryInput, files: readonly SegmentFile[], index: number, stop: ScanStop & { kind: 'invalid' }): ResyncPoint | null {
  if (stop.zeros && files.slice(index + 1).every((f) => startsWithZeros(input.io, f))) return null;
  return findNextRecord(input.io, files, index, stop.position + 1, input.scan.maxMessageBytes);
}

/** Report the hole [bad record, resume) and keep a copy of its bytes (they stay in place). */
function fence(input: RecoveryInput, files: readonly SegmentFile[], index: number, stop: ScanStop & { kind: 'invalid' }, resume: ResyncPoint, clock: Clock): RecoveryHole {
  const file = files[index]!;
  const offset = file.fromOffset + stop.position;
  const size = files[resume.index]!.fromOffset + resume.position - offset;
  let quarantineDir = findQuarantineCopy(input.io, input.storeRoot, offset, offset + size);
  let copyNote = `a copy is in ${quarantineDir} (made at an earlier open)`;
  if (quarantineDir === null) {
    try {
      quarantineDir = copyToQuarantine(input.io, input.segments, input.storeRoot, [{ from: offset, to: offset + size }], clock.nowMs());
      copyNote = `a copy is in ${quarantineDir}`;
    } catch (err) {
      copyNote = `copying them to quarantine failed (${(err as Error).message}); they are still in place`;
    }
  }
  input.logger.error(
    `recovery: damaged record in ${file.path} at position ${stop.position} (offset ${offset}, ${size} bytes up to the next valid record): ${stop.reason}; ` +
      `fenced as a hole, the records after it are kept; ${copyNote}`,
  );
  return { file: file.path, position: stop.position, offset, size, reason: stop.reason, quarantineDir };
}

/** Copy the non-zero bytes that the cut at `endOffset` removes (the rest of its segment up to
 * the first zero block, and every later segment's data) to quarantine; null when there are none.
 * Throws when the copy fails: then nothing is cut. */
function quarantineCut(input: RecoveryInput, endOffset: number, clock: Clock): string | null {
  const ranges: ByteRange[] = [];
  for (const f of input.segments.all()) {
    if (f.endOffset <= endOffset) continue;
    const from = Math.max(endOffset, f.fromOffset);
    const to = f.fromOffset + dataExtentEnd(input.io, f, from - f.fromOffset);
    if (to > from) ranges.push({ from, to });
  }
  if (ranges.length === 0) return null;
  try {
    return copyToQuarantine(input.io, input.segments, input.storeRoot, ranges, clock.nowMs());
  } catch (err) {
    throw new StoreError(
      ErrorCode.IO,
      `recovery must cut the log at ${endOffset}, but copying the ${ranges.reduce((n, r) => n + r.to - r.from, 0)} bytes after it to quarantine failed: ${(err as Error).message}; nothing was cut (free space and open again)`,
      { cause: err },
    );
  }
}

/** The segment before the first (oldest first) whose first record is not a message stored at or
 * before the checkpoint rule's time (the last segment when every first record is). With store
 * timestamps that only grow this is RocketMQ's "newest segment stored at or before it"; when they
 * do not (a master's wall clock stepped back, and its timestamps travel to the slaves with the
 * bytes), a newer segment can start with an older timestamp while an older one holds unflushed
 * bytes, and a start found from the newest end would never scan those (found by the simulator,
 * scenario ha, seeds 3429 and 4731). Costs one header read per segment up to the start. */
function abnormalStart(input: RecoveryInput, files: readonly SegmentFile[]): number {
  const probe = new Uint8Array(input.scan.maxMessageBytes + 65536 + 1024);
  for (let i = 0; i < files.length; i++) {
    const n = input.io.pread(files[i]!.fd, probe, 0);
    const r = readRecord(probe.subarray(0, n), 0, { checkCrc: false, readBody: false });
    const flushedBefore = r.kind === 'message' && r.msg.storeTimestamp > 0 && r.msg.storeTimestamp <= input.checkpointMinTimestamp;
    if (!flushedBefore) return Math.max(0, i - 1);
  }
  return files.length - 1;
}

/** Delete the segments that start at or after the end and zero the rest of the one holding it;
 * returns how many deleted segments held data (an empty preallocated next segment does not count). */
function truncateTail(input: RecoveryInput, endOffset: number, zeroTail: boolean): number {
  const withData = input.segments.all().filter((f) => f.fromOffset >= endOffset && !startsWithZeros(input.io, f)).length;
  input.segments.dropFrom(endOffset);
  const holder = input.segments.find(endOffset);
  if (holder && zeroTail) input.io.zeroRange(holder.fd, endOffset - holder.fromOffset, holder.endOffset - endOffset);
  return withData;
}

function startsWithZeros(io: FileIO, file: SegmentFile): boolean {
  const head = new Uint8Array(8);
  io.pread(file.fd, head, 0);
  return head.every((b) => b === 0);
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

function rate(bytes: number, startedMs: number, clock: Clock): string {
  const seconds = Math.max(1e-3, (clock.monotonicMs() - startedMs) / 1000);
  return (bytes / 2 ** 20 / seconds).toFixed(0);
}
