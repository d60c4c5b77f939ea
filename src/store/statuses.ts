// Result types of the public API, with RocketMQ's status names. Expected outcomes (bad input,
// timeouts, a full disk) are statuses, never exceptions.
import type { DecodedMessage } from '../codec/read-record.js';

export const PutMessageStatus = {
  PUT_OK: 'PUT_OK',
  FLUSH_DISK_TIMEOUT: 'FLUSH_DISK_TIMEOUT',
  FLUSH_SLAVE_TIMEOUT: 'FLUSH_SLAVE_TIMEOUT',
  SLAVE_NOT_AVAILABLE: 'SLAVE_NOT_AVAILABLE',
  SERVICE_NOT_AVAILABLE: 'SERVICE_NOT_AVAILABLE',
  CREATE_MAPPED_FILE_FAILED: 'CREATE_MAPPED_FILE_FAILED',
  MESSAGE_ILLEGAL: 'MESSAGE_ILLEGAL',
  PROPERTIES_SIZE_EXCEEDED: 'PROPERTIES_SIZE_EXCEEDED',
  OS_PAGE_CACHE_BUSY: 'OS_PAGE_CACHE_BUSY',
  /** DLedger: no majority confirmed the put within the wait (the bytes may still commit later). */
  IN_SYNC_REPLICAS_NOT_ENOUGH: 'IN_SYNC_REPLICAS_NOT_ENOUGH',
  UNKNOWN_ERROR: 'UNKNOWN_ERROR',
} as const;
export type PutMessageStatus = (typeof PutMessageStatus)[keyof typeof PutMessageStatus];

export const GetMessageStatus = {
  FOUND: 'FOUND',
  NO_MESSAGE_IN_QUEUE: 'NO_MESSAGE_IN_QUEUE',
  OFFSET_OVERFLOW_ONE: 'OFFSET_OVERFLOW_ONE',
  OFFSET_OVERFLOW_BADLY: 'OFFSET_OVERFLOW_BADLY',
  OFFSET_TOO_SMALL: 'OFFSET_TOO_SMALL',
  OFFSET_FOUND_NULL: 'OFFSET_FOUND_NULL',
  NO_MATCHED_LOGIC_QUEUE: 'NO_MATCHED_LOGIC_QUEUE',
  /** mqstore: the message at the requested offset is damaged (body CRC mismatch with
   * checkCRCOnRead, a record that does not parse, or a ConsumeQueue entry that does not point to
   * this queue's record); `corruption` says where. Nothing is returned for it; nextBeginOffset is
   * the offset after it (the caller decides whether to skip it or read it from a replica). */
  MESSAGE_CORRUPTED: 'MESSAGE_CORRUPTED',
} as const;
export type GetMessageStatus = (typeof GetMessageStatus)[keyof typeof GetMessageStatus];

/** What a producer hands to putMessage. */
export interface PutMessageInput {
  topic: string;
  queueId?: number;
  body: Uint8Array | string;
  tags?: string;
  keys?: string | readonly string[];
  properties?: Readonly<Record<string, string>>;
  flag?: number;
  bornTimestamp?: number;
}

export interface PutMessageResult {
  status: PutMessageStatus;
  /** RocketMQ's offsetMsgId (store host + physical offset, hex); for a batch, the ids joined by ','. */
  offsetMsgId: string | null;
  physicalOffset: number;
  queueOffset: number;
  wroteBytes: number;
  /** How many messages the put appended (1, or the batch size). */
  messageCount: number;
  storeTimestamp: number;
  /** Why, when the status is not PUT_OK. */
  reason?: string;
}

export interface GetMessageRequest {
  group: string;
  topic: string;
  queueId: number;
  offset: number;
  maxMsgNums: number;
}

export interface StoredMessage extends DecodedMessage {
  readonly msgId: string;
}

/** Where a damaged message is (GetMessageStatus.MESSAGE_CORRUPTED). */
export interface MessageCorruption {
  queueOffset: number;
  physicalOffset: number;
  size: number;
  reason: string;
}

export interface GetMessageResult {
  status: GetMessageStatus;
  /** Set with MESSAGE_CORRUPTED. */
  corruption?: MessageCorruption;
  messages: StoredMessage[];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  /** RocketMQ's store rule: the last message read is further behind the write head than
   * accessMessageInMemoryMaxRatio % of RAM (likely no longer in the page cache). */
  suggestPullingFromSlave: boolean;
  /** Where the consumer should pull next (RocketMQ's broker rule): 1, the first slave
   * (whichBrokerWhenConsumeSlowly's default), when slaveReadEnable and suggestPullingFromSlave;
   * else 0, the master. */
  suggestWhichBrokerId: number;
}

/** A result for a put that appended nothing. */
export function failedPut(status: PutMessageResult['status'], reason: string): PutMessageResult {
  return { status, offsetMsgId: null, physicalOffset: -1, queueOffset: -1, wroteBytes: 0, messageCount: 0, storeTimestamp: 0, reason };
}

/** Whether a put's bytes are in the log (RocketMQ PutMessageResult.isOk). */
export function isWritten(status: PutMessageStatus): boolean {
  return (
    status === PutMessageStatus.PUT_OK ||
    status === PutMessageStatus.FLUSH_DISK_TIMEOUT ||
    status === PutMessageStatus.FLUSH_SLAVE_TIMEOUT ||
    status === PutMessageStatus.SLAVE_NOT_AVAILABLE
  );
}
