// The broker's internal topics (RocketMQ's system topics): kept in the engine like any topic, but
// never visible to clients. TopicRegistry.require (every client RPC's way to a topic: routes,
// send, receive, ack, assignment) refuses them with FORBIDDEN, so a client can neither route,
// produce to, nor subscribe to them, and they are never auto-created into topics.json.
// Names: RocketMQ's prefixes `rmq_sys_` / `RMQ_SYS_` (e.g. the pop-state journal
// POP_STATE_TOPIC, transaction half topics) and its schedule topic.
export const SYSTEM_TOPIC_PREFIXES: readonly string[] = ['rmq_sys_', 'RMQ_SYS_'];
export const SYSTEM_TOPICS: ReadonlySet<string> = new Set(['SCHEDULE_TOPIC_XXXX']);

export function isSystemTopic(name: string): boolean {
  return SYSTEM_TOPICS.has(name) || SYSTEM_TOPIC_PREFIXES.some((p) => name.startsWith(p));
}
