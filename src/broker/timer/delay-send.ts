// The send side of delay messages (topics of type DELAY): the message must carry a
// delivery_timestamp no later than timerMaxDelaySec from now (else ILLEGAL_DELIVERY_TIME with
// the reason). A message already due goes straight to its queue; any other is appended to the
// timer topic (rmq_sys_wheel_timer, queue 0) with REAL_TOPIC / REAL_QID naming where the timer
// delivers it. Both carry TIMER_DELIVER_MS, so a consumer sees the message type DELAY and its
// delivery timestamp.
import type { MessageStoreConfig } from '../../config/store-config.js';
import type { PutMessageInput } from '../../store/statuses.js';
import { timestampMs, type ProtoMessage } from '../message-convert.js';
import { refuse } from '../status-codes.js';
import { PROPERTY_REAL_QUEUE_ID, PROPERTY_REAL_TOPIC, PROPERTY_TIMER_DELIVER_MS, TIMER_TOPIC } from '../system-topics.js';

/** The put for a DELAY message whose real put would be `input` (topic and queue chosen). */
export function delayedPut(input: PutMessageInput, m: ProtoMessage, nowMs: number, config: Readonly<MessageStoreConfig>): PutMessageInput {
  const due = timestampMs(m.systemProperties?.deliveryTimestamp);
  if (due === null || !Number.isSafeInteger(due) || due < 0) refuse('ILLEGAL_DELIVERY_TIME', `a DELAY message needs a delivery_timestamp (topic '${input.topic}')`);
  const maxMs = config.timerMaxDelaySec * 1000;
  if (due - nowMs > maxMs) {
    refuse(
      'ILLEGAL_DELIVERY_TIME',
      `delivery_timestamp ${new Date(due).toISOString()} is ${Math.ceil((due - nowMs) / 1000)} s from now; this broker delays at most timerMaxDelaySec = ${config.timerMaxDelaySec} s`,
    );
  }
  const properties = { ...input.properties, [PROPERTY_TIMER_DELIVER_MS]: String(due) };
  if (due <= nowMs) return { ...input, properties };
  return {
    ...input,
    topic: TIMER_TOPIC,
    queueId: 0,
    properties: { ...properties, [PROPERTY_REAL_TOPIC]: input.topic, [PROPERTY_REAL_QUEUE_ID]: String(input.queueId ?? 0) },
  };
}
