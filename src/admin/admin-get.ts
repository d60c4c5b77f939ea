// GET /admin/get?topic=T&queueId=Q&offset=O&max=N: the messages a consumer could read from one
// queue, starting at queue offset O (at most N, default ADMIN_GET_DEFAULT_MAX), each with its
// queueOffset, physicalOffset, size, tags and body (decoded as UTF-8; bytes that are not UTF-8
// become U+FFFD). A hook for outside checkers (served with --enable-admin-put, beside
// /admin/put): it goes through the store's getMessage, so it sees exactly what a consumer sees
// (dispatched entries over committed bytes: on a DLedger member, nothing past the confirm offset).
// It commits no consumer offset and changes nothing.
//
// Parameters are checked before the store is asked: a missing or malformed one is a 400
// ERR_ADMIN_BAD_REQUEST naming it, with what is allowed.
import type { GetMessageRequest, GetMessageResult } from '../store/statuses.js';
import { jsonError, type AdminReply } from './admin-server.js';

export const ADMIN_GET_DEFAULT_MAX = 32;
export const ADMIN_GET_MAX = 1024;
/** The consumer group the reads are made for (no offset is ever committed for it). */
export const ADMIN_GET_GROUP = 'mqstore-admin-get';
const MAX_TOPIC_CHARS = 255;

export interface AdminGetMessage {
  queueOffset: number;
  physicalOffset: number;
  size: number;
  tags: string | null;
  body: string;
}

export interface AdminGetAnswer {
  status: GetMessageResult['status'];
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  messages: AdminGetMessage[];
}

interface GetParams {
  topic: string;
  queueId: number;
  offset: number;
  max: number;
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function intParam(query: URLSearchParams, name: string, fallback: number | null, min: number, max: number): number | string {
  const text = query.get(name);
  if (text === null) return fallback ?? `${name} is required (an integer in [${min}, ${max}])`;
  const n = /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) return `${name} must be an integer in [${min}, ${max}], got '${text.slice(0, 40)}'`;
  return n;
}

export function parseGetParams(query: URLSearchParams): GetParams | string {
  const topic = query.get('topic');
  if (topic === null || topic === '') return 'topic (a non-empty string) is required';
  if (topic.length > MAX_TOPIC_CHARS) return `topic must be at most ${MAX_TOPIC_CHARS} characters, got ${topic.length}`;
  const queueId = intParam(query, 'queueId', null, 0, 0x7fff_ffff);
  if (typeof queueId === 'string') return queueId;
  const offset = intParam(query, 'offset', null, 0, Number.MAX_SAFE_INTEGER);
  if (typeof offset === 'string') return offset;
  const max = intParam(query, 'max', ADMIN_GET_DEFAULT_MAX, 1, ADMIN_GET_MAX);
  if (typeof max === 'string') return max;
  for (const name of query.keys()) {
    if (name !== 'topic' && name !== 'queueId' && name !== 'offset' && name !== 'max') return `unknown parameter '${name.slice(0, 40)}' (allowed: topic, queueId, offset, max)`;
  }
  return { topic, queueId, offset, max };
}

/** Answer one /admin/get request through `getMessage`. */
export async function adminGet(getMessage: (request: GetMessageRequest) => Promise<GetMessageResult>, query: URLSearchParams): Promise<AdminReply> {
  const p = parseGetParams(query);
  if (typeof p === 'string') return jsonError(400, 'ERR_ADMIN_BAD_REQUEST', p);
  const r = await getMessage({ group: ADMIN_GET_GROUP, topic: p.topic, queueId: p.queueId, offset: p.offset, maxMsgNums: p.max });
  const messages = r.messages.map((m) => ({
    queueOffset: m.queueOffset,
    physicalOffset: m.physicalOffset,
    size: m.totalSize,
    tags: m.tags,
    body: m.body === null ? '' : decoder.decode(m.body),
  }));
  const answer: AdminGetAnswer = { status: r.status, nextBeginOffset: r.nextBeginOffset, minOffset: r.minOffset, maxOffset: r.maxOffset, messages };
  return { status: 200, json: answer };
}
