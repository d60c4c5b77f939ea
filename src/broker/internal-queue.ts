// Reading and appending the broker's internal queues (system-topics.ts) through the engine's
// public API only: a bounded forward scan in batches, the last record of a queue, and an append
// that turns a non-OK engine status into an error with the engine's reason.
// A scan skips a damaged record (logged by the caller's logger) and starts at the queue's min
// offset when retention already deleted the requested one; it never loops more than
// (to - from) / 1 + MAX_SCAN_BATCHES times.
import type { MessageStore } from '../store/message-store.js';
import { GetMessageStatus, PutMessageStatus, type PutMessageInput, type PutMessageResult, type StoredMessage } from '../store/statuses.js';
import type { Logger } from '../util/logger.js';

export const SCAN_BATCH = 32;
const SCAN_GROUP = 'mqstore_internal_scan';

export class InternalPutError extends Error {
  constructor(readonly result: PutMessageResult, what: string) {
    super(`${what}: the store answered ${result.status}${result.reason ? `: ${result.reason}` : ''}`);
  }
}

/** Call `visit` for every readable record of topic/0 in [from, to), in queue order. */
export async function scanQueue(store: MessageStore, topic: string, from: number, to: number, logger: Logger, visit: (m: StoredMessage) => void): Promise<number> {
  let offset = Math.max(from, store.getMinOffsetInQueue(topic, 0));
  let rounds = 0;
  const maxRounds = Math.max(0, to - offset) + 16;
  while (offset < to && rounds++ < maxRounds) {
    const got = await store.getMessage({ group: SCAN_GROUP, topic, queueId: 0, offset, maxMsgNums: Math.min(SCAN_BATCH, to - offset) });
    if (got.status === GetMessageStatus.FOUND) {
      for (const m of got.messages) if (m.queueOffset < to) visit(m);
      offset = got.nextBeginOffset;
    } else if (got.status === GetMessageStatus.OFFSET_TOO_SMALL) {
      offset = got.minOffset;
    } else if (got.status === GetMessageStatus.MESSAGE_CORRUPTED) {
      logger.error(`${topic} queue offset ${offset}: a damaged record is skipped (${got.corruption?.reason ?? 'no reason'})`);
      offset = Math.max(offset + 1, got.nextBeginOffset);
    } else {
      break;
    }
  }
  return offset;
}

/** The record at the end of topic/0, or null when the queue is empty. */
export async function lastRecord(store: MessageStore, topic: string): Promise<StoredMessage | null> {
  const max = store.getMaxOffsetInQueue(topic, 0);
  if (max <= store.getMinOffsetInQueue(topic, 0)) return null;
  const got = await store.getMessage({ group: SCAN_GROUP, topic, queueId: 0, offset: max - 1, maxMsgNums: 1 });
  return got.status === GetMessageStatus.FOUND ? (got.messages[0] ?? null) : null;
}

/** Append; anything but PUT_OK throws InternalPutError (the bytes may be in the log: callers
 * treat a failure as "maybe written", which the at-least-once windows account for). */
export async function appendInternal(store: MessageStore, input: PutMessageInput, what: string): Promise<PutMessageResult> {
  const r = await store.putMessage(input);
  if (r.status !== PutMessageStatus.PUT_OK) throw new InternalPutError(r, what);
  return r;
}

/** A stored record put again on another topic/queue, with the given properties. */
export function copyOf(m: StoredMessage, topic: string, queueId: number, properties: Record<string, string>): PutMessageInput {
  return {
    topic,
    queueId,
    body: m.body ?? new Uint8Array(0),
    ...(m.tags !== null ? { tags: m.tags } : {}),
    ...(m.keys.length > 0 ? { keys: m.keys } : {}),
    properties,
    bornTimestamp: m.bornTimestamp,
  };
}
