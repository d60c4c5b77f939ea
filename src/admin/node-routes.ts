// The admin routes of one store node: /status from the store and the HA provider, /metrics from
// the node's registry, /admin/promote through the HA provider (501 without one), and the
// optional /admin/put (a load and test hook: puts timed into the latency histogram, on the
// injected monotonic clock) and /admin/get (admin-get.ts).
//
// /admin/put answers {count, statuses, firstFailure, lastEndOffset}; with count 1 also `result`:
// that put's status and, on PUT_OK, its queueOffset, physicalOffset and wroteBytes, else its
// reason (a DLedger follower's names the leader it knows) and `leaderAddr` when the node knows one.
import { ErrorCode } from '../errors.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { GetMessageRequest, GetMessageResult, PutMessageInput, PutMessageResult } from '../store/statuses.js';
import { adminGet } from './admin-get.js';
import { systemClock } from '../util/clock.js';
import { jsonError, type AdminReply, type AdminRoutes } from './admin-server.js';
import type { HaStatusProvider } from './ha-status-provider.js';
import { nodeStatus, type NodeStatus, type StatusSources } from './node-status.js';

/** Bounds of one /admin/put request. */
export const ADMIN_PUT_MAX_COUNT = 100_000;
const ADMIN_PUT_IN_FLIGHT = 256;

export interface NodeRoutesInput {
  sources: StatusSources;
  metrics: NodeMetrics;
  ha: HaStatusProvider;
  brokerRole: () => string;
  /** Given only when the put endpoint is enabled. */
  putMessage?: (input: PutMessageInput) => Promise<PutMessageResult>;
  /** Given (with putMessage) when /admin/get is served. */
  getMessage?: (request: GetMessageRequest) => Promise<GetMessageResult>;
  /** The leader this node knows of (DLedger), for a refused single put; null: none known. */
  leaderAddr?: () => string | null;
  maxMessageBytes: number;
  /** Monotonic ms for put latencies (default systemClock.monotonicMs). */
  nowMs?: () => number;
}

export function nodeRoutes(input: NodeRoutesInput): AdminRoutes {
  const put = input.putMessage;
  const get = input.getMessage;
  return {
    status: () => ({ status: 200, json: nodeStatus(input.sources) satisfies NodeStatus }),
    metrics: async () => ({ status: 200, text: await input.metrics.metricsText(), contentType: input.metrics.contentType }),
    promote: (body) => promote(input, body),
    put: put ? (body) => adminPut(put, input, body) : undefined,
    get: get ? (query) => adminGet(get, query) : undefined,
  };
}

async function promote(input: NodeRoutesInput, body: unknown): Promise<AdminReply> {
  const ha = input.ha;
  if (!ha.promote) {
    const why = ha.kind === 'none' ? `this node runs no HA service (${ha.note ?? 'not configured'})` : 'the HA service of this node has no promote operation';
    return jsonError(501, 'ERR_ADMIN_NOT_IMPLEMENTED', `cannot promote: ${why}`);
  }
  const role = (body as { role?: unknown } | null)?.role;
  if (role !== undefined && role !== 'ASYNC_MASTER' && role !== 'SYNC_MASTER') {
    return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', `role must be ASYNC_MASTER or SYNC_MASTER, got ${JSON.stringify(role)}`);
  }
  const before = input.brokerRole();
  let outcome;
  try {
    outcome = await ha.promote(role);
  } catch (err) {
    // the HA service refuses a promote that makes no sense (e.g. this node is already a master)
    const e = err as Error & { code?: unknown };
    if (e.code === ErrorCode.INVALID_ARGUMENT) return jsonError(409, e.code, e.message);
    throw err;
  }
  return { status: 200, json: { promoted: true, previousRole: before, brokerRole: input.brokerRole(), result: outcome.result } };
}

interface PutRequest {
  topic: string;
  queueId: number;
  count: number;
  body: string | null;
  bodyBytes: number;
  tags: string | undefined;
}

function parsePutRequest(body: unknown, maxMessageBytes: number): PutRequest | string {
  const o = (body ?? {}) as Record<string, unknown>;
  if (typeof o.topic !== 'string' || o.topic === '') return 'topic (a non-empty string) is required';
  const count = o.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > ADMIN_PUT_MAX_COUNT) return `count must be an integer in [1, ${ADMIN_PUT_MAX_COUNT}]`;
  const queueId = o.queueId ?? 0;
  if (typeof queueId !== 'number' || !Number.isInteger(queueId) || queueId < 0) return 'queueId must be a non-negative integer';
  if (o.body !== undefined && typeof o.body !== 'string') return 'body must be a string';
  const bodyBytes = o.bodyBytes ?? 128;
  if (typeof bodyBytes !== 'number' || !Number.isInteger(bodyBytes) || bodyBytes < 0 || bodyBytes > maxMessageBytes) return `bodyBytes must be an integer in [0, ${maxMessageBytes}]`;
  if (o.tags !== undefined && typeof o.tags !== 'string') return 'tags must be a string';
  return { topic: o.topic, queueId, count, body: (o.body as string | undefined) ?? null, bodyBytes, tags: o.tags as string | undefined };
}

/** The one put of a `count: 1` request, as an outside checker needs it. */
export interface SinglePutResult {
  status: PutMessageResult['status'];
  queueOffset?: number;
  physicalOffset?: number;
  wroteBytes?: number;
  reason?: string;
  leaderAddr?: string;
}

function singleResult(r: PutMessageResult, input: NodeRoutesInput): SinglePutResult {
  if (r.status === 'PUT_OK') return { status: r.status, queueOffset: r.queueOffset, physicalOffset: r.physicalOffset, wroteBytes: r.wroteBytes };
  const leader = input.leaderAddr?.() ?? null;
  return { status: r.status, reason: r.reason ?? r.status, ...(leader !== null ? { leaderAddr: leader } : {}) };
}

/** `count` puts with at most ADMIN_PUT_IN_FLIGHT outstanding; each one's latency is recorded. */
async function adminPut(putMessage: (input: PutMessageInput) => Promise<PutMessageResult>, input: NodeRoutesInput, body: unknown): Promise<AdminReply> {
  const req = parsePutRequest(body, input.maxMessageBytes);
  if (typeof req === 'string') return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', req);
  const statuses: Record<string, number> = {};
  let firstReason: string | null = null;
  let next = 0;
  let lastEnd = -1;
  let single: SinglePutResult | null = null;
  const nowMs = input.nowMs ?? (() => systemClock.monotonicMs());
  const one = async (i: number): Promise<void> => {
    const started = nowMs();
    const payload = req.body ?? `${i}:`.padEnd(req.bodyBytes, 'x').slice(0, req.bodyBytes);
    const r = await putMessage({ topic: req.topic, queueId: req.queueId, body: payload, tags: req.tags });
    input.metrics.recordPutLatency(nowMs() - started);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (req.count === 1) single = singleResult(r, input);
    if (r.status !== 'PUT_OK') firstReason ??= r.reason ?? r.status;
    else lastEnd = Math.max(lastEnd, r.physicalOffset + r.wroteBytes);
  };
  const lane = async (): Promise<void> => {
    for (let guard = 0; guard < req.count && next < req.count; guard++) await one(next++);
  };
  await Promise.all(Array.from({ length: Math.min(ADMIN_PUT_IN_FLIGHT, req.count) }, lane));
  const answer = { count: req.count, statuses, firstFailure: firstReason, lastEndOffset: lastEnd };
  return { status: 200, json: single === null ? answer : { ...answer, result: single } };
}
