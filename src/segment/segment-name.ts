// Segment file names: the absolute offset of the file's first byte as 20 decimal digits,
// zero-padded (RocketMQ's UtilAll.offset2FileName), for CommitLog and ConsumeQueue files.
import { assert } from '../util/assert.js';

const NAME_DIGITS = 20;
const NAME_PATTERN = /^\d{20}$/;

export function segmentFileName(offset: number): string {
  assert(Number.isSafeInteger(offset) && offset >= 0, `segment offset must be a non-negative safe integer, got ${offset}`);
  return String(offset).padStart(NAME_DIGITS, '0');
}

/** The start offset a segment file name encodes, or null for a name that is not a segment. */
export function parseSegmentFileName(name: string): number | null {
  if (!NAME_PATTERN.test(name)) return null;
  const offset = Number(name);
  return Number.isSafeInteger(offset) ? offset : null;
}
