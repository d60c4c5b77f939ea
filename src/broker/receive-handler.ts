// ReceiveMessage (pop with long polling), AckMessage and ChangeInvisibleDuration.
// ReceiveMessage writes, like the Java proxy: {status OK}, one {message} per delivery, then
// {delivery_timestamp}; or a single {status MESSAGE_NOT_FOUND} when the poll ends empty (the
// client treats it as an empty result). The poll waits for an arrival in the topic or for the
// next invisibility deadline of the group's in-flight messages, and ends by
// min(long_polling_timeout, client deadline - DEADLINE_MARGIN_MS) so the answer beats the
// client's deadline. The client's queue id is advisory: the broker pops every queue of the topic.
// Ack: the SimpleConsumer reads only the top-level status, so a failed entry also sets it.
import type { BrokerContext } from './broker-context.js';
import { durationMs, toProtoMessage } from './message-convert.js';
import type { HandleCheck } from './pop-state.js';
import { decodeReceiptHandle, type ReceiptHandle } from './receipt-handle.js';
import { assertServesClients } from './route-handlers.js';
import { OK, refuse, status, type Status } from './status-codes.js';
import { tagFilterOf } from './tag-filter.js';
import { messageTypeOf } from './topic-registry.js';
import { LONG_POLLING_TIMEOUT_MS } from './client-settings.js';

export const MIN_INVISIBLE_MS = 1_000;
/** RocketMQ's largest invisible time for pop (12 h). */
export const MAX_INVISIBLE_MS = 12 * 3600_000;
/** Invisibility of an auto_renew (PushConsumer) receive that names none. */
export const DEFAULT_INVISIBLE_MS = 30_000;
export const MAX_BATCH_SIZE = 1024;
export const MAX_LONG_POLLING_MS = 60_000;
/** The poll answers this long before the client's deadline (transport and client overhead). */
export const DEADLINE_MARGIN_MS = 1_000;
/** Wake-ups of one poll before it answers anyway (each wake re-pops; bounded work). */
const MAX_WAKES_PER_POLL = 10_000;
const MAX_ACK_ENTRIES = 1024;

interface Resource {
  name?: string;
}

export interface ReceiveRequest {
  group?: Resource;
  messageQueue?: { topic?: Resource; id?: number };
  filterExpression?: { type?: number; expression?: string };
  batchSize?: number;
  invisibleDuration?: { seconds?: number; nanos?: number };
  autoRenew?: boolean;
  longPollingTimeout?: { seconds?: number; nanos?: number };
}

/** How the handler talks to one server-streaming call. */
export interface ReceiveStream {
  write(response: Record<string, unknown>): void;
  end(): void;
  /** ms left before the client's deadline (Infinity without one). */
  deadlineLeftMs(): number;
  onCancel(cancel: () => void): void;
  isCancelled(): boolean;
}

export async function receiveMessage(ctx: BrokerContext, req: ReceiveRequest, stream: ReceiveStream): Promise<void> {
  assertServesClients(ctx, 'ReceiveMessage');
  const group = ctx.groups.require(req.group?.name ?? '');
  const topic = ctx.topics.require(req.messageQueue?.topic?.name ?? '');
  const filter = tagFilterOf(req.filterExpression);
  const batch = req.batchSize ?? 0;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH_SIZE) refuse('BAD_REQUEST', `batch_size ${batch} is not in [1, ${MAX_BATCH_SIZE}]`);
  const invisibleMs = durationMs(req.invisibleDuration) ?? (req.autoRenew ? DEFAULT_INVISIBLE_MS : null);
  if (invisibleMs === null) refuse('ILLEGAL_INVISIBLE_TIME', 'invisible_duration is required unless auto_renew is set');
  if (invisibleMs < MIN_INVISIBLE_MS || invisibleMs > MAX_INVISIBLE_MS) refuse('ILLEGAL_INVISIBLE_TIME', `invisible_duration ${invisibleMs} ms is not in [${MIN_INVISIBLE_MS}, ${MAX_INVISIBLE_MS}] ms`);
  const pollMs = durationMs(req.longPollingTimeout) ?? LONG_POLLING_TIMEOUT_MS;
  if (pollMs < 0 || pollMs > MAX_LONG_POLLING_MS) refuse('ILLEGAL_POLLING_TIME', `long_polling_timeout ${pollMs} ms is not in [0, ${MAX_LONG_POLLING_MS}] ms`);
  const start = ctx.clock.nowMs();
  const endAt = start + Math.max(0, Math.min(pollMs, stream.deadlineLeftMs() - DEADLINE_MARGIN_MS));
  const queueNums = topic.readQueueNums;
  await ctx.pop.whenCurrent();
  // FIFO topic and an orderly group: one batch in flight per queue (pop-service.ts)
  const orderly = messageTypeOf(topic) === 'FIFO' && group.consumeMessageOrderly;
  const maxAttempts = maxDeliveryAttempts(group.retryMaxTimes);
  let cancelled = false;
  for (let wakes = 0; wakes < MAX_WAKES_PER_POLL && !cancelled && !stream.isCancelled(); wakes++) {
    const nowMs = ctx.clock.nowMs();
    const deliveries = await ctx.pop.pop({ group: group.groupName, topic: topic.topicName, queueNums, filter, maxMessages: batch, invisibleMs, nowMs, orderly, maxAttempts });
    if (deliveries.length > 0) {
      ctx.counters.recordReceived(group.groupName, topic.topicName, deliveries.length);
      stream.write({ status: OK });
      for (const d of deliveries) stream.write({ message: toProtoMessage(d.message, d.entry, d.receiptHandle, invisibleMs) });
      stream.write({ deliveryTimestamp: { seconds: Math.floor(nowMs / 1000), nanos: (nowMs % 1000) * 1e6 } });
      stream.end();
      return;
    }
    const after = ctx.clock.nowMs();
    if (after >= endAt) break;
    const expiry = ctx.pop.nextExpiryMs(group.groupName, topic.topicName, queueNums);
    const wakeAt = expiry === null ? endAt : Math.min(endAt, Math.max(expiry, after + 1));
    const reason = await ctx.waiters.wait(topic.topicName, wakeAt - after, stream.onCancel);
    if (reason === 'cancelled') cancelled = true;
    if (reason === 'closed' || reason === 'full') break;
  }
  if (cancelled || stream.isCancelled()) return;
  stream.write({ status: status('MESSAGE_NOT_FOUND', 'no new message') });
  stream.end();
}

interface AckEntry {
  messageId?: string;
  receiptHandle?: string;
}

/** Deliveries of one message before the dead-letter queue: the group's retryMaxTimes + 1 (what
 * the settings tell consumers as backoff_policy.max_attempts, client-settings.ts), at least 1. */
export function maxDeliveryAttempts(retryMaxTimes: number): number {
  return Math.max(1, retryMaxTimes + 1);
}

export async function ackMessage(ctx: BrokerContext, req: { group?: Resource; topic?: Resource; entries?: AckEntry[] }): Promise<{ status: Status; entries: unknown[] }> {
  assertServesClients(ctx, 'AckMessage');
  const group = ctx.groups.require(req.group?.name ?? '');
  const topic = ctx.topics.require(req.topic?.name ?? '');
  const entries = req.entries ?? [];
  if (entries.length === 0 || entries.length > MAX_ACK_ENTRIES) refuse('BAD_REQUEST', `AckMessage needs 1..${MAX_ACK_ENTRIES} entries, got ${entries.length}`);
  await ctx.pop.whenCurrent();
  // every entry is applied at once (in order); the answer waits until their records are stored
  const pending = entries.map((e) => ackOne(ctx, group.groupName, topic.topicName, e.receiptHandle));
  const results = await Promise.all(
    pending.map(async (p, i) => {
      const e = entries[i]!;
      return { messageId: e.messageId ?? '', receiptHandle: e.receiptHandle ?? '', status: await p };
    }),
  );
  const acked = results.reduce((n, r) => (r.status.code === OK.code ? n + 1 : n), 0);
  if (acked > 0) ctx.counters.recordAcked(group.groupName, topic.topicName, acked);
  const failed = results.find((r) => r.status.code !== OK.code);
  return { status: failed?.status ?? OK, entries: results };
}

function ackOne(ctx: BrokerContext, group: string, topic: string, text: string | undefined): Promise<Status> {
  const handle = decodeReceiptHandle(text);
  if (!handle) return Promise.resolve(status('INVALID_RECEIPT_HANDLE', 'the receipt handle is malformed'));
  const { outcome, stored } = ctx.pop.ack(group, topic, handle);
  if (outcome !== 'ok' || stored === null) return Promise.resolve(handleStatus(outcome, handle, 'ack'));
  return stored.then((failed) => (failed === null ? OK : notStored('ack', handle, failed)));
}

/** The change is made, but its journal record is not stored: say so (it may not survive a restart). */
function notStored(what: string, h: ReceiptHandle, reason: string): Status {
  return status('INTERNAL_SERVER_ERROR', `the ${what} of queue ${h.queueId} offset ${h.queueOffset} is applied but not stored (${reason}): after a broker restart the message may be delivered again`);
}

export async function changeInvisibleDuration(
  ctx: BrokerContext,
  req: { group?: Resource; topic?: Resource; receiptHandle?: string; invisibleDuration?: { seconds?: number; nanos?: number } },
): Promise<{ status: Status; receiptHandle: string }> {
  assertServesClients(ctx, 'ChangeInvisibleDuration');
  const group = ctx.groups.require(req.group?.name ?? '');
  const topic = ctx.topics.require(req.topic?.name ?? '');
  const handle = decodeReceiptHandle(req.receiptHandle);
  if (!handle) refuse('INVALID_RECEIPT_HANDLE', 'the receipt handle is malformed');
  const ms = durationMs(req.invisibleDuration);
  // any length down to 0: the Node PushConsumer's nack asks for its back-off's *seconds* as
  // milliseconds (1 ms for a 1 s back-off) and retries a refusal for ever
  if (ms === null || ms < 0 || ms > MAX_INVISIBLE_MS) refuse('ILLEGAL_INVISIBLE_TIME', `invisible_duration ${ms} ms is not in [0, ${MAX_INVISIBLE_MS}] ms`);
  await ctx.pop.whenCurrent();
  const { outcome: out, stored } = ctx.pop.changeInvisible(group.groupName, topic.topicName, handle, ctx.clock.nowMs(), ms);
  if (typeof out === 'string') return { status: handleStatus(out, handle, 'change the invisibility of'), receiptHandle: '' };
  ctx.waiters.nudge(topic.topicName); // a poll waiting for the old deadline looks again
  const failed = stored === null ? null : await stored;
  // the new handle is the message's current one either way: give it to the client
  return { status: failed === null ? OK : notStored('invisibility change', handle, failed), receiptHandle: out.receiptHandle };
}

export function handleStatus(outcome: HandleCheck, h: ReceiptHandle, what: string): Status {
  switch (outcome) {
    case 'ok':
      return OK;
    case 'stale':
      return status('INVALID_RECEIPT_HANDLE', `cannot ${what} queue ${h.queueId} offset ${h.queueOffset}: the receipt handle is stale (the message was delivered again, also after a broker restart, or its invisibility changed; use the newest handle)`);
    default:
      return status('INVALID_RECEIPT_HANDLE', `cannot ${what} queue ${h.queueId} offset ${h.queueOffset}: it is not in flight for this group (already acked or dead-lettered, or never delivered)`);
  }
}
