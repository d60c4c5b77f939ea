// Reading CommitLog records: readRecord decodes every field (getMessage, tools, tests);
// peekRecordHeader decodes only what a ConsumeQueue entry needs (dispatch); checkRecordAt decodes
// nothing but the size and physical offset (recovery's scan). All classify the
// bytes at a position as a message, the end-of-file blank, or invalid (RocketMQ
// `checkMessageAndReturnSize`, §3.4) and never throw on bad bytes.
// Invariant: a 'message' result has passed the structural check in record-frame.ts (and the body
// CRC when asked); `size` is then exactly the bytes to step over to reach the next record.
import { crc32 } from '../io/crc.js';
import { assert } from '../util/assert.js';
import { readInt32, readInt64 } from './bytes-be.js';
import type { HostAddress } from './host-address.js';
import { decodeProperties, KEY_SEPARATOR, PROPERTY_KEYS, PROPERTY_TAGS } from './properties.js';
import { offsetMsgId } from './offset-msg-id.js';
import { FRAME_BLANK, FRAME_INVALID, frameRecord, RecordFrame } from './record-frame.js';
import {
  OFFSET_BODY_CRC,
  OFFSET_BORN_TIMESTAMP,
  OFFSET_FLAG,
  OFFSET_PHYSICAL_OFFSET,
  OFFSET_QUEUE_ID,
  OFFSET_QUEUE_OFFSET,
} from './record-layout.js';
import { tagsOfProperties } from './tags-of-properties.js';

export interface DecodedMessage {
  readonly totalSize: number;
  readonly magic: number;
  readonly bodyCrc: number;
  readonly queueId: number;
  readonly flag: number;
  readonly queueOffset: number;
  readonly physicalOffset: number;
  readonly sysFlag: number;
  readonly bornTimestamp: number;
  /** A copy of the address bytes. */
  readonly bornHost: HostAddress;
  readonly storeTimestamp: number;
  readonly storeHost: HostAddress;
  readonly reconsumeTimes: number;
  readonly preparedTransactionOffset: number;
  /** A view into the source (not a copy) when readBody, else null. */
  readonly body: Uint8Array | null;
  readonly topic: string;
  readonly properties: Readonly<Record<string, string>>;
  /** The TAGS property, or null. */
  readonly tags: string | null;
  /** The KEYS property split on ' ' (empty parts dropped); [] when none. */
  readonly keys: readonly string[];
  /** offsetMsgId when asked for (ReadOptions.msgIdAt), else ''. */
  readonly msgId: string;
}

export type RecordRead =
  | { readonly kind: 'message'; readonly size: number; readonly msg: DecodedMessage }
  /** size = TOTALSIZE of the blank: the bytes left in the segment. */
  | { readonly kind: 'blank'; readonly size: number }
  /** size = TOTALSIZE as read (-1 if unreadable); informational only, never step by it. */
  | { readonly kind: 'invalid'; readonly reason: string; readonly size: number };

export interface ReadOptions {
  readonly checkCrc: boolean;
  readonly readBody: boolean;
  /** Set msgId to the offsetMsgId of the store host and this physical offset (else ''). */
  readonly msgIdAt?: number;
}

/** What a ConsumeQueue entry (and dispatch) needs from a record. */
export interface RecordHeader {
  readonly kind: 'message';
  readonly size: number;
  readonly magic: number;
  readonly physicalOffset: number;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly sysFlag: number;
  readonly storeTimestamp: number;
  readonly topic: string;
  readonly tagsCode: number;
}

export type RecordPeek =
  | RecordHeader
  | { readonly kind: 'blank'; readonly size: number }
  | { readonly kind: 'invalid'; readonly reason: string; readonly size: number };

const frame = new RecordFrame(); // single-threaded scratch, reused by every call
const NO_KEYS: readonly string[] = Object.freeze([]);
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function readRecord(source: Uint8Array, position: number, options: ReadOptions): RecordRead {
  if (!Number.isInteger(position) || position < 0) {
    assert(false, `read position ${position} is not a non-negative integer`);
  }
  const kind = frameRecord(source, position, frame);
  if (kind === FRAME_INVALID) return { kind: 'invalid', reason: frame.reason, size: frame.size };
  if (kind === FRAME_BLANK) return { kind: 'blank', size: frame.size };
  if (options.checkCrc) {
    const crcProblem = checkBodyCrc(source, position);
    if (crcProblem !== null) return { kind: 'invalid', reason: crcProblem, size: frame.size };
  }
  const bodyCrc = readInt32(source, position + OFFSET_BODY_CRC);
  const body = source.subarray(frame.bodyStart, frame.bodyStart + frame.bodyLength);
  const propertiesEnd = frame.propertiesStart + frame.propertiesLength;
  const properties = decodeProperties(source.subarray(frame.propertiesStart, propertiesEnd));
  const keys = properties[PROPERTY_KEYS];
  const storeHost = readHost(source, frame.storeHostPos, frame.storeAddressBytes);
  const msg: DecodedMessage = {
    totalSize: frame.size,
    magic: frame.magic,
    bodyCrc,
    queueId: readInt32(source, position + OFFSET_QUEUE_ID),
    flag: readInt32(source, position + OFFSET_FLAG),
    queueOffset: readInt64(source, position + OFFSET_QUEUE_OFFSET),
    physicalOffset: readInt64(source, position + OFFSET_PHYSICAL_OFFSET),
    sysFlag: frame.sysFlag,
    bornTimestamp: readInt64(source, position + OFFSET_BORN_TIMESTAMP),
    bornHost: readHost(source, frame.bornHostPos, frame.bornAddressBytes),
    storeTimestamp: readInt64(source, frame.storeTimestampPos),
    storeHost,
    reconsumeTimes: readInt32(source, frame.reconsumeTimesPos),
    preparedTransactionOffset: readInt64(source, frame.reconsumeTimesPos + 4),
    body: options.readBody ? body : null,
    topic: topicText(source, frame.topicStart, frame.topicLength),
    properties,
    tags: properties[PROPERTY_TAGS] ?? null,
    keys: keys === undefined ? NO_KEYS : keys.split(KEY_SEPARATOR).filter((key) => key.length > 0),
    msgId: options.msgIdAt === undefined ? '' : offsetMsgId(storeHost, options.msgIdAt),
  };
  return { kind: 'message', size: frame.size, msg };
}

/**
 * Structural check plus the ConsumeQueue fields; no body, properties only scanned for TAGS.
 * Body CRC only when asked (dispatch reads without it, recovery with it).
 */
export function peekRecordHeader(source: Uint8Array, position: number, options?: { checkCrc: boolean }): RecordPeek {
  if (!Number.isInteger(position) || position < 0) {
    assert(false, `peek position ${position} is not a non-negative integer`);
  }
  const kind = frameRecord(source, position, frame);
  if (kind === FRAME_INVALID) return { kind: 'invalid', reason: frame.reason, size: frame.size };
  if (kind === FRAME_BLANK) return { kind: 'blank', size: frame.size };
  if (options?.checkCrc === true) {
    const crcProblem = checkBodyCrc(source, position);
    if (crcProblem !== null) return { kind: 'invalid', reason: crcProblem, size: frame.size };
  }
  return {
    kind: 'message',
    size: frame.size,
    magic: frame.magic,
    physicalOffset: readInt64(source, position + OFFSET_PHYSICAL_OFFSET),
    queueId: readInt32(source, position + OFFSET_QUEUE_ID),
    queueOffset: readInt64(source, position + OFFSET_QUEUE_OFFSET),
    sysFlag: frame.sysFlag,
    storeTimestamp: readInt64(source, frame.storeTimestampPos),
    topic: topicText(source, frame.topicStart, frame.topicLength),
    tagsCode: tagsOfProperties(source, frame.propertiesStart, frame.propertiesStart + frame.propertiesLength),
  };
}

/** What recovery needs to know of the bytes at a position: a message (its size and the
 * PHYSICALOFFSET it says it is at), the end-of-file blank, or invalid. */
export type RecordCheck =
  | { readonly kind: 'message'; readonly size: number; readonly physicalOffset: number }
  | { readonly kind: 'blank'; readonly size: number }
  | { readonly kind: 'invalid'; readonly reason: string; readonly size: number };

/**
 * The structural check and (when asked) the body CRC, decoding nothing else: readRecord's
 * classification of the bytes at `position` without building the message (recovery's scan).
 */
export function checkRecordAt(source: Uint8Array, position: number, checkCrc: boolean): RecordCheck {
  const kind = frameRecord(source, position, frame);
  if (kind === FRAME_INVALID) return { kind: 'invalid', reason: frame.reason, size: frame.size };
  if (kind === FRAME_BLANK) return { kind: 'blank', size: frame.size };
  if (checkCrc) {
    const crcProblem = checkBodyCrc(source, position);
    if (crcProblem !== null) return { kind: 'invalid', reason: crcProblem, size: frame.size };
  }
  return { kind: 'message', size: frame.size, physicalOffset: readInt64(source, position + OFFSET_PHYSICAL_OFFSET) };
}

/** Why the framed record's BODYCRC does not match its body, or null when it does. */
function checkBodyCrc(source: Uint8Array, position: number): string | null {
  const stored = readInt32(source, position + OFFSET_BODY_CRC);
  const computed = crc32(source.subarray(frame.bodyStart, frame.bodyStart + frame.bodyLength)) & 0x7fffffff;
  return computed === stored ? null : `body CRC mismatch: stored ${stored}, computed ${computed}`;
}

function readHost(source: Uint8Array, position: number, addressBytes: number): HostAddress {
  return { address: source.slice(position, position + addressBytes), port: readInt32(source, position + addressBytes) };
}

// One-entry memo: consecutive records mostly share a topic, so skip the UTF-8 decode then.
let lastTopicBytes = new Uint8Array(0);
let lastTopic = '';

function topicText(source: Uint8Array, start: number, length: number): string {
  if (length === lastTopicBytes.length) {
    let same = true;
    for (let i = 0; i < length && same; i++) same = source[start + i] === lastTopicBytes[i];
    if (same) return lastTopic;
  }
  lastTopicBytes = source.slice(start, start + length);
  lastTopic = utf8Decoder.decode(lastTopicBytes);
  return lastTopic;
}
