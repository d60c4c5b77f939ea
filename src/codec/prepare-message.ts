// Phase 1 of an append, run outside the writer's critical section: validate one message, merge
// tags/keys into its properties, hash the body, pre-encode topic and properties, pick the record
// version and compute the record length. The result (PreparedMessage) is everything
// write-record.ts needs except the offsets and the store timestamp.
// Bad input is an expected outcome: it returns a RecordError status value, it never throws.
// Invariant: a PreparedMessage always encodes to a record that read-record.ts accepts.
import { crc32 } from '../io/crc.js';
import { assert } from '../util/assert.js';
import { checkHostAddress, isIpv6, type HostAddress } from './host-address.js';
import { encodeMessageProperties } from './message-properties.js';
import { KEY_SEPARATOR, PROPERTY_TAGS } from './properties.js';
import {
  MAGIC_V1,
  MAGIC_V2,
  MAX_PROPERTIES_BYTES,
  MAX_TOPIC_BYTES_V1,
  MAX_TOPIC_BYTES_V2,
  RECORD_OVERHEAD_ALLOWANCE_BYTES,
  recordLength,
  SYSFLAG_BORNHOST_V6,
  SYSFLAG_STOREHOST_V6,
} from './record-layout.js';
import { tagsCode } from './tags-code.js';
import { topicBytes } from './topic-name.js';

export type { HostAddress } from './host-address.js';

export interface MessageInput {
  topic: string;
  queueId: number;
  body: Uint8Array;
  flag?: number;
  /** Stored as the TAGS property; overrides properties.TAGS. '' means none. */
  tags?: string;
  /** Stored as the KEYS property (an array is joined by a space); overrides properties.KEYS. */
  keys?: string | readonly string[];
  properties?: Readonly<Record<string, string>>;
  /** Passed through, except the IPv6 bits (0x10, 0x20), which follow the host address widths. */
  sysFlag?: number;
  bornTimestamp: number;
  bornHost: HostAddress;
  storeHost: HostAddress;
  reconsumeTimes?: number;
  preparedTransactionOffset?: number;
}

export interface RecordLimits {
  /** Longest topic in bytes (maxTopicLength); at most the V2 format's 32767. Default 32767. */
  readonly maxTopicBytes?: number;
  /** Body limit (RocketMQ `maxMessageSize`); a whole record may be 64 KiB larger. */
  readonly maxMessageSizeBytes: number;
}

export type RecordErrorStatus = 'MESSAGE_ILLEGAL' | 'PROPERTIES_SIZE_EXCEEDED';

export interface RecordError {
  readonly status: RecordErrorStatus;
  readonly reason: string;
}

/** A validated message, ready to be written. Treat every field (and byte array) as read-only. */
export class PreparedMessage {
  constructor(
    readonly topic: string,
    readonly topicBytes: Uint8Array,
    readonly queueId: number,
    readonly body: Uint8Array,
    /** crc32(body) & 0x7fffffff */
    readonly bodyCrc: number,
    readonly flag: number,
    readonly sysFlag: number,
    readonly bornTimestamp: number,
    readonly bornHost: HostAddress,
    readonly storeHost: HostAddress,
    readonly reconsumeTimes: number,
    readonly preparedTransactionOffset: number,
    readonly propertiesBytes: Uint8Array,
    /** MAGIC_V1, or MAGIC_V2 when the topic is longer than 127 bytes. */
    readonly magic: number,
    readonly totalSizeBytes: number,
    /** The ConsumeQueue tags code of the TAGS property (0 when none). */
    readonly tagsCode: number,
  ) {}
}

export function isRecordError<T extends object>(value: T | RecordError): value is RecordError {
  return (value as Partial<RecordError>).status !== undefined;
}

export function illegal(reason: string): RecordError {
  return { status: 'MESSAGE_ILLEGAL', reason };
}

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

export function prepareMessage(input: MessageInput, limits: RecordLimits): PreparedMessage | RecordError {
  const maxBodyBytes = limits.maxMessageSizeBytes;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    assert(false, `maxMessageSizeBytes ${maxBodyBytes} is not positive`);
  }

  const topic = topicBytes(input.topic, Math.min(limits.maxTopicBytes ?? MAX_TOPIC_BYTES_V2, MAX_TOPIC_BYTES_V2));
  if (!(topic instanceof Uint8Array)) return illegal(topic.reason);
  const fieldProblem = checkFields(input, maxBodyBytes);
  if (fieldProblem !== null) return illegal(fieldProblem);

  const properties = encodeMessageProperties(input.properties, input.tags ?? '', keysText(input.keys));
  if (!(properties instanceof Uint8Array)) return illegal(properties.reason);
  if (properties.length > MAX_PROPERTIES_BYTES) {
    return {
      status: 'PROPERTIES_SIZE_EXCEEDED',
      reason: `properties are ${properties.length} bytes encoded; the limit is ${MAX_PROPERTIES_BYTES}`,
    };
  }

  const body = input.body;
  const bornIpv6 = isIpv6(input.bornHost);
  const storeIpv6 = isIpv6(input.storeHost);
  const version = topic.length > MAX_TOPIC_BYTES_V1 ? 2 : 1;
  const totalBytes = recordLength(body.length, topic.length, properties.length, bornIpv6, storeIpv6, version);
  const maxRecordBytes = maxBodyBytes + RECORD_OVERHEAD_ALLOWANCE_BYTES;
  if (totalBytes > maxRecordBytes) {
    return illegal(`record would be ${totalBytes} bytes; the limit is maxMessageSize + 65536 = ${maxRecordBytes}`);
  }
  const sysFlag =
    ((input.sysFlag ?? 0) & ~(SYSFLAG_BORNHOST_V6 | SYSFLAG_STOREHOST_V6)) |
    (bornIpv6 ? SYSFLAG_BORNHOST_V6 : 0) |
    (storeIpv6 ? SYSFLAG_STOREHOST_V6 : 0);

  return new PreparedMessage(
    input.topic,
    topic,
    input.queueId,
    body,
    crc32(body) & 0x7fffffff,
    input.flag ?? 0,
    sysFlag,
    input.bornTimestamp,
    input.bornHost,
    input.storeHost,
    input.reconsumeTimes ?? 0,
    input.preparedTransactionOffset ?? 0,
    properties,
    version === 2 ? MAGIC_V2 : MAGIC_V1,
    totalBytes,
    tagsCode(effectiveTags(input)),
  );
}

/** Everything but topic and properties; null when fine. */
function checkFields(input: MessageInput, maxBodyBytes: number): string | null {
  if (!isInt32(input.queueId) || input.queueId < 0) return `queueId ${input.queueId} is not a non-negative int32`;
  if (!(input.body instanceof Uint8Array)) return 'body is not a Uint8Array';
  if (input.body.length > maxBodyBytes) {
    return `body is ${input.body.length} bytes; maxMessageSize is ${maxBodyBytes}`;
  }
  if (input.flag !== undefined && !isInt32(input.flag)) return `flag ${input.flag} is not an int32`;
  if (input.sysFlag !== undefined && !isInt32(input.sysFlag)) return `sysFlag ${input.sysFlag} is not an int32`;
  if (input.reconsumeTimes !== undefined && !isInt32(input.reconsumeTimes)) {
    return `reconsumeTimes ${input.reconsumeTimes} is not an int32`;
  }
  if (!Number.isSafeInteger(input.bornTimestamp)) return `bornTimestamp ${input.bornTimestamp} is not a safe integer`;
  const prepared = input.preparedTransactionOffset;
  if (prepared !== undefined && (!Number.isSafeInteger(prepared) || prepared < 0)) {
    return `preparedTransactionOffset ${prepared} is not a non-negative safe integer`;
  }
  return checkHostAddress(input.bornHost, 'bornHost') ?? checkHostAddress(input.storeHost, 'storeHost');
}

/** TAGS as stored: input.tags when given, else properties.TAGS. */
function effectiveTags(input: MessageInput): string | undefined {
  return input.tags ? input.tags : input.properties?.[PROPERTY_TAGS];
}

/** KEYS as RocketMQ's Message.setKeys makes it: an array joined by ' ' then Java-trimmed. */
function keysText(keys: string | readonly string[] | undefined): string {
  if (keys === undefined) return '';
  if (typeof keys === 'string') return keys;
  return javaTrim(keys.join(KEY_SEPARATOR));
}

/** Java String.trim: strips chars <= U+0020 at both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}
