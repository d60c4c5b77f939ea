// Receipt handles: what a consumer gets with each delivered message and gives back to ack it or
// change its invisibility. Opaque to the client; here the base64url of five fields separated by
// spaces:
//   v1 <bootId base 36> <queueId> <queueOffset> <popSeq base 36>
// bootId is this broker process's start time (a handle from before a restart never matches);
// popSeq is unique per delivery within the process, so a handle from an earlier delivery of
// the same message (before a redelivery or a ChangeInvisibleDuration) is stale. The pop state
// (pop-state.ts) accepts a handle only if (bootId, queue, offset, popSeq) is the message's current
// delivery; the topic and group come with the request. decode returns null for anything
// malformed (the caller refuses it with INVALID_RECEIPT_HANDLE).
const VERSION = 'v1';
const MAX_HANDLE_CHARS = 256;

export interface ReceiptHandle {
  readonly bootId: number;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly popSeq: number;
}

export function encodeReceiptHandle(h: ReceiptHandle): string {
  const text = `${VERSION} ${h.bootId.toString(36)} ${h.queueId} ${h.queueOffset} ${h.popSeq.toString(36)}`;
  return Buffer.from(text, 'utf8').toString('base64url');
}

export function decodeReceiptHandle(handle: unknown): ReceiptHandle | null {
  if (typeof handle !== 'string' || handle.length === 0 || handle.length > MAX_HANDLE_CHARS || !/^[A-Za-z0-9_-]+$/.test(handle)) return null;
  const parts = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  if (parts.length !== 5 || parts[0] !== VERSION) return null;
  const bootId = base36(parts[1]!);
  const queueId = decimal(parts[2]!);
  const queueOffset = decimal(parts[3]!);
  const popSeq = base36(parts[4]!);
  if (bootId === null || queueId === null || queueOffset === null || popSeq === null) return null;
  return { bootId, queueId, queueOffset, popSeq };
}

function decimal(s: string): number | null {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

function base36(s: string): number | null {
  if (!/^[0-9a-z]{1,11}$/.test(s)) return null;
  const n = parseInt(s, 36);
  return Number.isSafeInteger(n) ? n : null;
}
