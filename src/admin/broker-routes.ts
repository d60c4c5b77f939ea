// The admin routes of a node's gRPC broker (issue 11, item 5), added to the admin server's
// table (AdminRoutes.extra), each with the access its method gives (admin-server.ts):
// | method | path                          | access | answer                                         |
// |--------|-------------------------------|--------|------------------------------------------------|
// | GET    | /broker/topics                | read   | {topics: [{topicName, readQueueNums, writeQueueNums, perm, messageType, order}]} |
// | POST   | /admin/updateTopic            | write  | {created, topic}; body {topic, readQueueNums?, writeQueueNums?, messageType?} |
// | GET    | /broker/consumerProgress[?group=G] | read | ConsumerProgress (consumer-progress.ts)       |
// | GET    | /cluster                      | read   | ClusterList (cluster-list.ts), from /status     |
// A node without a broker answers the /broker and updateTopic routes 501 ERR_ADMIN_NOT_IMPLEMENTED;
// /cluster needs no broker. A bad updateTopic value is 400 ERR_ADMIN_BAD_REQUEST naming the
// field and changes nothing; an unknown group is 404 ERR_ADMIN_NOT_FOUND.
import type { Broker } from '../broker/broker.js';
import { messageTypeOf, TopicUpdateError, updateTopic, type TopicMessageType } from '../broker/topic-registry.js';
import type { MessageStore } from '../store/message-store.js';
import { GetMessageStatus } from '../store/statuses.js';
import { jsonError, type AdminReply, type ExtraRoute } from './admin-server.js';
import { clusterList } from './cluster-list.js';
import { consumerProgress, type ProgressSource } from './consumer-progress.js';
import type { TopicRow } from './format-broker-admin.js';
import type { NodeStatus } from './node-status.js';

export interface BrokerRoutesInput {
  store: MessageStore;
  /** The node's broker, or null when it serves none. */
  broker: () => Broker | null;
  status: () => NodeStatus;
}

const NO_BROKER = (what: string): AdminReply => jsonError(501, 'ERR_ADMIN_NOT_IMPLEMENTED', `${what}: this node serves no gRPC broker (grpcServerPort; mqstore node serves one)`);

export function brokerRoutes(input: BrokerRoutesInput): Record<string, ExtraRoute> {
  return {
    '/broker/topics': { method: 'GET', run: () => topicList(input) },
    '/admin/updateTopic': { method: 'POST', run: (body) => postUpdateTopic(input, body) },
    '/broker/consumerProgress': { method: 'GET', run: (_body, query) => getConsumerProgress(input, query.get('group') ?? undefined) },
    '/cluster': { method: 'GET', run: () => ({ status: 200, json: clusterList(input.status()) }) },
  };
}

export function topicRows(broker: Broker): TopicRow[] {
  return broker.topics
    .list()
    .map((t) => ({ topicName: t.topicName, readQueueNums: t.readQueueNums, writeQueueNums: t.writeQueueNums, perm: t.perm, messageType: messageTypeOf(t), order: t.order }))
    .sort((a, b) => (a.topicName < b.topicName ? -1 : a.topicName > b.topicName ? 1 : 0));
}

function topicList(input: BrokerRoutesInput): AdminReply {
  const broker = input.broker();
  if (!broker) return NO_BROKER('topicList');
  return { status: 200, json: { topics: topicRows(broker) } };
}

function postUpdateTopic(input: BrokerRoutesInput, body: unknown): AdminReply {
  const broker = input.broker();
  if (!broker) return NO_BROKER('updateTopic');
  const o = (body ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!['topic', 'readQueueNums', 'writeQueueNums', 'messageType'].includes(key)) return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', `updateTopic: unknown field '${key.slice(0, 100)}' (topic, readQueueNums, writeQueueNums, messageType)`);
  }
  if (typeof o.topic !== 'string' || o.topic === '') return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', 'updateTopic: topic (a non-empty string) is required');
  for (const k of ['readQueueNums', 'writeQueueNums'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'number') return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', `updateTopic: ${k} must be an integer, got ${JSON.stringify(o[k])}`);
  }
  if (o.messageType !== undefined && typeof o.messageType !== 'string') return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', `updateTopic: messageType must be a string, got ${JSON.stringify(o.messageType)}`);
  try {
    const spec = {
      ...(o.readQueueNums !== undefined ? { readQueueNums: o.readQueueNums as number } : {}),
      ...(o.writeQueueNums !== undefined ? { writeQueueNums: o.writeQueueNums as number } : {}),
      ...(o.messageType !== undefined ? { messageType: o.messageType as TopicMessageType } : {}),
    };
    const { row, created } = updateTopic(broker.topics, input.store.config, o.topic, spec);
    return { status: 200, json: { created, topic: { ...row, messageType: messageTypeOf(row) } } };
  } catch (err) {
    if (err instanceof TopicUpdateError) return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', `updateTopic: ${err.message}`);
    throw err;
  }
}

export function progressSource(store: MessageStore, broker: Broker): ProgressSource {
  return {
    offsetsJson: () => store.consumerOffsetsJson(),
    readQueueNums: (topic) => broker.topics.get(topic)?.readQueueNums,
    maxOffset: (topic, q) => store.getMaxOffsetInQueue(topic, q),
    minOffset: (topic, q) => store.getMinOffsetInQueue(topic, q),
    inflight: (group, topic, q) => broker.inflight(group, topic, q),
    storeTimestamp: async (topic, queueId, offset) => {
      const got = await store.getMessage({ group: 'mqstore-admin', topic, queueId, offset, maxMsgNums: 1 });
      const m = got.messages[0];
      return got.status === GetMessageStatus.FOUND && m && m.queueOffset === offset ? m.storeTimestamp : null;
    },
  };
}

async function getConsumerProgress(input: BrokerRoutesInput, group: string | undefined): Promise<AdminReply> {
  const broker = input.broker();
  if (!broker) return NO_BROKER('consumerProgress');
  const progress = await consumerProgress(progressSource(input.store, broker), input.store.config.brokerName, group);
  if (group !== undefined && progress.rows.length === 0 && broker.groups.get(group) === undefined) {
    return jsonError(404, 'ERR_ADMIN_NOT_FOUND', `consumerProgress: consumer group '${group.slice(0, 255)}' is unknown to broker ${input.store.config.brokerName} (no subscription and no committed offset)`);
  }
  return { status: 200, json: progress };
}
