// Between the v2 protocol's Message and the engine's records.
//   send:    topic, body, tag -> TAGS, keys -> KEYS (space-joined, RocketMQ's rule), the client's
//            message_id -> UNIQ_KEY, user_properties as they are, born_timestamp -> the record's
//            bornTimestamp. User properties may not use RocketMQ's system property names.
//            A FIFO message's message_group -> __SHARDINGKEY (RocketMQ's sharding key property).
//   deliver: the record back (message_group and type FIFO from __SHARDINGKEY; type DELAY and
//            delivery_timestamp from TIMER_DELIVER_MS), with the delivery's receipt handle, attempt, invisibility, queue
//            offset, dead_letter_queue for a dead letter, and body_digest = MD5 as uppercase hex (what the Java proxy sends; the Node
//            client requires a digest and checks it).
import { createHash } from 'node:crypto';
import type { PutMessageInput, StoredMessage } from '../store/statuses.js';
import type { HostAddress } from '../codec/host-address.js';
import type { InflightEntry } from './pop-state.js';
import { refuse } from './status-codes.js';

/** RocketMQ's MessageConst names a user property may not take (the broker and clients own them). */
const SYSTEM_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  'TAGS', 'KEYS', 'UNIQ_KEY', 'WAIT', 'DELAY', 'RETRY_TOPIC', 'REAL_TOPIC', 'REAL_QID', 'TRAN_MSG', 'PGROUP',
  'MIN_OFFSET', 'MAX_OFFSET', 'BUYER_ID', 'ORIGIN_MESSAGE_ID', 'TRANSFER_FLAG', 'CORRECTION_FLAG', 'MQ2_FLAG',
  'RECONSUME_TIME', 'MSG_REGION', 'TRACE_ON', 'MAX_RECONSUME_TIMES', 'CONSUME_START_TIME', '__SHARDINGKEY',
  'TIMER_DELIVER_MS', 'TIMER_DELAY_SEC', 'TIMER_DELAY_MS', 'TIMER_OUT_MS', 'TIMER_ENQUEUE_MS', 'TIMER_DEQUEUE_MS',
  'POP_CK', 'POP_CK_OFFSET', '1ST_POP_TIME', 'TRAN_PREPARED_QUEUE_OFFSET', 'TRANSACTION_CHECK_TIMES',
  'CHECK_IMMUNITY_TIME_IN_SECONDS', 'INSTANCE_ID', 'CORRELATION_ID', 'REPLY_TO_CLIENT', 'TTL', 'ARRIVE_TIME',
  'PUSH_REPLY_TIME', 'CLUSTER', 'MSG_TYPE', 'INNER_MULTI_DISPATCH', 'INNER_MULTI_QUEUE_OFFSET', 'INNER_NUM',
  'DUP_INFO', 'EXTEND_UNIQ_INFO', '__BORNHOST', '__STARTDELIVERTIME', 'DLQ_ORIGIN_TOPIC', 'DLQ_ORIGIN_MESSAGE_ID',
]);

/** v2 enums used here (numbers from definition.proto). */
export const MessageTypeNumber = { UNSPECIFIED: 0, NORMAL: 1, FIFO: 2, DELAY: 3, TRANSACTION: 4, LITE: 5, PRIORITY: 6 } as const;
const ENCODING_IDENTITY = 1;
const ENCODING_GZIP = 2;
const DIGEST_MD5 = 2;
const MAX_TAG_CHARS = 128;
const MAX_KEY_CHARS = 128;
const MAX_KEYS = 32;
const MAX_MESSAGE_ID_CHARS = 128;
const MAX_MESSAGE_GROUP_CHARS = 64;
export const PROPERTY_SHARDING_KEY = '__SHARDINGKEY';

/** A FIFO message's group: required, 1..64 visible characters. */
export function checkMessageGroup(group: string | undefined): string {
  if (group === undefined || group.trim().length === 0 || group.length > MAX_MESSAGE_GROUP_CHARS || hasControl(group)) {
    refuse('ILLEGAL_MESSAGE_GROUP', `a FIFO message needs a message_group of 1..${MAX_MESSAGE_GROUP_CHARS} visible characters, got ${JSON.stringify(group ?? null)}`);
  }
  return group;
}

export interface ProtoTimestamp {
  seconds?: number;
  nanos?: number;
}

export interface ProtoMessage {
  topic?: { name?: string; resourceNamespace?: string };
  userProperties?: Record<string, string>;
  systemProperties?: {
    tag?: string;
    keys?: string[];
    messageId?: string;
    bodyEncoding?: number;
    messageType?: number;
    bornTimestamp?: ProtoTimestamp;
    bornHost?: string;
    queueId?: number;
    deliveryTimestamp?: ProtoTimestamp;
    messageGroup?: string;
  };
  body?: Uint8Array;
}

export function timestampMs(t: ProtoTimestamp | undefined): number | null {
  if (!t) return null;
  return Number(t.seconds ?? 0) * 1000 + Math.floor(Number(t.nanos ?? 0) / 1e6);
}

export function timestampOf(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1e6 };
}

export function durationMs(d: { seconds?: number; nanos?: number } | undefined): number | null {
  if (!d) return null;
  return Number(d.seconds ?? 0) * 1000 + Math.floor(Number(d.nanos ?? 0) / 1e6);
}

export function durationOf(ms: number): { seconds: number; nanos: number } {
  return timestampOf(ms);
}

/** The record to append for one sent message (refusals carry the protocol code). */
export function toPutInput(msg: ProtoMessage, queueId: number, maxBodyBytes: number): PutMessageInput & { messageId: string } {
  const sys = msg.systemProperties ?? {};
  const body = msg.body ?? new Uint8Array(0);
  if (body.length === 0) refuse('MESSAGE_BODY_EMPTY', 'the message body is empty');
  if (body.length > maxBodyBytes) refuse('MESSAGE_BODY_TOO_LARGE', `the message body is ${body.length} bytes, more than maxMessageSize ${maxBodyBytes}`);
  if (sys.bodyEncoding === ENCODING_GZIP) refuse('NOT_IMPLEMENTED', 'GZIP body encoding is not supported by this broker yet; send IDENTITY');
  if (sys.bodyEncoding !== undefined && sys.bodyEncoding !== 0 && sys.bodyEncoding !== ENCODING_IDENTITY) refuse('BAD_REQUEST', `unknown body encoding ${sys.bodyEncoding}`);
  const messageId = sys.messageId ?? '';
  if (messageId.length === 0 || messageId.length > MAX_MESSAGE_ID_CHARS || !/^[0-9A-Za-z_-]+$/.test(messageId)) {
    refuse('ILLEGAL_MESSAGE_ID', `message_id '${messageId}' must be 1..${MAX_MESSAGE_ID_CHARS} characters of 0-9A-Za-z_-`);
  }
  const tag = sys.tag;
  if (tag !== undefined && (tag.trim().length === 0 || tag.includes('|') || tag.length > MAX_TAG_CHARS || hasControl(tag))) {
    refuse('ILLEGAL_MESSAGE_TAG', `tag '${tag}' must be 1..${MAX_TAG_CHARS} visible characters without '|'`);
  }
  const keys = sys.keys ?? [];
  if (keys.length > MAX_KEYS) refuse('ILLEGAL_MESSAGE_KEY', `${keys.length} keys, at most ${MAX_KEYS}`);
  for (const k of keys) {
    if (k.trim().length === 0 || /\s/.test(k) || k.length > MAX_KEY_CHARS || hasControl(k)) refuse('ILLEGAL_MESSAGE_KEY', `key '${k}' must be 1..${MAX_KEY_CHARS} characters without whitespace`);
  }
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(msg.userProperties ?? {})) {
    if (SYSTEM_PROPERTY_NAMES.has(name)) refuse('ILLEGAL_MESSAGE_PROPERTY_KEY', `user property '${name}' is a RocketMQ system property name`);
    if (name.length === 0 || hasControl(name) || hasControl(value)) refuse('ILLEGAL_MESSAGE_PROPERTY_KEY', `user property '${name}' has an empty name or control characters`);
    properties[name] = value;
  }
  properties.UNIQ_KEY = messageId;
  if (sys.messageType === MessageTypeNumber.FIFO) properties[PROPERTY_SHARDING_KEY] = checkMessageGroup(sys.messageGroup);
  const born = timestampMs(sys.bornTimestamp);
  return {
    topic: msg.topic?.name ?? '',
    queueId,
    body,
    ...(tag !== undefined ? { tags: tag } : {}),
    ...(keys.length > 0 ? { keys } : {}),
    properties,
    ...(born !== null && born >= 0 ? { bornTimestamp: born } : {}),
    messageId,
  };
}

function hasControl(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f]/.test(s);
}

/** A delivered message in the protocol's shape. */
export function toProtoMessage(m: StoredMessage, entry: InflightEntry, receiptHandle: string, invisibleMs: number): Record<string, unknown> {
  const userProperties: Record<string, string> = {};
  for (const [name, value] of Object.entries(m.properties)) if (!SYSTEM_PROPERTY_NAMES.has(name)) userProperties[name] = value;
  const body = m.body ?? new Uint8Array(0);
  const group = m.properties[PROPERTY_SHARDING_KEY];
  const deliverAt = m.properties.TIMER_DELIVER_MS === undefined ? NaN : Number(m.properties.TIMER_DELIVER_MS);
  const delayed = group === undefined && Number.isSafeInteger(deliverAt);
  return {
    topic: { name: m.topic, resourceNamespace: '' },
    userProperties,
    systemProperties: {
      ...(m.tags !== null ? { tag: m.tags } : {}),
      keys: [...m.keys],
      messageId: m.properties.UNIQ_KEY ?? m.msgId,
      bodyDigest: { type: DIGEST_MD5, checksum: createHash('md5').update(body).digest('hex').toUpperCase() },
      bodyEncoding: ENCODING_IDENTITY,
      messageType: group !== undefined ? MessageTypeNumber.FIFO : delayed ? MessageTypeNumber.DELAY : MessageTypeNumber.NORMAL,
      ...(group === undefined ? {} : { messageGroup: group }),
      ...(delayed ? { deliveryTimestamp: timestampOf(deliverAt) } : {}),
      bornTimestamp: timestampOf(m.bornTimestamp),
      bornHost: hostText(m.bornHost),
      storeTimestamp: timestampOf(m.storeTimestamp),
      storeHost: hostText(m.storeHost),
      receiptHandle,
      queueId: m.queueId,
      queueOffset: m.queueOffset,
      invisibleDuration: durationOf(invisibleMs),
      deliveryAttempt: entry.attempt,
      ...deadLetterQueueOf(m),
    },
    body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
  };
}

/** A dead letter (dead-letter.ts) names where it came from, as the Java proxy sends it. */
function deadLetterQueueOf(m: StoredMessage): { deadLetterQueue?: { topic: string; messageId: string } } {
  const topic = m.properties.DLQ_ORIGIN_TOPIC;
  const messageId = m.properties.DLQ_ORIGIN_MESSAGE_ID;
  return topic !== undefined && messageId !== undefined ? { deadLetterQueue: { topic, messageId } } : {};
}

function hostText(h: HostAddress): string {
  if (h.address.length === 4) return `${h.address.join('.')}:${h.port}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((h.address[i]! << 8) | h.address[i + 1]!).toString(16));
  return `[${groups.join(':')}]:${h.port}`;
}
