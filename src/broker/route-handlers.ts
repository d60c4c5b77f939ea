// QueryRoute, QueryAssignment, Heartbeat and NotifyClientTermination.
// A route lists the topic's queues on this broker (ids 0..n-1: the Node client only keeps
// queues whose id is 0, so queue ids in later requests are advisory and the broker chooses the
// real queue), each READ_WRITE with this broker's advertised endpoint and the topic's message
// type as the only accepted one. A store that follows (a classic SLAVE, a DLedger member that is
// not the leader) serves no routes: its queues are written and popped on the master/leader, so it
// answers ILLEGAL_ACCESS_POINT naming where it replicates from (the leader a DLedger member knows).
import { ipVersion } from '../util/ip-address.js';
import type { BrokerContext } from './broker-context.js';
import { ClientType } from './client-settings.js';
import { MessageTypeNumber } from './message-convert.js';
import { OK, refuse, type Status } from './status-codes.js';
import { messageTypeOf, type TopicConfig } from './topic-registry.js';

/** Permission enum of definition.proto. */
const PERMISSION_READ_WRITE = 4;
const SCHEME_IPV4 = 1;
const SCHEME_IPV6 = 2;
const SCHEME_DOMAIN_NAME = 3;

interface ResourceMsg {
  name?: string;
  resourceNamespace?: string;
}

export function assertServesClients(ctx: BrokerContext, what: string): void {
  const policy = ctx.store.replication;
  if (!policy.follows) return;
  if (ctx.store.brokerRole !== 'SLAVE') {
    refuse('ILLEGAL_ACCESS_POINT', `${what}: broker ${ctx.config.brokerName} follows its replication group (${policy.putRefusal() ?? policy.role}); clients are served by the leader's gRPC endpoint`);
  }
  refuse(
    'ILLEGAL_ACCESS_POINT',
    `${what}: broker ${ctx.config.brokerName} id ${ctx.config.brokerId} is a SLAVE; send clients to its master (it replicates from ${ctx.config.haMasterAddress ?? 'an unknown master'}), whose gRPC endpoint serves this group`,
  );
}

export function endpointsOf(ctx: BrokerContext): Record<string, unknown> {
  const host = ctx.advertised.host;
  const family = ipVersion(host);
  return { scheme: family === 4 ? SCHEME_IPV4 : family === 6 ? SCHEME_IPV6 : SCHEME_DOMAIN_NAME, addresses: [{ host, port: ctx.advertised.port }] };
}

export function messageQueueOf(ctx: BrokerContext, topic: TopicConfig, queueId: number): Record<string, unknown> {
  return {
    topic: { name: topic.topicName, resourceNamespace: '' },
    id: queueId,
    permission: PERMISSION_READ_WRITE,
    broker: { name: ctx.config.brokerName, id: ctx.config.brokerId, endpoints: endpointsOf(ctx) },
    acceptMessageTypes: [MessageTypeNumber[messageTypeOf(topic)]],
  };
}

export function queryRoute(ctx: BrokerContext, req: { topic?: ResourceMsg }): { status: Status; messageQueues: unknown[] } {
  assertServesClients(ctx, 'QueryRoute');
  const topic = ctx.topics.require(req.topic?.name ?? '');
  const queues = Math.max(topic.readQueueNums, topic.writeQueueNums);
  const messageQueues: unknown[] = [];
  for (let q = 0; q < queues; q++) messageQueues.push(messageQueueOf(ctx, topic, q));
  return { status: OK, messageQueues };
}

/** One assignment per broker, queue id -1 (every queue: the broker pops from all of them), as
 * the Java proxy answers non-FIFO groups. */
export function queryAssignment(ctx: BrokerContext, req: { topic?: ResourceMsg; group?: ResourceMsg }): { status: Status; assignments: unknown[] } {
  assertServesClients(ctx, 'QueryAssignment');
  ctx.groups.require(req.group?.name ?? '');
  const topic = ctx.topics.require(req.topic?.name ?? '');
  return { status: OK, assignments: [{ messageQueue: messageQueueOf(ctx, topic, -1) }] };
}

export function heartbeat(ctx: BrokerContext, req: { group?: ResourceMsg; clientType?: number }): { status: Status } {
  const type = req.clientType ?? ClientType.UNSPECIFIED;
  if (!Object.values(ClientType).includes(type as never) || type === ClientType.UNSPECIFIED) refuse('UNRECOGNIZED_CLIENT_TYPE', `client_type ${type} is not a known client type`);
  if (type !== ClientType.PRODUCER && req.group?.name) ctx.groups.require(req.group.name);
  return { status: OK };
}

export function notifyClientTermination(ctx: BrokerContext, clientId: string | null): { status: Status } {
  if (clientId !== null) ctx.clients.forget(clientId);
  return { status: OK };
}
