// Dead-letter queues, as RocketMQ keeps them: a message a consumer group could not consume goes
// to the topic %DLQ%<group> (created on first use with one read-write queue, like RocketMQ's
// DLQ_NUMS_PER_GROUP, so an admin or a consumer of that topic can read it), as a copy with the
// original body, tag, keys, user and system properties, born timestamp and flag, plus the
// properties RocketMQ sets on a dead letter:
//   RETRY_TOPIC            the original topic (kept if already set)
//   ORIGIN_MESSAGE_ID      the original message id (kept if already set)
//   DLQ_ORIGIN_TOPIC       the original topic
//   DLQ_ORIGIN_MESSAGE_ID  the original message id
// and the record's RECONSUMETIMES = how often it was delivered to the group (for a forward, the
// larger of the broker's count and the client's delivery_attempt).
// Two ways in: the broker's own (pop-service.ts, after the group's max attempts: retryMaxTimes
// + 1 deliveries) and ForwardMessageToDeadLetterQueue (the Node FIFO PushConsumer sends it
// once its own max attempts are used up), answered here.
import { topicBytes } from '../codec/topic-name.js';
import type { MessageStore } from '../store/message-store.js';
import { PutMessageStatus, type PutMessageInput, type StoredMessage } from '../store/statuses.js';
import type { BrokerContext } from './broker-context.js';
import type { DeadLetterSink } from './pop-service.js';
import { decodeReceiptHandle } from './receipt-handle.js';
import { assertServesClients } from './route-handlers.js';
import { OK, refuse, status, type Status } from './status-codes.js';
import type { TopicRegistry } from './topic-registry.js';
import { handleStatus } from './receive-handler.js';

export const DLQ_TOPIC_PREFIX = '%DLQ%';
const MAX_INT32 = 0x7fffffff;
/** RocketMQ's MixAll.DLQ_QUEUE_NUMS_PER_GROUP. */
export const DLQ_QUEUE_NUMS = 1;
export const PROPERTY_RETRY_TOPIC = 'RETRY_TOPIC';
export const PROPERTY_ORIGIN_MESSAGE_ID = 'ORIGIN_MESSAGE_ID';
export const PROPERTY_DLQ_ORIGIN_TOPIC = 'DLQ_ORIGIN_TOPIC';
export const PROPERTY_DLQ_ORIGIN_MESSAGE_ID = 'DLQ_ORIGIN_MESSAGE_ID';

export function dlqTopicOf(group: string): string {
  return `${DLQ_TOPIC_PREFIX}${group}`;
}

/** The record of `m`'s dead-letter copy for `group`. */
export function deadLetterInput(m: StoredMessage, group: string, attempts: number): PutMessageInput {
  const messageId = m.properties.UNIQ_KEY ?? m.msgId;
  const properties: Record<string, string> = { ...m.properties };
  properties[PROPERTY_RETRY_TOPIC] ??= m.topic;
  properties[PROPERTY_ORIGIN_MESSAGE_ID] ??= messageId;
  properties[PROPERTY_DLQ_ORIGIN_TOPIC] = m.topic;
  properties[PROPERTY_DLQ_ORIGIN_MESSAGE_ID] = messageId;
  return {
    topic: dlqTopicOf(group),
    queueId: 0,
    body: m.body ?? new Uint8Array(0),
    properties,
    flag: m.flag,
    bornTimestamp: m.bornTimestamp,
    reconsumeTimes: attempts,
  };
}

/** Where the broker puts dead letters: the group's DLQ topic, created on first use. */
export function deadLetterSink(store: MessageStore, topics: TopicRegistry): DeadLetterSink {
  return async (group, m, attempts) => {
    const name = dlqTopicOf(group);
    const valid = topicBytes(name, store.config.maxTopicLength);
    if (!(valid instanceof Uint8Array)) return `the dead-letter topic '${name}' is not a valid topic name: ${valid.reason}`;
    try {
      if (!topics.get(name)) topics.put(name, { messageType: 'NORMAL', queueNums: DLQ_QUEUE_NUMS });
    } catch (err) {
      return `the dead-letter topic '${name}' could not be created: ${(err as Error).message}`;
    }
    const r = await store.putMessage(deadLetterInput(m, group, attempts));
    return r.status === PutMessageStatus.PUT_OK ? null : `${r.status}${r.reason ? `: ${r.reason}` : ''}`;
  };
}

interface Resource {
  name?: string;
}

/** ForwardMessageToDeadLetterQueue: the delivery the handle names (it must be the current one)
 * goes to %DLQ%<group> and is done for the group. */
export async function forwardToDeadLetter(
  ctx: BrokerContext,
  req: { group?: Resource; topic?: Resource; receiptHandle?: string; messageId?: string; deliveryAttempt?: number; maxDeliveryAttempts?: number },
): Promise<{ status: Status }> {
  assertServesClients(ctx, 'ForwardMessageToDeadLetterQueue');
  const group = ctx.groups.require(req.group?.name ?? '');
  const topic = ctx.topics.require(req.topic?.name ?? '');
  const handle = decodeReceiptHandle(req.receiptHandle);
  if (!handle) refuse('INVALID_RECEIPT_HANDLE', 'the receipt handle is malformed');
  await ctx.pop.whenCurrent();
  const current = ctx.pop.current(group.groupName, topic.topicName, handle);
  if (typeof current === 'string') return { status: handleStatus(current, handle, 'dead-letter') };
  const got = await ctx.store.getMessage({ group: group.groupName, topic: topic.topicName, queueId: handle.queueId, offset: handle.queueOffset, maxMsgNums: 1 });
  const m = got.messages[0];
  if (!m || m.queueOffset !== handle.queueOffset) refuse('MESSAGE_NOT_FOUND', `queue ${handle.queueId} offset ${handle.queueOffset} of '${topic.topicName}' is no longer readable (${got.status})`);
  if (req.messageId && (m.properties.UNIQ_KEY ?? m.msgId) !== req.messageId) {
    refuse('BAD_REQUEST', `message_id ${req.messageId} is not the message the receipt handle names (${m.properties.UNIQ_KEY ?? m.msgId})`);
  }
  // a FIFO PushConsumer retries locally: its delivery_attempt may be above the broker's count
  const attempts = Math.max(current.attempt, Math.min(MAX_INT32, Math.floor(Number(req.deliveryAttempt ?? 0)) || 0));
  const failed = await deadLetterSink(ctx.store, ctx.topics)(group.groupName, m, attempts);
  if (failed !== null) return { status: status('INTERNAL_SERVER_ERROR', `the message could not be put into ${dlqTopicOf(group.groupName)}: ${failed}`) };
  const done = ctx.pop.deadLettered(group.groupName, topic.topicName, handle);
  // acked or delivered again while the DLQ put ran: the DLQ copy is then a duplicate, not a loss
  if (done.outcome !== 'ok') return { status: handleStatus(done.outcome, handle, 'dead-letter') };
  const notStored = await done.stored;
  if (notStored !== null) return { status: status('INTERNAL_SERVER_ERROR', `the message is in ${dlqTopicOf(group.groupName)}, but its removal from the group is not stored (${notStored}): it may be delivered again after a restart`) };
  return { status: OK };
}
