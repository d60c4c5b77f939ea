// The broker's internal topics, with RocketMQ 5's names where it has one. They live in the
// CommitLog like any topic (so they replicate with the log and survive restarts), are never in
// topics.json, never routed, and clients may neither send to nor receive from them.
//   rmq_sys_wheel_timer          delay messages until their time (one queue, 0)
//   rmq_sys_timer_progress       the delay timer's progress records (mqstore; RocketMQ keeps a
//                                timercheck file instead, which would not replicate)
//   RMQ_SYS_TRANS_HALF_TOPIC     half (prepared) transactional messages
//   RMQ_SYS_TRANS_OP_HALF_TOPIC  one op record per ended half (commit, rollback, discard)
//   rmq_sys_POP_STATE            the pop consumption journal (pop-journal: deliveries, acks, ...)
// and RocketMQ's schedule topic SCHEDULE_TOPIC_XXXX. TopicRegistry.require (every client RPC's way
// to a topic: routes, send, receive, ack, assignment) refuses them with FORBIDDEN, as RocketMQ's
// proxy answers a client naming a system topic.
import { refuse } from './status-codes.js';

export const TIMER_TOPIC = 'rmq_sys_wheel_timer';
export const TIMER_PROGRESS_TOPIC = 'rmq_sys_timer_progress';
export const TRANS_HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const TRANS_OP_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';

/** RocketMQ MessageConst names the internal records use. */
export const PROPERTY_REAL_TOPIC = 'REAL_TOPIC';
export const PROPERTY_REAL_QUEUE_ID = 'REAL_QID';
export const PROPERTY_TIMER_DELIVER_MS = 'TIMER_DELIVER_MS';
export const PROPERTY_TRANSACTION_PREPARED = 'TRAN_MSG';
/** RocketMQ's producer group property; here the x-mq-client-id of the producer that sent the half. */
export const PROPERTY_PRODUCER_GROUP = 'PGROUP';

/** The properties the broker adds to an internal copy; removed again on delivery. */
const INTERNAL_ONLY: ReadonlySet<string> = new Set([PROPERTY_REAL_TOPIC, PROPERTY_REAL_QUEUE_ID, PROPERTY_TRANSACTION_PREPARED, PROPERTY_PRODUCER_GROUP]);

export const SYSTEM_TOPIC_PREFIXES: readonly string[] = ['rmq_sys_', 'RMQ_SYS_'];
export const SYSTEM_TOPICS: ReadonlySet<string> = new Set(['SCHEDULE_TOPIC_XXXX']);

/** RocketMQ's TopicValidator rule: the rmq_sys_ / RMQ_SYS_ prefixes and the schedule topic are the system's. */
export function isSystemTopic(name: string): boolean {
  return SYSTEM_TOPICS.has(name) || SYSTEM_TOPIC_PREFIXES.some((p) => name.startsWith(p));
}

/** Refuse a client naming an internal topic (FORBIDDEN with the reason). */
export function assertNotSystemTopic(name: string): void {
  if (isSystemTopic(name)) refuse('FORBIDDEN', `topic '${name}' is an internal system topic of the broker (the rmq_sys_ / RMQ_SYS_ prefixes are reserved); clients cannot use it`);
}

/** The user-visible properties of an internal copy (what the real topic gets). */
export function deliveredProperties(internal: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(internal)) if (!INTERNAL_ONLY.has(k)) out[k] = v;
  return out;
}
