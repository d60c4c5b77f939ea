// SendMessage: each message is checked (topic exists or is auto-created, its message type is
// the topic's, body / tag / keys / properties valid), put on a queue this broker chooses
// (round-robin over the topic's write queues; a FIFO message on the queue its message group
// hashes to, so one group stays in one queue in send order; the client's queue_id is advisory,
// see route-handlers.ts) and answered with the client's message id and the queue offset.
// NORMAL and FIFO are served; DELAY and TRANSACTION topics answer NOT_IMPLEMENTED.
// Engine statuses map to the protocol's codes (ENGINE_STATUS_CODES). A put whose bytes are in
// the log but whose wait failed (flush or slave timeout) is answered with the failure code: the
// client may resend, which is at-least-once, never loss.
import { PutMessageStatus, type PutMessageResult } from '../store/statuses.js';
import type { BrokerContext } from './broker-context.js';
import { crc32 } from '../io/crc.js';
import { checkMessageGroup, MessageTypeNumber, toPutInput, type ProtoMessage } from './message-convert.js';
import { assertServesClients } from './route-handlers.js';
import { BrokerRefusal, OK, refuse, status, type CodeName, type Status } from './status-codes.js';
import { messageTypeOf, TOPIC_MESSAGE_TYPES } from './topic-registry.js';

/** More messages than this in one request are refused (the Node client sends one). */
export const MAX_MESSAGES_PER_SEND = 1024;

const ENGINE_STATUS_CODES: Record<PutMessageStatus, CodeName> = {
  PUT_OK: 'OK',
  FLUSH_DISK_TIMEOUT: 'MASTER_PERSISTENCE_TIMEOUT',
  FLUSH_SLAVE_TIMEOUT: 'SLAVE_PERSISTENCE_TIMEOUT',
  SLAVE_NOT_AVAILABLE: 'HA_NOT_AVAILABLE',
  SERVICE_NOT_AVAILABLE: 'INTERNAL_SERVER_ERROR',
  CREATE_MAPPED_FILE_FAILED: 'INTERNAL_SERVER_ERROR',
  MESSAGE_ILLEGAL: 'BAD_REQUEST',
  PROPERTIES_SIZE_EXCEEDED: 'MESSAGE_PROPERTIES_TOO_LARGE',
  OS_PAGE_CACHE_BUSY: 'TOO_MANY_REQUESTS',
  IN_SYNC_REPLICAS_NOT_ENOUGH: 'INTERNAL_SERVER_ERROR',
  UNKNOWN_ERROR: 'INTERNAL_SERVER_ERROR',
};

export interface SendEntry {
  status: Status;
  messageId: string;
  transactionId: string;
  offset: number;
}

export class SendHandler {
  private readonly nextQueue = new Map<string, number>();

  constructor(private readonly ctx: BrokerContext) {}

  async send(req: { messages?: ProtoMessage[] }): Promise<{ status: Status; entries: SendEntry[] }> {
    assertServesClients(this.ctx, 'SendMessage');
    const messages = req.messages ?? [];
    if (messages.length === 0) refuse('BAD_REQUEST', 'SendMessage carries no message');
    if (messages.length > MAX_MESSAGES_PER_SEND) refuse('BAD_REQUEST', `SendMessage carries ${messages.length} messages, at most ${MAX_MESSAGES_PER_SEND}`);
    const entries: SendEntry[] = [];
    for (const m of messages) entries.push(await this.sendOne(m));
    const failed = entries.find((e) => e.status.code !== OK.code);
    return { status: failed?.status ?? OK, entries };
  }

  private async sendOne(m: ProtoMessage): Promise<SendEntry> {
    const messageId = m.systemProperties?.messageId ?? '';
    try {
      const topic = this.ctx.topics.require(m.topic?.name ?? '');
      const type = m.systemProperties?.messageType ?? MessageTypeNumber.NORMAL;
      const topicType = messageTypeOf(topic);
      const typeName = TOPIC_MESSAGE_TYPES.find((t) => MessageTypeNumber[t] === type) ?? `type ${type}`;
      if (type !== MessageTypeNumber[topicType]) {
        refuse('MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', `topic '${topic.topicName}' accepts ${topicType} messages; this message is ${typeName}`);
      }
      if (topicType !== 'NORMAL' && topicType !== 'FIFO') refuse('NOT_IMPLEMENTED', `${topicType} messages are not served by this broker yet (topic '${topic.topicName}')`);
      const queueId =
        topicType === 'FIFO' ? groupQueue(checkMessageGroup(m.systemProperties?.messageGroup), topic.writeQueueNums) : this.chooseQueue(topic.topicName, topic.writeQueueNums);
      const input = toPutInput(m, queueId, this.ctx.config.maxMessageSize);
      const result = await this.ctx.store.putMessage(input);
      return { status: this.statusOf(result), messageId: input.messageId, transactionId: '', offset: result.queueOffset };
    } catch (err) {
      if (err instanceof BrokerRefusal) return { status: err.status, messageId, transactionId: '', offset: 0 };
      throw err;
    }
  }

  private statusOf(r: PutMessageResult): Status {
    if (r.status === PutMessageStatus.PUT_OK) return OK;
    const name = ENGINE_STATUS_CODES[r.status];
    return status(name, `the store answered ${r.status}${r.reason ? `: ${r.reason}` : ''}`);
  }

  private chooseQueue(topic: string, writeQueues: number): number {
    const n = this.nextQueue.get(topic) ?? 0;
    this.nextQueue.set(topic, (n + 1) % writeQueues);
    return n % writeQueues;
  }
}

/** The queue of a FIFO message group: a stable hash of its UTF-8 bytes. */
export function groupQueue(group: string, writeQueues: number): number {
  return (crc32(new TextEncoder().encode(group)) >>> 0) % writeQueues;
}
