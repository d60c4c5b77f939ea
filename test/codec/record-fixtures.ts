// Shared inputs for the codec tests: a known message, hosts, and helpers that prepare and write
// records while failing the test loudly on a RecordError.
import { expect } from 'vitest';
import {
  isRecordError,
  prepareMessage,
  type MessageInput,
  type PreparedMessage,
  type RecordError,
} from '../../src/codec/prepare-message.js';
import { writeRecord } from '../../src/codec/write-record.js';

export const LIMITS = { maxMessageSizeBytes: 4 * 1024 * 1024 };

export const BORN_HOST_V4 = { address: new Uint8Array([192, 168, 0, 1]), port: 50123 };
export const STORE_HOST_V4 = { address: new Uint8Array([10, 0, 0, 2]), port: 10911 };
export const HOST_V6 = {
  address: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]),
  port: 10912,
};

export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The golden message of the layout test. */
export function knownInput(overrides: Partial<MessageInput> = {}): MessageInput {
  return {
    topic: 'TopicTest',
    queueId: 3,
    body: ascii('Hello RocketMQ'),
    flag: 7,
    tags: 'TagA',
    keys: 'k1',
    properties: { UNIQ_KEY: 'ABC' },
    bornTimestamp: 1_700_000_000_123,
    bornHost: BORN_HOST_V4,
    storeHost: STORE_HOST_V4,
    reconsumeTimes: 2,
    preparedTransactionOffset: 0,
    ...overrides,
  };
}

export function prepareOk(input: MessageInput): PreparedMessage {
  const prepared = prepareMessage(input, LIMITS);
  if (isRecordError(prepared)) throw new Error(`unexpected RecordError: ${prepared.reason}`);
  return prepared;
}

export function expectError(result: PreparedMessage | RecordError | object, status: RecordError['status'], reason: RegExp): void {
  expect(isRecordError(result as RecordError)).toBe(true);
  const error = result as RecordError;
  expect(error.status).toBe(status);
  expect(error.reason).toMatch(reason);
}

/** A record written alone into an exactly sized buffer. */
export function encodeAlone(
  input: MessageInput,
  queueOffset = 42,
  physicalOffset = 2 ** 40 + 5,
  storeTimestamp = 1_700_000_000_999,
): Uint8Array {
  const prepared = prepareOk(input);
  const bytes = new Uint8Array(prepared.totalSizeBytes);
  expect(writeRecord(bytes, 0, prepared, queueOffset, physicalOffset, storeTimestamp)).toBe(prepared.totalSizeBytes);
  return bytes;
}

/** Byte equality without vitest's element-by-element diffing (fast for 64 KiB bodies). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
